"""Limits on the work a hostile upload or request can cause: one guard for every importer.

- :func:`open_archive`: a zip (XLSX, KMZ, zipped Shapefile, …) is opened only after its entry
  count, the declared uncompressed size of each entry and their total are checked against
  :class:`ArchiveLimits`; :func:`read_member` and :func:`iter_member` read an entry with the same
  cap enforced on what is really decompressed (a header that lies is caught too). A 4.5 MB
  workbook whose ``sharedStrings.xml`` unzips to 2 GB is refused before a byte is inflated.
- :class:`WorkBudget`: a counter of rows, cells or vertices that raises once a file asks for
  more work than allowed (streamed readers spend it as they go).
- :func:`check_image`: the pixel count of an image is read from its header and refused above a
  limit before anything is decoded (a 20000 × 20000 PNG is 400 megapixels).
- :func:`load_json`: JSON text parsed with a nesting limit (100,000 nested arrays are a 400,
  not a ``RecursionError``).

Every refusal is an :class:`~nongso.core.errors.AppError`: 413 (:class:`LimitExceeded`) when a
limit is passed, 422 (:class:`UnreadableUpload`) when the bytes are not what they claim to be;
both carry a machine-readable ``reason`` and the ``limit``. Pure: bytes in memory, no I/O.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from nongso.core.errors import TooLarge, ValidationFailed

MB: Final = 1024 * 1024

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting of JSON objects and arrays accepted in a request body."""

MAX_IMAGE_PIXELS: Final = 64_000_000
"""Largest image accepted (width × height): a 64-megapixel photo; a phone takes 12 to 50."""

_CHUNK: Final = 64 * 1024


class LimitExceeded(TooLarge):
    """An upload asks for more than a limit allows (413). ``reason`` says which limit."""

    def __init__(self, message_vi: str, message_en: str, *, reason: str, limit: int) -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason, "limit": limit})
        self.reason = reason
        self.limit = limit


class UnreadableUpload(ValidationFailed):
    """The bytes are not a readable file of the kind expected (422)."""

    def __init__(self, message_vi: str, message_en: str, *, reason: str = "corrupt") -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason})
        self.reason = reason


def _mb(n: int) -> str:
    return f"{n / MB:g} MB"


# --- archives --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveLimits:
    """What a zip may hold: entries, bytes per entry once inflated, bytes in all."""

    max_entries: int = 1000
    max_entry_bytes: int = 32 * MB
    max_total_bytes: int = 64 * MB


def open_archive(data: bytes, limits: ArchiveLimits, kind: str = "zip") -> zipfile.ZipFile:
    """The zip in ``data``, once its directory is within ``limits`` (nothing inflated yet).

    Raises :class:`UnreadableUpload` when it is not a zip, :class:`LimitExceeded` when it has
    too many entries or declares too many bytes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableUpload(f"Tệp {kind} không phải là tệp nén zip đọc được.",
                               f"The {kind} file is not a readable zip archive.") from exc
    try:
        check_archive(archive, limits, kind)
    except BaseException:
        archive.close()
        raise
    return archive


def check_archive(archive: zipfile.ZipFile, limits: ArchiveLimits, kind: str = "zip") -> None:
    """Entry count, and the declared inflated size of each entry and of all, within limits."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise LimitExceeded(
            f"Tệp {kind} có quá nhiều thành phần ({len(infos)}; tối đa {limits.max_entries}).",
            f"The {kind} file has too many entries ({len(infos)}; at most "
            f"{limits.max_entries}).", reason="too-many-entries", limit=limits.max_entries)
    total = 0
    for info in infos:
        if info.file_size > limits.max_entry_bytes:
            raise _inflated_too_large(kind, info.filename, limits.max_entry_bytes)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise LimitExceeded(
            f"Nội dung giải nén của tệp {kind} quá lớn ({_mb(total)}; tối đa "
            f"{_mb(limits.max_total_bytes)}).",
            f"The uncompressed content of the {kind} file is too large ({_mb(total)}; at "
            f"most {_mb(limits.max_total_bytes)}).",
            reason="too-many-bytes", limit=limits.max_total_bytes)


def _inflated_too_large(kind: str, name: str, limit: int) -> LimitExceeded:
    shown = name[-80:]
    return LimitExceeded(
        f"Thành phần «{shown}» của tệp {kind} giải nén ra quá lớn (tối đa {_mb(limit)}).",
        f"The entry '{shown}' of the {kind} file is too large once uncompressed (at most "
        f"{_mb(limit)}).", reason="too-many-bytes", limit=limit)


def iter_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                kind: str = "zip") -> Iterator[bytes]:
    """The inflated bytes of one entry, chunk by chunk, stopping at ``limit`` bytes whatever
    its header declared."""
    seen = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                seen += len(chunk)
                if seen > limit:
                    raise _inflated_too_large(kind, info.filename, limit)
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError,
            NotImplementedError) as exc:
        raise UnreadableUpload(
            f"Không giải nén được «{info.filename[-80:]}» trong tệp {kind} ({str(exc)[:120]}).",
            f"Cannot uncompress '{info.filename[-80:]}' in the {kind} file "
            f"({str(exc)[:120]}).") from exc


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                kind: str = "zip") -> bytes:
    """One entry's inflated bytes, at most ``limit`` of them (see :func:`iter_member`)."""
    return b"".join(iter_member(archive, info, limit, kind))


# --- work --------------------------------------------------------------------------------------

class WorkBudget:
    """At most ``limit`` units of work (rows, cells, vertices…): :meth:`spend` raises
    :class:`LimitExceeded` past it."""

    def __init__(self, limit: int, what_vi: str, what_en: str) -> None:
        self.limit = limit
        self.used = 0
        self.what_vi = what_vi
        self.what_en = what_en

    def spend(self, units: int = 1) -> None:
        self.used += units
        if self.used > self.limit:
            limit_vi = f"{self.limit:,}".replace(",", ".")
            raise LimitExceeded(
                f"Tệp có quá nhiều {self.what_vi} (tối đa {limit_vi}); hãy chia thành "
                "nhiều tệp nhỏ hơn.",
                f"The file has too many {self.what_en} (at most {self.limit:,}); split it into "
                "smaller files.", reason=f"too-many-{self.what_en.replace(' ', '-')}",
                limit=self.limit)


# --- images ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def check_image(content: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageInfo:
    """The format and size of an image, read from its header; refused (413) above
    ``max_pixels`` before anything is decoded, and 422 when it is not an image Pillow reads
    (the rest of the file is checked by Pillow's ``verify``, which does not decode pixels)."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow's own decompression-bomb warning: our limit below is the one applied.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                fmt = image.format or ""
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                image.verify()
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(0, 0, max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                IndexError, struct.error) as exc:
            raise UnreadableUpload("Tệp gửi lên không phải là ảnh đọc được.",
                                   "The file is not a readable image.",
                                   reason="not-an-image") from exc
    return ImageInfo(fmt, width, height)


def _too_many_pixels(width: int, height: int, limit: int) -> LimitExceeded:
    size = f" ({width} × {height})" if width else ""
    return LimitExceeded(
        f"Ảnh quá lớn{size}: tối đa {limit / 1e6:g} triệu điểm ảnh.",
        f"The image is too large{size}: at most {limit / 1e6:g} megapixels.",
        reason="too-many-pixels", limit=limit)


# --- JSON --------------------------------------------------------------------------------------

class JsonTooDeep(ValueError):
    """JSON nested deeper than allowed (a ``ValueError``, as malformed JSON is)."""


def load_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH, **options: Any) -> Any:
    """Parse JSON text (``options`` go to :func:`json.loads`); :class:`JsonTooDeep` when
    objects and arrays nest deeper than ``max_depth``, ``ValueError`` when it is not JSON."""
    try:
        value = json.loads(raw, **options)
    except RecursionError as exc:
        raise JsonTooDeep(f"JSON nested too deeply (at most {max_depth} levels)") from exc
    check_json_depth(value, max_depth)
    return value


def check_json_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """:class:`JsonTooDeep` when objects and arrays nest deeper than ``max_depth`` (walked
    without recursion)."""
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise JsonTooDeep(f"JSON nested too deeply (at most {max_depth} levels)")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
