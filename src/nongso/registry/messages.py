"""Texts of the registry and the map (Vietnamese first, English second)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nongso.core import i18n
from nongso.core.i18n import format_date, format_datetime, format_number

KIND_LABELS: dict[str, tuple[str, str]] = {
    # production units
    "field_block": ("Cánh đồng lớn", "Large field block"),
    "dyke_ring": ("Ô bao (vùng đê bao)", "Dyke-ringed area (ô bao)"),
    "plot": ("Thửa ruộng", "Plot"),
    "planting_area": ("Mã số vùng trồng", "Planting-area code"),
    "orchard": ("Vườn cây ăn trái", "Orchard"),
    "livestock_farm": ("Trang trại chăn nuôi", "Livestock farm"),
    "aquaculture": ("Vùng nuôi trồng thủy sản", "Aquaculture area"),
    "raw_material_area": ("Vùng nguyên liệu", "Raw-material area"),
    # organisations
    "cooperative": ("Hợp tác xã", "Co-operative"),
    "coop_group": ("Tổ hợp tác", "Co-operative group"),
    "farmer_club": ("Hội quán", "Farmer club (Hội quán)"),
    "company": ("Doanh nghiệp", "Company"),
    "input_dealer": ("Đại lý vật tư nông nghiệp", "Input dealer"),
    "processor": ("Cơ sở chế biến", "Processor"),
    "buyer": ("Doanh nghiệp thu mua, phân phối", "Buyer / distributor"),
    "exporter": ("Doanh nghiệp xuất khẩu", "Exporter"),
    # infrastructure
    "pumping_station": ("Trạm bơm", "Pumping station"),
    "sluice": ("Cống", "Sluice"),
    "dyke_segment": ("Đoạn đê", "Dyke segment"),
    "monitoring_station": ("Trạm quan trắc", "Monitoring station"),
    # soil
    "soil_unit": ("Đơn vị đất", "Soil map unit"),
    "alluvial": ("Đất phù sa", "Alluvial soil"),
    "acid_sulphate": ("Đất phèn", "Acid sulphate soil"),
    "saline": ("Đất mặn", "Saline soil"),
    "sandy_ridge": ("Đất cát giồng", "Sandy ridge soil"),
    "peat": ("Đất than bùn", "Peat soil"),
    # boundaries
    "province": ("Tỉnh", "Province"),
    "commune": ("Xã, phường", "Commune"),
}

STATION_LABELS: dict[str, tuple[str, str]] = {
    "salinity": ("Đo mặn", "Salinity"),
    "hydrological": ("Thủy văn", "Hydrological"),
    "weather": ("Khí tượng", "Weather"),
    "water_quality": ("Chất lượng nước", "Water quality"),
    "light_trap": ("Bẫy đèn", "Light trap"),
}

CROP_LABELS: dict[str, tuple[str, str]] = {
    "rice": ("Lúa", "Rice"),
    "mango": ("Xoài", "Mango"),
    "durian": ("Sầu riêng", "Durian"),
    "pomelo": ("Bưởi", "Pomelo"),
    "longan": ("Nhãn", "Longan"),
    "dragon_fruit": ("Thanh long", "Dragon fruit"),
    "rambutan": ("Chôm chôm", "Rambutan"),
    "coconut": ("Dừa", "Coconut"),
    "citrus": ("Cây có múi", "Citrus"),
    "jackfruit": ("Mít", "Jackfruit"),
    "vegetables": ("Rau màu", "Vegetables"),
    "sweet_potato": ("Khoai lang", "Sweet potato"),
    "chili": ("Ớt", "Chili"),
    "lotus": ("Sen", "Lotus"),
    "pangasius": ("Cá tra", "Pangasius"),
    "giant_prawn": ("Tôm càng xanh", "Giant freshwater prawn"),
    "whiteleg_shrimp": ("Tôm thẻ chân trắng", "Whiteleg shrimp"),
    "black_tiger_shrimp": ("Tôm sú", "Black tiger shrimp"),
    "snakehead": ("Cá lóc", "Snakehead fish"),
    "pig": ("Heo", "Pig"),
    "cattle": ("Bò", "Cattle"),
    "duck": ("Vịt", "Duck"),
    "chicken": ("Gà", "Chicken"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "active": ("Đang hiệu lực", "Active"),
    "expired": ("Hết hạn", "Expired"),
    "suspended": ("Tạm ngừng", "Suspended"),
    "revoked": ("Bị thu hồi", "Revoked"),
    "retired": ("Ngừng sử dụng", "Retired"),
    "valid": ("Còn hạn", "Valid"),
}

FLAG_LABELS: dict[str, tuple[str, str]] = {
    "declared_area_mismatch": ("Diện tích kê khai lệch > 10 %", "Declared area off by > 10 %"),
    "overlap": ("Chồng lấn vùng trồng khác", "Overlaps another planting area"),
    "commune_mismatch": ("Xã kê khai không khớp vị trí", "Declared commune does not match"),
}

SALINITY_LABELS: dict[str, tuple[str, str]] = {
    "non_saline": ("Không mặn", "Non-saline"),
    "slight": ("Mặn ít", "Slightly saline"),
    "moderate": ("Mặn trung bình", "Moderately saline"),
    "strong": ("Mặn nhiều", "Strongly saline"),
}


# The properties of a map record, as its page names them.
PROPERTY_LABELS: dict[str, tuple[str, str]] = {
    "kind": ("Loại", "Type"),
    "subtype": ("Loại trạm / công trình", "Station or structure type"),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "commune_code": ("Mã xã", "Commune code"),
    "commune_name": ("Xã / phường", "Commune"),
    "province_code": ("Mã tỉnh", "Province code"),
    "location": ("Vị trí", "Location"),
    "crop": ("Cây trồng", "Crop"),
    "variety": ("Giống", "Variety"),
    "area_ha": ("Diện tích tính từ bản đồ (ha)", "Area from the map (ha)"),
    "declared_area_ha": ("Diện tích kê khai (ha)", "Declared area (ha)"),
    "export_market": ("Thị trường xuất khẩu", "Export market"),
    "species": ("Loài vật nuôi", "Species"),
    "head_count": ("Số con", "Head count"),
    "water_surface_ha": ("Diện tích mặt nước (ha)", "Water surface (ha)"),
    "organisation_id": ("Mã tổ chức", "Organisation id"),
    "organisation_name": ("Tổ chức", "Organisation"),
    "parent_id": ("Thuộc (mã)", "Part of (id)"),
    "status": ("Trạng thái", "Status"),
    "valid_from": ("Hiệu lực từ", "Valid from"),
    "valid_to": ("Hiệu lực đến", "Valid to"),
    "updated_at": ("Cập nhật lúc", "Updated at"),
    "version": ("Phiên bản", "Version"),
    "address": ("Địa chỉ", "Address"),
    "phone": ("Điện thoại", "Phone"),
    "tax_code": ("Mã số thuế", "Tax code"),
    "licence_no": ("Số giấy phép", "Licence number"),
    "licence_expiry": ("Giấy phép hết hạn", "Licence expiry"),
    "licence_status": ("Tình trạng giấy phép", "Licence status"),
    "river": ("Sông", "River"),
    "length_m": ("Chiều dài (m)", "Length (m)"),
    "attributes": ("Thuộc tính khác", "Other attributes"),
    "soil_type": ("Loại đất", "Soil type"),
    "ph": ("pH", "pH"),
    "organic_matter_pct": ("Chất hữu cơ (%)", "Organic matter (%)"),
    "salinity_class": ("Cấp mặn", "Salinity class"),
    "source": ("Nguồn", "Source"),
    "farmer_id": ("Mã nông hộ", "Farmer id"),
    "farmer_name": ("Nông hộ", "Farmer"),
    "level": ("Cấp", "Level"),
    "area_km2": ("Diện tích (km²)", "Area (km²)"),
    "official_area_km2": ("Diện tích chính thức (km²)", "Official area (km²)"),
    "synthetic": ("Ranh giới mô phỏng", "Synthesised boundary"),
}

def label(table: dict[str, tuple[str, str]], code: str | None, lang: str) -> str:
    if code is None:
        return ""
    vi, en = table.get(code, (code, code))
    return vi if lang == "vi" else en


_VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": KIND_LABELS, "soil_type": KIND_LABELS, "subtype": STATION_LABELS,
    "crop": CROP_LABELS, "status": STATUS_LABELS, "licence_status": STATUS_LABELS,
    "salinity_class": SALINITY_LABELS,
}


def _value_text(key: str, value: Any, lang: str) -> str:
    """A property's value as the page shows it: labels for codes, dd/mm/yyyy dates,
    Vietnamese decimal commas."""
    if key in _VALUE_LABELS and isinstance(value, str):
        return label(_VALUE_LABELS[key], value, lang)
    if isinstance(value, bool):
        return ("Có" if value else "Không") if lang == "vi" else ("Yes" if value else "No")
    if isinstance(value, float):
        return format_number(value, lang, 2 if abs(value) < 1000 else 0)
    if isinstance(value, int) and not key.endswith("_id") and key != "version":
        return format_number(value, lang)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return format_date(dt.date.fromisoformat(value), lang)
            return format_datetime(dt.datetime.fromisoformat(value.replace("Z", "+00:00")),
                                   lang)
        except ValueError:
            return value
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def property_rows(props: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """(key, label, value) of the properties a record page lists, empty ones left out."""
    return [(k, label(PROPERTY_LABELS, k, lang), _value_text(k, v, lang))
            for k, v in props.items() if v not in (None, "", [], {}) and k != "flags"]


MESSAGES: dict[str, dict[str, str]] = {
    "nav.map": {"vi": "Bản đồ số", "en": "Digital map"},
    "nav.registry_import": {"vi": "Nhập dữ liệu bản đồ", "en": "Import map data"},
    "import.title": {"vi": "Nhập dữ liệu bản đồ từ tệp", "en": "Import map data from a file"},
    "import.help": {
        "vi": "GeoJSON, KML/KMZ, Shapefile nén .zip (mọi hệ tọa độ, kể cả VN-2000), CSV hoặc "
              "Excel có cột vĩ độ/kinh độ. Tệp có dòng lỗi sẽ không được nhập, trừ khi chọn "
              "«chỉ nhập các dòng hợp lệ».",
        "en": "GeoJSON, KML/KMZ, zipped Shapefile (any CRS, VN-2000 included), CSV or Excel with "
              "latitude/longitude columns. A file with bad rows imports nothing unless you "
              "choose 'import only the valid rows'.",
    },
    "import.file": {"vi": "Tệp", "en": "File"},
    "import.collection": {"vi": "Loại dữ liệu", "en": "Data"},
    "import.kind": {"vi": "Loại mặc định (nếu tệp không ghi)",
                    "en": "Default kind (if the file has none)"},
    "import.only_valid": {"vi": "Chỉ nhập các dòng hợp lệ", "en": "Import only the valid rows"},
    "import.dry_run": {"vi": "Chỉ kiểm tra, chưa lưu", "en": "Check only, do not store"},
    "import.submit": {"vi": "Nhập", "en": "Import"},
    "import.done": {"vi": "Đã nhập", "en": "Imported"},
    "import.checked": {"vi": "Kiểm tra xong: hợp lệ", "en": "Checked: valid"},
    "import.rows": {"vi": "dòng", "en": "rows"},
    "import.errors": {"vi": "Các dòng lỗi", "en": "Rows with errors"},
    "import.row": {"vi": "Dòng", "en": "Row"},
    "import.field": {"vi": "Cột", "en": "Column"},
    "import.message": {"vi": "Lỗi", "en": "Problem"},
    "map.title": {"vi": "Bản đồ số nông nghiệp", "en": "Digital agriculture map"},
    "map.layers": {"vi": "Lớp bản đồ", "en": "Layers"},
    "map.filters": {"vi": "Bộ lọc", "en": "Filters"},
    "map.commune": {"vi": "Xã, phường", "en": "Commune"},
    "map.all_communes": {"vi": "Tất cả xã, phường", "en": "All communes"},
    "map.kind": {"vi": "Loại", "en": "Type"},
    "map.all_kinds": {"vi": "Tất cả các loại", "en": "All types"},
    "map.crop": {"vi": "Cây trồng, vật nuôi", "en": "Crop or species"},
    "map.all_crops": {"vi": "Tất cả", "en": "All"},
    "map.search": {"vi": "Tìm theo tên hoặc mã (có thể gõ không dấu)",
                   "en": "Search by name or code"},
    "map.as_of": {"vi": "Xem theo ngày", "en": "As of"},
    "map.as_of_hint": {"vi": "Để trống: hiện tại", "en": "Empty: today"},
    "map.apply": {"vi": "Áp dụng", "en": "Apply"},
    "map.reset": {"vi": "Xoá bộ lọc", "en": "Clear filters"},
    "map.legend": {"vi": "Chú giải", "en": "Legend"},
    "map.loading": {"vi": "Đang tải…", "en": "Loading…"},
    "map.shown": {"vi": "Đang hiển thị", "en": "Shown"},
    "map.clustered": {"vi": "Thu nhỏ: số đối tượng theo ô lưới — phóng to để xem chi tiết.",
                      "en": "Zoomed out: counts per grid cell — zoom in for details."},
    "map.synthetic": {
        "vi": "Ranh giới xã trên bản đồ là ranh giới MÔ PHỎNG (dựng từ tọa độ trung tâm chính "
              "thức của các xã), chưa có ranh giới xã mở sau sáp nhập 2025.",
        "en": "Commune boundaries on this map are SYNTHETIC (built from the communes' official "
              "centre points): no open post-2025 commune boundaries exist yet.",
    },
    "map.record": {"vi": "Xem hồ sơ", "en": "Open record"},
    "map.no_basemap": {"vi": "Chưa cấu hình bản đồ nền: bản đồ chỉ vẽ ranh giới tỉnh và xã "
                             "(không cần Internet).",
                       "en": "No basemap configured: the map draws the province and commune "
                             "outlines only (works offline)."},
    "map.layer.production_units": {"vi": "Vùng sản xuất", "en": "Production units"},
    "map.layer.planting_areas": {"vi": "Mã số vùng trồng", "en": "Planting-area codes"},
    "map.layer.organisations": {"vi": "HTX, tổ hợp tác, hội quán",
                                "en": "Co-operatives, groups, clubs"},
    "map.layer.businesses": {"vi": "Doanh nghiệp, đại lý", "en": "Businesses, dealers"},
    "map.layer.infrastructure": {"vi": "Hạ tầng thủy lợi, quan trắc",
                                 "en": "Irrigation and monitoring infrastructure"},
    "map.layer.soil_units": {"vi": "Thổ nhưỡng", "en": "Soil map"},
    "record.title": {"vi": "Hồ sơ", "en": "Record"},
    "record.history": {"vi": "Lịch sử thay đổi", "en": "History"},
    "record.version": {"vi": "Phiên bản", "en": "Version"},
    "record.valid_from": {"vi": "Hiệu lực từ", "en": "Valid from"},
    "record.valid_to": {"vi": "Đến", "en": "Until"},
    "record.change": {"vi": "Thay đổi", "en": "Change"},
    "record.actor": {"vi": "Người thực hiện", "en": "By"},
    "record.flags": {"vi": "Cảnh báo dữ liệu", "en": "Data warnings"},
    "record.properties": {"vi": "Thông tin", "en": "Attributes"},
    "record.map": {"vi": "Xem trên bản đồ", "en": "Show on the map"},
    "record.sensors": {"vi": "Cảm biến gắn với trạm", "en": "Sensors linked to this station"},
    "record.no_sensors": {"vi": "Chưa có cảm biến nào gắn với trạm này.",
                          "en": "No sensor is linked to this station yet."},
    "change.create": {"vi": "Tạo mới", "en": "Created"},
    "change.update": {"vi": "Cập nhật", "en": "Updated"},
    "change.delete": {"vi": "Xoá", "en": "Deleted"},
    "ogc.title": {"vi": "Dữ liệu bản đồ mở (OGC API – Features)",
                  "en": "Open map data (OGC API – Features)"},
    "ogc.description": {
        "vi": "Sổ đăng bạ vùng sản xuất, doanh nghiệp, hạ tầng và thổ nhưỡng của tỉnh theo chuẩn "
              "OGC API – Features (GeoJSON). Không có dữ liệu cá nhân.",
        "en": "The province's registry of production units, businesses, infrastructure and soils "
              "as OGC API – Features (GeoJSON). No personal data.",
    },
    "ogc.collections": {"vi": "Tập dữ liệu", "en": "Collections"},
    "ogc.conformance": {"vi": "Các lớp tuân thủ", "en": "Conformance classes"},
    "ogc.items": {"vi": "Đối tượng", "en": "Items"},
    "ogc.queryables": {"vi": "Thuộc tính truy vấn được", "en": "Queryables"},
    "ogc.next": {"vi": "Trang sau", "en": "Next page"},
    "ogc.returned": {"vi": "Số đối tượng trả về", "en": "Items returned"},
    "ogc.api": {"vi": "Mô tả API (OpenAPI 3.0)", "en": "API definition (OpenAPI 3.0)"},
    "ogc.extent": {"vi": "Phạm vi", "en": "Extent"},
}

i18n.register(MESSAGES)
