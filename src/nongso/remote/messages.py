"""Labels of the remote-sensing pages and answers (Vietnamese first, English second)."""

from __future__ import annotations

from nongso.core import i18n

i18n.register({
    "nav.remote": {"vi": "Viễn thám", "en": "Remote sensing"},
    "remote.title": {"vi": "Viễn thám: lúa theo xã", "en": "Remote sensing: rice by commune"},
    "remote.intro": {
        "vi": "Ảnh radar (VH, 12 ngày) và NDVI (10 ngày, có mây) thu gọn theo từng thửa; ngày "
              "gieo sạ, trỗ, thu hoạch ước tính từ chuỗi thời gian và đối chiếu với nhật ký.",
        "en": "Radar (VH, every 12 days) and NDVI (every 10 days, with clouds) reduced per "
              "field; sowing, heading and harvest estimated from the time series and checked "
              "against the diaries."},
    "remote.scenes": {"vi": "Ảnh đã đăng ký", "en": "Registered scenes"},
    "remote.commune": {"vi": "Xã", "en": "Commune"},
    "remote.fields": {"vi": "Thửa", "en": "Fields"},
    "remote.rice_fields": {"vi": "Thửa lúa", "en": "Rice fields"},
    "remote.rice_area": {"vi": "Diện tích lúa (ha)", "en": "Rice area (ha)"},
    "remote.by_season": {"vi": "Theo vụ (ha)", "en": "By season (ha)"},
    "remote.open": {"vi": "Chênh lệch chờ kiểm tra", "en": "Differences to check"},
    "remote.differences": {"vi": "Chênh lệch với số liệu khai báo",
                           "en": "Differences with the declarations"},
    "remote.kind": {"vi": "Loại", "en": "Kind"},
    "remote.season": {"vi": "Vụ", "en": "Season"},
    "remote.declared": {"vi": "Khai báo", "en": "Declared"},
    "remote.observed": {"vi": "Viễn thám", "en": "Remote sensing"},
    "remote.difference": {"vi": "Chênh", "en": "Difference"},
    "remote.status": {"vi": "Trạng thái", "en": "Status"},
    "remote.accept": {"vi": "Chấp nhận viễn thám", "en": "Accept remote sensing"},
    "remote.reject": {"vi": "Giữ khai báo", "en": "Keep declared"},
    "remote.reopen": {"vi": "Mở lại", "en": "Reopen"},
    "remote.none": {"vi": "Không có chênh lệch.", "en": "No differences."},
    "remote.field": {"vi": "Thửa", "en": "Field"},
    "remote.is_rice": {"vi": "Lúa", "en": "Rice"},
    "remote.not_rice": {"vi": "Không phải lúa", "en": "Not rice"},
    "remote.sowing": {"vi": "Gieo sạ", "en": "Sowing"},
    "remote.heading": {"vi": "Trỗ", "en": "Heading"},
    "remote.harvest": {"vi": "Thu hoạch", "en": "Harvest"},
    "remote.curve": {"vi": "Đường cong VH (dB) và NDVI", "en": "VH (dB) and NDVI curves"},
    "remote.no_data": {"vi": "Chưa có số liệu viễn thám cho thửa này.",
                       "en": "No remote-sensing data for this field yet."},
    "remote.record": {"vi": "Hồ sơ thửa", "en": "Field record"},
    "remote.choose": {"vi": "Chọn xã", "en": "Choose a commune"},
    "remote.days": {"vi": "ngày", "en": "days"},
    "remote.note": {"vi": "Ghi chú", "en": "Note"},
})

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
