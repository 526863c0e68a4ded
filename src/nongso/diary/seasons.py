"""Season names and crop years (pure): "Đông Xuân 2025-2026", "Hè Thu 2026", "Niên vụ 2026".

Đông Xuân is sown in November–January and harvested in February–April: it always belongs to
the crop year that starts in the autumn ("Đông Xuân 2025-2026" even when sown on 5 January
2026). Thu Đông crosses a year only when its harvest falls in the next year. The calendar is
the Mekong Delta's usual rice seasons (primary document not yet cited).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from nongso.core.i18n import fold

SEASON_KINDS: dict[str, tuple[str, str]] = {
    "dong_xuan": ("Đông Xuân", "Winter–spring"),
    "he_thu": ("Hè Thu", "Summer–autumn"),
    "thu_dong": ("Thu Đông", "Autumn–winter"),
    "xuan_he": ("Xuân Hè", "Spring–summer"),
    "vu_thuan": ("Vụ thuận", "Main season"),
    "vu_nghich": ("Vụ nghịch", "Off-season"),
    "nien_vu": ("Niên vụ", "Crop year"),
}


class SeasonError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class CropYear:
    kind: str
    year_start: int
    year_end: int

    @property
    def key(self) -> str:
        return season_key(self.kind, self.year_start, self.year_end)

    def label(self, lang: str = "vi") -> str:
        return season_label(self.kind, self.year_start, self.year_end, lang)


def season_key(kind: str, year_start: int, year_end: int) -> str:
    return f"{kind}:{year_start}-{year_end}" if year_end != year_start else f"{kind}:{year_start}"


def season_label(kind: str, year_start: int, year_end: int, lang: str = "vi") -> str:
    vi, en = SEASON_KINDS[kind]
    name = vi if lang == "vi" else en
    years = f"{year_start}-{year_end}" if year_end != year_start else f"{year_start}"
    return f"{name} {years}"


def infer_crop_year(kind: str, sowing: dt.date, harvest: dt.date | None = None) -> CropYear:
    """The crop year of a season from its sowing (and expected harvest) date."""
    if kind not in SEASON_KINDS:
        raise SeasonError(f"Loại vụ «{kind}» không hợp lệ.", f"Unknown season kind '{kind}'.")
    if kind == "dong_xuan":
        start = sowing.year if sowing.month >= 8 else sowing.year - 1
        return CropYear(kind, start, start + 1)
    end = harvest.year if harvest is not None else sowing.year
    if end < sowing.year:
        end = sowing.year
    return CropYear(kind, sowing.year, end)


def check_crop_year(kind: str, year_start: int, year_end: int) -> None:
    if kind not in SEASON_KINDS:
        raise SeasonError(f"Loại vụ «{kind}» không hợp lệ.", f"Unknown season kind '{kind}'.")
    if not 1990 <= year_start <= 2100 or year_end not in (year_start, year_start + 1):
        raise SeasonError(
            "Năm của vụ không hợp lệ (năm kết thúc phải bằng năm bắt đầu hoặc năm sau).",
            "Invalid crop year (the end year must be the start year or the next one).",
        )
    if kind == "dong_xuan" and year_end != year_start + 1:
        raise SeasonError(
            "Vụ Đông Xuân kéo dài qua hai năm, ví dụ «Đông Xuân 2025-2026».",
            "The winter–spring season spans two years, e.g. 'Đông Xuân 2025-2026'.",
        )


_LABEL = re.compile(r"^(?P<name>[a-z ]+?)\s*(?P<y1>\d{4})(\s*[-–/]\s*(?P<y2>\d{2}|\d{4}))?$")
_BY_NAME = {fold(vi): kind for kind, (vi, _) in SEASON_KINDS.items()} | {
    fold(en): kind for kind, (_, en) in SEASON_KINDS.items()} | {
    "dx": "dong_xuan", "ht": "he_thu", "td": "thu_dong", "xh": "xuan_he",
    "vu dong xuan": "dong_xuan", "vu he thu": "he_thu", "vu thu dong": "thu_dong",
    "winter spring": "dong_xuan", "summer autumn": "he_thu", "autumn winter": "thu_dong",
}


def parse_label(text: str) -> CropYear:
    """"Đông Xuân 2025-2026", "dong xuan 2025-26", "Hè Thu 2026", "DX 2025-2026"."""
    folded = fold(text).replace("–", "-")
    folded = folded.replace("winter-spring", "winter spring").replace(
        "summer-autumn", "summer autumn").replace("autumn-winter", "autumn winter")
    m = _LABEL.match(folded)
    kind = _BY_NAME.get(m.group("name").strip()) if m else None
    if m is None or kind is None:
        raise SeasonError(
            f"Không hiểu tên vụ «{text}» (ví dụ: «Đông Xuân 2025-2026», «Hè Thu 2026»).",
            f"Cannot read the season '{text}' (e.g. 'Đông Xuân 2025-2026', 'Hè Thu 2026').",
        )
    y1 = int(m.group("y1"))
    y2_text = m.group("y2")
    if y2_text is None:
        y2 = y1 + 1 if kind == "dong_xuan" else y1
    elif len(y2_text) == 2:
        y2 = (y1 // 100) * 100 + int(y2_text)
    else:
        y2 = int(y2_text)
    check_crop_year(kind, y1, y2)
    return CropYear(kind, y1, y2)
