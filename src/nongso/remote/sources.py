"""Where scenes come from: a small interface with a registry of named implementations.

The platform ships one real source, ``local`` (a folder of COGs, e.g. the province's shared
drive synchronised from its image provider). An object store or a STAC catalogue becomes
another class registered by name; tests register a fake. Nothing is downloaded at run time by
the platform itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nongso.core.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class SceneFile:
    """A file a source offers: a stable URI (what is registered), a local path to read, and
    a fingerprint of its content (a changed file is a new scene)."""

    uri: str
    path: Path
    fingerprint: str


class SceneSource(Protocol):
    kind: str

    def scenes(self) -> list[SceneFile]:
        """Every scene file the source offers now, in a stable order."""
        ...


def fingerprint(path: Path) -> str:
    """Size, modification time and a hash of the first 64 KiB (the COG header and tags)."""
    st = path.stat()
    with path.open("rb") as fh:
        head = fh.read(65536)
    digest = hashlib.sha256(head).hexdigest()[:16]
    return f"{st.st_size}-{int(st.st_mtime)}-{digest}"


class LocalFolderSource:
    """The GeoTIFFs (``*.tif``, ``*.tiff``) under a folder, recursively."""

    kind = "local"

    def __init__(self, location: str) -> None:
        self.root = Path(location).expanduser()
        if not self.root.is_dir():
            raise ValidationFailed(
                f"Thư mục ảnh «{location}» không tồn tại.",
                f"The scene folder '{location}' does not exist.",
                [FieldError("location", "Không tồn tại", "Does not exist")])

    def scenes(self) -> list[SceneFile]:
        files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in (".tif", ".tiff")
                       and p.is_file())
        return [SceneFile(p.resolve().as_uri(), p, fingerprint(p)) for p in files]


SourceFactory = Callable[[str], SceneSource]
_SOURCES: dict[str, SourceFactory] = {"local": LocalFolderSource}


def register_source(kind: str, factory: SourceFactory) -> None:
    """Make a source available by name (an object store, a STAC catalogue, a test fake)."""
    _SOURCES[kind] = factory


def source_kinds() -> list[str]:
    return sorted(_SOURCES)


def open_source(kind: str, location: str) -> SceneSource:
    factory = _SOURCES.get(kind)
    if factory is None:
        raise ValidationFailed(
            f"Nguồn ảnh «{kind}» không có (có: {', '.join(source_kinds())}).",
            f"Unknown scene source '{kind}' (available: {', '.join(source_kinds())}).",
            [FieldError("source", "Không có", "Unknown")])
    return factory(location)
