"""Vietnamese first, English second: message catalogue, language negotiation, formatting."""

from __future__ import annotations

import datetime as dt
import unicodedata

LANGUAGES = ("vi", "en")

# Messages of the web shell. Domains add theirs with ``register``.
_CATALOG: dict[str, dict[str, str]] = {
    "app.name": {"vi": "Nông Số", "en": "Nông Số"},
    "app.tagline": {
        "vi": "Nền tảng nông nghiệp số của tỉnh",
        "en": "The province's digital-agriculture platform",
    },
    "nav.home": {"vi": "Trang chủ", "en": "Home"},
    "nav.units": {"vi": "Đơn vị hành chính", "en": "Administrative units"},
    "nav.audit": {"vi": "Nhật ký thay đổi", "en": "Audit log"},
    "nav.api": {"vi": "API", "en": "API"},
    "nav.login": {"vi": "Đăng nhập", "en": "Log in"},
    "nav.logout": {"vi": "Đăng xuất", "en": "Log out"},
    "nav.menu": {"vi": "Danh mục", "en": "Menu"},
    "login.title": {"vi": "Đăng nhập", "en": "Log in"},
    "login.username": {"vi": "Tên đăng nhập", "en": "Username"},
    "login.password": {"vi": "Mật khẩu", "en": "Password"},
    "login.submit": {"vi": "Đăng nhập", "en": "Log in"},
    "login.failed": {
        "vi": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "en": "Wrong username or password.",
    },
    "login.welcome": {"vi": "Xin chào", "en": "Welcome"},
    "home.title": {"vi": "Tổng quan tỉnh", "en": "Province overview"},
    "home.communes": {"vi": "Xã, phường", "en": "Communes and wards"},
    "home.cooperatives": {"vi": "Hợp tác xã", "en": "Co-operatives"},
    "home.coop_groups": {"vi": "Tổ hợp tác", "en": "Co-operative groups"},
    "home.farmers": {"vi": "Nông hộ", "en": "Farmers"},
    "home.fields": {"vi": "Thửa ruộng, vườn", "en": "Fields and orchards"},
    "home.area": {"vi": "Diện tích canh tác (ha)", "en": "Cultivated area (ha)"},
    "home.by_commune": {"vi": "Theo xã, phường", "en": "By commune"},
    "home.today": {"vi": "Tình hình hôm nay", "en": "Today"},
    "home.open_alerts": {"vi": "Cảnh báo đang diễn ra", "en": "Open alerts"},
    "home.all_alerts": {"vi": "Xem tất cả cảnh báo", "en": "All alerts"},
    "home.stations": {"vi": "Trạm quan trắc", "en": "Monitoring stations"},
    "home.station.ok": {"vi": "bình thường", "en": "normal"},
    "home.station.warning": {"vi": "cảnh báo", "en": "warning"},
    "home.station.alarm": {"vi": "báo động", "en": "alarm"},
    "home.station.silent": {"vi": "mất tín hiệu", "en": "silent"},
    "home.station.no_data": {"vi": "chưa có số liệu", "en": "no data"},
    "home.no_alerts": {"vi": "Không có cảnh báo nào đang diễn ra.", "en": "No open alerts."},
    "home.demo_note": {
        "vi": "Dữ liệu mô phỏng: tên người và thửa ruộng là hư cấu; địa danh và mã đơn vị "
        "hành chính là thật.",
        "en": "Synthetic data: people and fields are invented; place names and administrative "
        "codes are real.",
    },
    "units.search": {"vi": "Tìm đơn vị (có thể gõ không dấu)", "en": "Search units"},
    "units.code": {"vi": "Mã", "en": "Code"},
    "units.name": {"vi": "Tên", "en": "Name"},
    "units.type": {"vi": "Loại", "en": "Type"},
    "units.area": {"vi": "Diện tích (km²)", "en": "Area (km²)"},
    # Types of administrative units (stored in Vietnamese, as the official lists write them).
    "units.type.Tỉnh": {"vi": "Tỉnh", "en": "Province"},
    "units.type.Thành phố": {"vi": "Thành phố", "en": "City"},
    "units.type.Phường": {"vi": "Phường", "en": "Ward"},
    "units.type.Xã": {"vi": "Xã", "en": "Commune"},
    "units.type.Đặc khu": {"vi": "Đặc khu", "en": "Special zone"},
    "units.type.Quận": {"vi": "Quận", "en": "Urban district"},
    "units.type.Huyện": {"vi": "Huyện", "en": "District"},
    "units.type.Thị xã": {"vi": "Thị xã", "en": "Town"},
    "units.type.Thị trấn": {"vi": "Thị trấn", "en": "Township"},
    "units.predecessors": {"vi": "Đơn vị cũ (trước 01/07/2025)", "en": "Former units"},
    "units.children": {"vi": "Đơn vị trực thuộc", "en": "Subordinate units"},
    "common.search": {"vi": "Tìm", "en": "Search"},
    "common.none": {"vi": "Không có dữ liệu", "en": "No data"},
    "common.total": {"vi": "Tổng", "en": "Total"},
    "common.language": {"vi": "Ngôn ngữ", "en": "Language"},
    "common.back": {"vi": "Quay lại", "en": "Back"},
    "error.title": {"vi": "Có lỗi", "en": "Something went wrong"},
    "error.not_found": {"vi": "Không tìm thấy trang.", "en": "Page not found."},
    "error.forbidden": {"vi": "Bạn không có quyền xem trang này.", "en": "You may not see this."},
    "error.csrf": {
        "vi": "Phiên làm việc đã hết hạn, vui lòng thử lại.",
        "en": "Your session expired, please try again.",
    },
    "audit.when": {"vi": "Thời điểm", "en": "When"},
    "audit.who": {"vi": "Người thực hiện", "en": "Who"},
    "audit.action": {"vi": "Thao tác", "en": "Action"},
    "audit.entity": {"vi": "Đối tượng", "en": "Entity"},
    "audit.changes": {"vi": "Thay đổi", "en": "Changes"},
}


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add a domain's messages to the catalogue (each key with at least vi and en)."""
    for key, texts in messages.items():
        if "vi" not in texts or "en" not in texts:
            raise ValueError(f"message {key!r} needs vi and en")
        _CATALOG[key] = texts


def translate(key: str, lang: str) -> str:
    texts = _CATALOG.get(key)
    if texts is None:
        return key
    return texts.get(lang) or texts["vi"]


def negotiate(accept_language: str | None, default: str = "vi") -> str:
    """Pick vi or en from an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for p in pieces[1:]:
            p = p.strip()
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def fold(text: str) -> str:
    """Accent- and case-insensitive form: "Đồng Tháp" -> "dong thap"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.lower().split())


def format_date(value: dt.date | dt.datetime | None, lang: str = "vi") -> str:
    """dd/mm/yyyy in the UI (both languages, as the province writes dates)."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None, lang: str = "vi") -> str:
    if value is None:
        return ""
    local = value.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return local.strftime("%d/%m/%Y %H:%M")


def format_number(value: float | int | None, lang: str = "vi", digits: int = 0,
                  trim: bool = False) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English; ``trim`` drops trailing zeros of the
    decimals (1,5 rather than 1,50; 2 rather than 2,00)."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    if trim and digits:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
