"""The versioned file store of the published catalogue (under ``var/opendata``).

Layout::

    datasets/{id}/v{k}/            one version of a dataset: its files and meta.json
    catalog/v{n}/                  catalogue version n: catalog.jsonld, catalog.ttl, build.json
    catalog/CURRENT                the number of the current catalogue version
    .build.lock                    held while a build runs

Everything is written into a hidden temporary directory beside its final place and renamed
when complete, and ``CURRENT`` is replaced atomically last: a reader always sees a complete
version (the previous one while a build runs), and an interrupted build leaves only a
temporary directory that nothing lists and the next build removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from nongso.opendata.schemas import CatalogueVersionPublic, DatasetVersionPublic

_VERSION_DIR = re.compile(r"^v(\d+)$")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class BuildBusy(Exception):
    """Another build holds the lock."""


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    # --- locking ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".build.lock").open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BuildBusy() from exc
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # --- writing ---------------------------------------------------------------------------

    def temp_dir(self, parent: Path) -> Path:
        parent.mkdir(parents=True, exist_ok=True)
        path = parent / f".tmp-{uuid.uuid4().hex}"
        path.mkdir()
        return path

    def publish_dir(self, temp: Path, final: Path) -> None:
        """Make a complete temporary directory the final one (one rename)."""
        for f in temp.iterdir():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():  # left by an earlier, interrupted run before its CURRENT moved
            shutil.rmtree(final)
        temp.rename(final)

    def write_current(self, version: int) -> None:
        path = self.root / "catalog" / "CURRENT"
        temp = path.with_name(f".CURRENT-{uuid.uuid4().hex}")
        temp.write_text(str(version), encoding="ascii")
        with temp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)

    def clean_temporary(self) -> int:
        """Remove what interrupted builds left (only while holding the lock)."""
        removed = 0
        for pattern in ("datasets/*/.tmp-*", "catalog/.tmp-*", "catalog/.CURRENT-*"):
            for path in self.root.glob(pattern):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
        return removed

    # --- reading ---------------------------------------------------------------------------

    def dataset_dir(self, dataset_id: str, version: int) -> Path:
        if not _SAFE.match(dataset_id):
            raise ValueError(dataset_id)
        return self.root / "datasets" / dataset_id / f"v{version}"

    def catalogue_dir(self, version: int) -> Path:
        return self.root / "catalog" / f"v{version}"

    def current(self) -> int | None:
        try:
            return int((self.root / "catalog" / "CURRENT").read_text(encoding="ascii"))
        except (FileNotFoundError, ValueError):
            return None

    def catalogue_versions(self) -> list[int]:
        return self._versions(self.root / "catalog")

    def dataset_versions(self, dataset_id: str) -> list[int]:
        if not _SAFE.match(dataset_id):
            return []
        return self._versions(self.root / "datasets" / dataset_id)

    @staticmethod
    def _versions(parent: Path) -> list[int]:
        if not parent.is_dir():
            return []
        return sorted(int(m.group(1)) for p in parent.iterdir()
                      if p.is_dir() and (m := _VERSION_DIR.match(p.name)))

    def catalogue(self, version: int) -> CatalogueVersionPublic | None:
        path = self.catalogue_dir(version) / "build.json"
        if not path.is_file():
            return None
        return CatalogueVersionPublic.model_validate_json(path.read_bytes())

    def catalogue_file(self, version: int, name: str) -> Path | None:
        path = self.catalogue_dir(version) / name
        return path if path.is_file() else None

    def dataset_meta(self, dataset_id: str, version: int) -> DatasetVersionPublic | None:
        try:
            path = self.dataset_dir(dataset_id, version) / "meta.json"
        except ValueError:
            return None
        if not path.is_file():
            return None
        return DatasetVersionPublic.model_validate_json(path.read_bytes())

    def latest_dataset_meta(self, dataset_id: str) -> DatasetVersionPublic | None:
        versions = self.dataset_versions(dataset_id)
        return self.dataset_meta(dataset_id, versions[-1]) if versions else None

    def dataset_file(self, dataset_id: str, version: int, file_name: str) -> Path | None:
        if not _SAFE.match(file_name):
            return None
        try:
            path = self.dataset_dir(dataset_id, version) / file_name
        except ValueError:
            return None
        return path if path.is_file() else None

    # --- pruning ---------------------------------------------------------------------------

    def prune(self, keep: int) -> list[str]:
        """Keep the last ``keep`` catalogue versions and every dataset version they name (and
        at least the two latest versions of each dataset); remove the rest."""
        removed: list[str] = []
        versions = self.catalogue_versions()
        kept = versions[-keep:]
        needed: dict[str, set[int]] = {}
        for n in kept:
            cat = self.catalogue(n)
            for ds in cat.datasets if cat else []:
                needed.setdefault(ds.id, set()).add(ds.version)
                if ds.previous_version:
                    needed[ds.id].add(ds.previous_version)
        for n in versions[:-keep]:
            shutil.rmtree(self.catalogue_dir(n), ignore_errors=True)
            removed.append(f"catalog/v{n}")
        datasets = self.root / "datasets"
        for folder in sorted(datasets.iterdir()) if datasets.is_dir() else []:
            ds_versions = self._versions(folder)
            for v in ds_versions[:-2]:
                if v not in needed.get(folder.name, set()):
                    shutil.rmtree(folder / f"v{v}", ignore_errors=True)
                    removed.append(f"datasets/{folder.name}/v{v}")
        return removed
