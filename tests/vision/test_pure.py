"""Pure parts of photo diagnosis: the synthetic generator, safe decoding, quality checks and
features (no database)."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from nongso.core.errors import TooLarge, ValidationFailed
from nongso.vision import features, imaging, quality, synthetic


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- synthetic photos -----------------------------------------------------------------------

def test_same_seed_same_pixels_and_labels() -> None:
    a = list(synthetic.labelled_set(7, 2))
    b = list(synthetic.labelled_set(7, 2))
    assert [s.label for s in a] == list(synthetic.CROP_LABELS) * 2
    assert all(np.array_equal(np.asarray(x.image), np.asarray(y.image))
               for x, y in zip(a, b, strict=True))
    c = list(synthetic.labelled_set(8, 1))
    assert not np.array_equal(np.asarray(a[0].image), np.asarray(c[0].image))


def test_photo_sizes_follow_the_request() -> None:
    rng = np.random.default_rng(1)
    assert synthetic.crop_photo(rng, "blast", (640, 480)).size == (640, 480)
    assert synthetic.non_crop_photo(rng, "sky", (300, 500)).size == (300, 500)
    with pytest.raises(ValueError):
        synthetic.crop_photo(rng, "rust", (64, 64))


# --- decoding -------------------------------------------------------------------------------

def test_exif_rotation_is_applied() -> None:
    img = synthetic.crop_photo(np.random.default_rng(2), "healthy", (400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    photo = imaging.open_photo(synthetic.jpeg(img, exif=exif.tobytes()))
    assert photo.rotated and photo.image.size == (200, 400)
    plain = imaging.open_photo(synthetic.jpeg(img))
    assert not plain.rotated and plain.image.size == (400, 200)


def test_heic_is_read() -> None:
    from pillow_heif import from_pillow

    img = synthetic.crop_photo(np.random.default_rng(3), "brown_spot", (320, 240))
    out = io.BytesIO()
    from_pillow(img).save(out, format="HEIF", quality=90)
    photo = imaging.open_photo(out.getvalue())
    assert photo.source_format == "HEIC" and photo.image.size == (320, 240)
    assert photo.image.mode == "RGB"


def test_large_photo_is_downscaled() -> None:
    img = Image.new("RGB", (4000, 3000), (60, 130, 50))
    photo = imaging.open_photo(synthetic.jpeg(img))  # the JPEG decoder scales it down
    assert photo.downscaled and photo.source_size == (4000, 3000)
    assert 0.75 * imaging.STORE_LONG_SIDE <= max(photo.image.size) <= imaging.STORE_LONG_SIDE
    big_png = imaging.open_photo(_png(Image.new("RGB", (5000, 2500), (60, 130, 50))))
    assert big_png.image.size == (imaging.STORE_LONG_SIDE, imaging.STORE_LONG_SIDE // 2)
    assert imaging.analysis_copy(big_png.image).size == (683, 342)


def test_too_many_bytes_is_413() -> None:
    with pytest.raises(TooLarge) as err:
        imaging.open_photo(b"\xff" * (imaging.MAX_UPLOAD_BYTES + 1))
    assert "MB" in err.value.message_vi and "MB" in err.value.message_en


def _bomb(width: int, height: int) -> bytes:
    """A small PNG file that declares ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (1 + width * 3) * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)


def test_decompression_bombs_are_refused_from_the_header() -> None:
    """Small files declaring 81 and 144 megapixels are refused before they are decoded."""
    medium, huge = _bomb(9_000, 9_000), _bomb(12_000, 12_000)
    assert len(medium) < 100_000 and len(huge) < 100_000
    with pytest.raises(TooLarge) as err:
        imaging.open_photo(medium)
    assert "81" in err.value.message_en and "9000×9000" in err.value.message_vi
    with pytest.raises(TooLarge) as err:
        imaging.open_photo(huge)
    assert "100" in err.value.message_en


def test_not_an_image_and_damaged_files() -> None:
    with pytest.raises(imaging.UnsupportedMedia):
        imaging.open_photo(b"%PDF-1.7 not a photo")
    gif = io.BytesIO()
    Image.new("RGB", (100, 100)).save(gif, "GIF")
    with pytest.raises(imaging.UnsupportedMedia):
        imaging.open_photo(gif.getvalue())
    whole = synthetic.jpeg(synthetic.crop_photo(np.random.default_rng(4), "healthy", (300, 300)))
    with pytest.raises(ValidationFailed):
        imaging.open_photo(whole[: len(whole) // 3])
    with pytest.raises(ValidationFailed):
        imaging.open_photo(_png(Image.new("RGB", (20, 20))))


def test_transparent_png_on_white() -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    photo = imaging.open_photo(_png(img))
    assert photo.image.getpixel((50, 50)) == (255, 255, 255)


def test_stored_jpeg_has_no_metadata() -> None:
    img = synthetic.crop_photo(np.random.default_rng(5), "healthy", (200, 200))
    exif = Image.Exif()
    exif[0x0110] = "Phone model"
    stored = imaging.to_jpeg(imaging.open_photo(synthetic.jpeg(img, exif=exif.tobytes())).image)
    assert not Image.open(io.BytesIO(stored)).getexif()


# --- quality --------------------------------------------------------------------------------

def _codes(image: Image.Image) -> list[str]:
    via_jpeg = Image.open(io.BytesIO(synthetic.jpeg(image, 85))).convert("RGB")
    return [p.code for p in quality.problems(quality.measure(via_jpeg))]


@pytest.mark.parametrize("size", [(256, 256), (1024, 768)])
def test_sharp_crop_photos_pass(size: tuple[int, int]) -> None:
    for sample in synthetic.labelled_set(21, 3, (size,)):
        assert _codes(sample.image) == [], sample.label


@pytest.mark.parametrize("size", [(256, 256), (1024, 768)])
def test_problems_are_named(size: tuple[int, int]) -> None:
    for sample in synthetic.problem_set(22, 4, (size,)):
        assert _codes(sample.image)[:1] == [sample.label]


def test_screenshots_and_sky() -> None:
    rng = np.random.default_rng(23)
    for _ in range(6):
        assert _codes(synthetic.screenshot(rng, (720, 1280))) == ["screenshot"]
        png = Image.open(io.BytesIO(_png(synthetic.screenshot(rng, (540, 960))))).convert("RGB")
        assert [p.code for p in quality.problems(quality.measure(png))] == ["screenshot"]
    for _ in range(4):
        assert _codes(synthetic.non_crop_photo(rng, "sky", (640, 480))) == ["no_plant"]


def test_every_problem_speaks_both_languages() -> None:
    for code in quality.PROBLEMS:
        p = quality.problem(code)
        assert p.message("vi") != p.message("en")
        assert any(ch in p.message("vi") for ch in "ảạấờợ")


# --- features -------------------------------------------------------------------------------

def test_features_are_finite_and_named() -> None:
    rng = np.random.default_rng(31)
    images = [synthetic.crop_photo(rng, label, (200, 160)) for label in synthetic.CROP_LABELS]
    x = features.extract_many(images)
    assert x.shape == (5, len(features.feature_names())) and np.isfinite(x).all()
    assert features.extract_many([]).shape == (0, len(features.feature_names()))


def test_a_sideways_photo_has_nearly_the_same_features() -> None:
    rng = np.random.default_rng(32)
    leaf = synthetic.crop_photo(rng, "blast", (256, 256))
    other = synthetic.crop_photo(rng, "hopperburn", (256, 256))
    a, b = features.extract(leaf), features.extract(leaf.rotate(90))
    c = features.extract(other)
    assert np.linalg.norm(a - b) < 0.25 * np.linalg.norm(a - c)
