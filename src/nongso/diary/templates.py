"""Season templates per crop (pure): the typical activities of a season, in days after sowing.

Read from ``data/templates.csv`` (sources in ``data/SOURCES.md``). A fruit crop without its
own template uses the "fruit" one.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from nongso.diary.schemas import TemplatePublic, TemplateStep

FRUIT = frozenset({"mango", "durian", "pomelo", "longan", "dragon_fruit", "rambutan",
                   "citrus", "coconut", "fruit"})


@dataclass(frozen=True)
class Step:
    day: int
    kind: str
    title_vi: str
    title_en: str
    input_name: str | None
    quantity_per_ha: float | None
    unit: str | None


@dataclass(frozen=True)
class Template:
    code: str
    crop: str
    season_kind: str | None
    name_vi: str
    name_en: str
    steps: tuple[Step, ...]

    def public(self, lang: str = "vi") -> TemplatePublic:
        return TemplatePublic(
            code=self.code, crop=self.crop, season_kind=self.season_kind,
            name=self.name_vi if lang == "vi" else self.name_en,
            steps=[TemplateStep(day=s.day, kind=s.kind,
                                title=s.title_vi if lang == "vi" else s.title_en,
                                input_name=s.input_name, quantity_per_ha=s.quantity_per_ha,
                                unit=s.unit) for s in self.steps])


@lru_cache
def all_templates() -> tuple[Template, ...]:
    with resources.files("nongso.diary").joinpath("data", "templates.csv").open(
            encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_code.setdefault(r["template_code"], []).append(r)
    out = []
    for code, steps in by_code.items():
        first = steps[0]
        out.append(Template(
            code=code, crop=first["crop"], season_kind=first["season_kind"] or None,
            name_vi=first["name_vi"], name_en=first["name_en"],
            steps=tuple(sorted((Step(
                day=int(r["day"]), kind=r["kind"], title_vi=r["title_vi"],
                title_en=r["title_en"], input_name=r["input_name"] or None,
                quantity_per_ha=float(r["quantity_per_ha"]) if r["quantity_per_ha"] else None,
                unit=r["unit"] or None) for r in steps), key=lambda s: s.day)),
        ))
    return tuple(out)


def get(code: str) -> Template | None:
    return next((t for t in all_templates() if t.code == code), None)


def for_crop(crop: str) -> Template | None:
    """The template of a crop (fruit crops share the orchard template)."""
    found = next((t for t in all_templates() if t.crop == crop), None)
    if found is None and crop in FRUIT:
        found = next((t for t in all_templates() if t.crop == "fruit"), None)
    return found
