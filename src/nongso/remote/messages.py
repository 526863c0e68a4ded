"""Labels of the remote-sensing pages and answers (Vietnamese first, English second)."""

from __future__ import annotations

KIND_LABELS: dict[str, tuple[str, str]] = {
    "sowing_date": ("Ngày gieo sạ khác", "Sowing date differs"),
    "harvest_date": ("Ngày thu hoạch khác", "Harvest date differs"),
    "sown_area": ("Diện tích gieo sạ khác", "Sown area differs"),
    "declared_rice_bare": ("Khai báo lúa nhưng ruộng trống", "Declared rice but bare"),
    "rice_not_declared": ("Có lúa nhưng chưa khai báo", "Rice seen but not declared"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "open": ("Chờ kiểm tra", "To check"),
    "accepted": ("Chấp nhận số liệu viễn thám", "Remote sensing accepted"),
    "rejected": ("Giữ số liệu khai báo", "Declared value kept"),
}
SEASON_LABELS: dict[str, tuple[str, str]] = {
    "dong_xuan": ("Đông Xuân", "Winter–spring"),
    "xuan_he": ("Xuân Hè", "Spring–summer"),
    "he_thu": ("Hè Thu", "Summer–autumn"),
    "thu_dong": ("Thu Đông", "Autumn–winter"),
    "period": ("Cả kỳ quan sát", "Whole observed period"),
}
NOTE_LABELS: dict[str, tuple[str, str]] = {
    "": ("", ""),
    "insufficient-data": ("Chưa đủ ảnh radar", "Not enough radar dates"),
    "no-flood": ("Không thấy ngập nước khi gieo (không phải lúa)",
                 "No flooding at sowing (not rice)"),
    "flood-without-canopy": ("Ngập nước nhưng không có cây lúa (ao, ruộng bỏ trống)",
                             "Flooded without a canopy (pond, idle field)"),
}


def label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    vi, en = table.get(key, (key, key))
    return vi if lang == "vi" else en


def season_label(key: str, lang: str) -> str:
    kind, _, years = key.partition(":")
    if kind == "period":
        start, _, end = years.partition("/")
        return f"{label(SEASON_LABELS, 'period', lang)} ({start} – {end})"
    return f"{label(SEASON_LABELS, kind, lang)} {years}"
