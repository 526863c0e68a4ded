"""The market's reference data, read from ``data/`` (each file's source in ``data/SOURCES.md``):
products with their plausible price ranges, trade units, expected yields, parameters."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "farm_gate": ("Giá tại ruộng/vườn", "Farm gate"),
    "wholesale": ("Giá bán buôn", "Wholesale"),
    "retail": ("Giá bán lẻ", "Retail"),
    "export": ("Giá xuất khẩu", "Export"),
}
EQUIPMENT_KINDS: dict[str, tuple[str, str]] = {
    "drone": ("Máy bay phun thuốc (drone)", "Spraying drone"),
    "combine": ("Máy gặt đập liên hợp", "Combine harvester"),
    "tractor": ("Máy cày", "Tractor"),
    "dryer": ("Máy sấy", "Dryer"),
    "pump": ("Máy bơm", "Pump"),
}
CERTIFICATIONS: dict[str, tuple[str, str]] = {
    "vietgap": ("VietGAP", "VietGAP"),
    "globalgap": ("GlobalG.A.P.", "GlobalG.A.P."),
    "organic": ("Hữu cơ", "Organic"),
    "planting_area_code": ("Mã số vùng trồng (xuất khẩu)", "Planting-area code (export)"),
}


@dataclass(frozen=True)
class Product:
    code: str
    crop: str
    form: str  # paddy_fresh | paddy_dry | milled | fresh
    variety_group: str
    name_vi: str
    name_en: str
    min_vnd_kg: float
    max_vnd_kg: float
    sibling: str | None

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    @property
    def is_paddy(self) -> bool:
        return self.form.startswith("paddy")


@dataclass(frozen=True)
class TradeUnit:
    code: str
    kg: float
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Settings:
    ipa_gamma: float
    ipa_watch: float
    ipa_alert: float
    ipa_min_years: int
    ipa_max_age_months: int
    forecast_horizon: int
    forecast_windows: int
    forecast_step: int
    booking_adjacent_gap_m: float
    booking_max_days: int


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache
def products() -> dict[str, Product]:
    out = {}
    for r in _rows("products.csv"):
        out[r["code"]] = Product(
            code=r["code"], crop=r["crop"], form=r["form"], variety_group=r["variety_group"],
            name_vi=r["name_vi"], name_en=r["name_en"], min_vnd_kg=float(r["min_vnd_kg"]),
            max_vnd_kg=float(r["max_vnd_kg"]), sibling=r["sibling"] or None)
    return out


def product(code: str) -> Product | None:
    return products().get(code)


@lru_cache
def trade_units() -> dict[str, TradeUnit]:
    return {r["code"]: TradeUnit(r["code"], float(r["kg"]),
                                 tuple(a.strip() for a in r["aliases"].split(";") if a.strip()),
                                 r["source"])
            for r in _rows("units.csv")}


@lru_cache
def expected_yields() -> dict[tuple[str, str], float]:
    """t/ha by (crop, season kind); the season kind "" is the crop's default."""
    return {(r["crop"], r["season_kind"]): float(r["t_per_ha"])
            for r in _rows("expected_yields.csv")}


def expected_yield(crop: str, season_kind: str | None) -> float | None:
    table = expected_yields()
    return table.get((crop, season_kind or "")) or table.get((crop, ""))


@lru_cache
def settings() -> Settings:
    v = {r["setting"]: float(r["value"]) for r in _rows("settings.csv")}
    return Settings(
        ipa_gamma=v["ipa_gamma"], ipa_watch=v["ipa_watch"], ipa_alert=v["ipa_alert"],
        ipa_min_years=int(v["ipa_min_years"]), ipa_max_age_months=int(v["ipa_max_age_months"]),
        forecast_horizon=int(v["forecast_horizon"]), forecast_windows=int(v["forecast_windows"]),
        forecast_step=int(v["forecast_step"]),
        booking_adjacent_gap_m=v["booking_adjacent_gap_m"],
        booking_max_days=int(v["booking_max_days"]))


def level_label(level: str, lang: str) -> str:
    vi, en = LEVEL_LABELS.get(level, (level, level))
    return vi if lang == "vi" else en
