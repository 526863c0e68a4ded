"""The labels of photo diagnosis and the advice page of each pest or disease (pure: the data
file ``data/advice.csv`` with its sources in ``data/SOURCES.md``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Advice:
    label: str
    kind: str  # disease | pest | none
    name_vi: str
    name_en: str
    scientific: str
    symptoms_vi: str
    symptoms_en: str
    advice_vi: str
    advice_en: str
    threshold_vi: str
    threshold_en: str
    source: str

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def text(self, field: str, lang: str) -> str:
        value: str = getattr(self, f"{field}_{'vi' if lang == 'vi' else 'en'}")
        return value

    @property
    def url(self) -> str:
        return f"/vision/advice/{self.label}"


@cache
def catalogue() -> dict[str, Advice]:
    with resources.files("nongso.vision").joinpath("data", "advice.csv").open(
            encoding="utf-8") as f:
        return {row["label"]: Advice(**row) for row in csv.DictReader(f)}


def labels() -> tuple[str, ...]:
    """Every label staff may give, in the file's order (``not_crop`` included)."""
    return tuple(catalogue())


def name(label: str, lang: str) -> str:
    found = catalogue().get(label)
    return found.name(lang) if found else label
