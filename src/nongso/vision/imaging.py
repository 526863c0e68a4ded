"""Reading an uploaded photo safely: size and pixel limits, HEIC, EXIF rotation, downscaling.

A phone sends JPEG, PNG, WebP or HEIC (iPhones), sometimes 20 MB or 100 megapixels, often
with the rotation in an EXIF tag rather than in the pixels. This module turns such a file into
an upright RGB image of at most ``STORE_LONG_SIDE`` pixels on its long side, or refuses it
with a clear error: too many bytes (413), too many pixels (413, checked from the header before
anything is decoded: a small "decompression bomb" file never reaches memory), not an image
(415), a damaged file (422). Pure: bytes in, image or error out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from nongso.core.errors import AppError, FieldError, TooLarge, ValidationFailed

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
STORE_LONG_SIDE = 2048
STORE_QUALITY = 85
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}

# Pillow's own guard: it warns above MAX_IMAGE_PIXELS and refuses above twice that; the
# explicit check below answers first, and the warning is turned into an error while decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


class UnsupportedMedia(AppError):
    status, code = 415, "unsupported-media-type"
    title_vi, title_en = "Định dạng không được hỗ trợ", "Unsupported media type"


@dataclass(frozen=True)
class Photo:
    """An upright RGB photo ready for the checks and the classifier."""

    image: Image.Image
    source_format: str  # JPEG, PNG, WebP, HEIC
    source_size: tuple[int, int]  # pixels of the file as sent (before rotation)
    rotated: bool  # an EXIF orientation was applied
    downscaled: bool


def _bad(vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError("photo", vi, en)])


def _too_large_bytes(size: int) -> TooLarge:
    mb = size / 1024 / 1024
    limit = MAX_UPLOAD_BYTES // 1024 // 1024
    return TooLarge(
        f"Ảnh quá lớn ({mb:.1f} MB); tối đa {limit} MB. Hãy chụp ở độ phân giải thấp hơn "
        "hoặc gửi ảnh đã thu nhỏ.",
        f"The photo is too large ({mb:.1f} MB); at most {limit} MB. Take it at a lower "
        "resolution or send a smaller copy.",
        [FieldError("photo", f"Tối đa {limit} MB", f"At most {limit} MB")])


def check_size(size: int) -> None:
    """Refuse a file of more than MAX_UPLOAD_BYTES (before it is read whole)."""
    if size > MAX_UPLOAD_BYTES:
        raise _too_large_bytes(size)


def _rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        return ImageOps.autocontrast(img.convert("I").point(lambda v: v / 256).convert("L")
                                     ).convert("RGB")
    return img.convert("RGB")


def open_photo(content: bytes, long_side: int = STORE_LONG_SIDE) -> Photo:
    """Decode ``content`` into an upright RGB photo of at most ``long_side`` pixels."""
    check_size(len(content))
    if not content:
        raise _bad("Tệp ảnh rỗng.", "The photo file is empty.")
    _register_heif()
    try:
        with warnings.catch_warnings():
            # Between MAX_PIXELS and twice that Pillow only warns: the check below answers.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError as exc:
        limit = 2 * MAX_PIXELS // 1_000_000
        raise TooLarge(
            f"Ảnh có hơn {limit} triệu điểm ảnh; tối đa {MAX_PIXELS // 1_000_000} triệu. Hãy "
            "gửi ảnh nhỏ hơn.",
            f"The photo has more than {limit} megapixels; at most "
            f"{MAX_PIXELS // 1_000_000}. Send a smaller photo.",
            [FieldError("photo", "Quá nhiều điểm ảnh", "Too many pixels")]) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMedia(
            "Tệp gửi lên không phải là ảnh (JPEG, PNG, WebP hoặc HEIC).",
            "The file is not a photo (JPEG, PNG, WebP or HEIC).",
            [FieldError("photo", "Không phải ảnh", "Not a photo")]) from exc
    fmt = FORMATS.get(img.format or "")
    if fmt is None:
        raise UnsupportedMedia(
            f"Định dạng ảnh {img.format} không được hỗ trợ (JPEG, PNG, WebP, HEIC).",
            f"Image format {img.format} is not supported (JPEG, PNG, WebP, HEIC).",
            [FieldError("photo", "Định dạng không hỗ trợ", "Unsupported format")])
    width, height = img.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        mp = width * height / 1e6
        raise TooLarge(
            f"Ảnh có {mp:.0f} triệu điểm ảnh ({width}×{height}); tối đa "
            f"{MAX_PIXELS // 1_000_000} triệu. Hãy gửi ảnh nhỏ hơn.",
            f"The photo has {mp:.0f} megapixels ({width}×{height}); at most "
            f"{MAX_PIXELS // 1_000_000}. Send a smaller photo.",
            [FieldError("photo", "Quá nhiều điểm ảnh", "Too many pixels")])
    if width < 64 or height < 64:
        raise _bad(f"Ảnh quá nhỏ ({width}×{height}); cần ít nhất 64×64 điểm ảnh.",
                   f"The photo is too small ({width}×{height}); at least 64×64 pixels.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if fmt == "JPEG" and max(width, height) > long_side:
                # Let the JPEG decoder scale down (1/2, 1/4, 1/8) as long as the result keeps
                # at least 3/4 of the long side asked for: far cheaper than resizing after.
                f = 0.75 * long_side / max(width, height)
                img.draft("RGB", (max(1, int(width * f)), max(1, int(height * f))))
            img.load()
            orientation = img.getexif().get(0x0112, 1)
            rgb = _rgb(ImageOps.exif_transpose(img))
            rotated = orientation not in (0, 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge("Ảnh có quá nhiều điểm ảnh.", "The photo has too many pixels.",
                       [FieldError("photo", "Quá nhiều điểm ảnh", "Too many pixels")]) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _bad("Tệp ảnh bị hỏng hoặc không đầy đủ; hãy chụp và gửi lại.",
                   "The photo file is damaged or incomplete; take it and send it again."
                   ) from exc
    downscaled = max(rgb.size) < max(width, height)
    if max(rgb.size) > long_side:
        rgb.thumbnail((long_side, long_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        downscaled = True
    return Photo(rgb, fmt, (width, height), rotated, downscaled)


def to_jpeg(image: Image.Image, quality: int = STORE_QUALITY) -> bytes:
    """The photo as it is stored: a baseline JPEG without metadata (no GPS, no camera data)."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def analysis_copy(image: Image.Image, long_side: int = 800) -> Image.Image:
    """A copy of at most about ``long_side`` pixels for the checks and the classifier (an
    integer box reduction: cheap, and enough for 128- and 256-pixel measures)."""
    factor = max(1, -(-max(image.size) // long_side))
    return image.reduce(factor) if factor > 1 else image


def working_copy(image: Image.Image, long_side: int) -> Image.Image:
    """A small copy for the measures (aspect kept)."""
    if max(image.size) <= long_side:
        return image
    copy = image.copy()
    copy.thumbnail((long_side, long_side), Image.Resampling.BILINEAR)
    return copy
