"""Which trade item a crop or a processing output is (data/products.csv): pure lookups."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from nongso.core.i18n import fold


@dataclass(frozen=True)
class ProductSpec:
    kind: str
    name_vi: str
    name_en: str
    by_product: bool
    shelf_life_days: int | None


@lru_cache
def _catalogue() -> dict[str, ProductSpec]:
    out: dict[str, ProductSpec] = {}
    path = resources.files("nongso.trace").joinpath("data", "products.csv")
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[fold(row["key"])] = ProductSpec(
                kind=row["kind"], name_vi=row["name_vi"], name_en=row["name_en"],
                by_product=row["by_product"] == "1",
                shelf_life_days=int(row["shelf_life_days"]) if row["shelf_life_days"] else None,
            )
    return out


def product_spec(name: str, by_product: bool | None = None) -> ProductSpec:
    """The trade item of a crop code or product name; unknown names keep their own name.

    "gạo" → milled rice; "Trấu" → rice husk (a by-product); "xoài" and "mango" → fresh mango.
    """
    key = fold(name)
    catalogue = _catalogue()
    spec = catalogue.get(key)
    if spec is None:
        # "lúa khô 14%", "gạo ST25 túi 5kg": the longest catalogue name the text starts with,
        # keeping the producer's own wording as the product name.
        words = key.split(" ")
        for n in range(len(words) - 1, 0, -1):
            found = catalogue.get(" ".join(words[:n]))
            if found is not None:
                written = name.strip()
                spec = ProductSpec(found.kind, written[:1].upper() + written[1:300],
                                   f"{found.name_en} ({written})"[:300], found.by_product,
                                   found.shelf_life_days)
                break
    if spec is None:
        kind = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_") or "product"
        spec = ProductSpec(kind=kind[:50], name_vi=name.strip()[:300] or kind,
                           name_en=name.strip()[:300] or kind, by_product=bool(by_product),
                           shelf_life_days=None)
    elif by_product is not None and by_product != spec.by_product:
        spec = ProductSpec(spec.kind, spec.name_vi, spec.name_en, by_product,
                           spec.shelf_life_days)
    return spec


def with_variety(spec: ProductSpec, variety: str | None) -> tuple[str, str]:
    """Names of the product of one variety: "Lúa tươi ST25", "Fresh paddy ST25"."""
    if not variety:
        return spec.name_vi, spec.name_en
    return f"{spec.name_vi} {variety}", f"{spec.name_en} {variety}"
