"""Texts of the alert pages (Vietnamese first, English second)."""

from nongso.core import i18n

i18n.register({
    "nav.alerts": {"vi": "Cảnh báo", "en": "Alerts"},
    "alerts.title": {"vi": "Cảnh báo và khuyến cáo", "en": "Alerts and advisories"},
    "alerts.mine": {"vi": "Của tôi (xã, cây trồng của tôi)", "en": "Mine (my communes, crops)"},
    "alerts.all": {"vi": "Tất cả", "en": "All"},
    "alerts.open": {"vi": "Đang diễn ra", "en": "Ongoing"},
    "alerts.cleared": {"vi": "Đã kết thúc", "en": "Cleared"},
    "alerts.none": {"vi": "Không có cảnh báo nào.", "en": "No alerts."},
    "alerts.acknowledge": {"vi": "Đã nắm tin", "en": "Acknowledge"},
    "alerts.clear": {"vi": "Kết thúc", "en": "Clear"},
    "alerts.raised_at": {"vi": "Phát lúc", "en": "Raised"},
    "alerts.updated_at": {"vi": "Cập nhật", "en": "Updated"},
    "alerts.communes": {"vi": "Xã/phường", "en": "Communes"},
    "alerts.crops": {"vi": "Cây trồng", "en": "Crops"},
    "alerts.salinity_not_covered": {
        "vi": "Chưa có ngưỡng mặn (không được cảnh báo mặn)",
        "en": "Not covered (no salinity threshold: no salinity alert)"},
    "alerts.source": {"vi": "Nguồn quy tắc", "en": "Rule source"},
    "alerts.window": {"vi": "Thời gian", "en": "Period"},
    "alerts.escalated": {"vi": "Đã báo lên tỉnh", "en": "Escalated to the province"},
    "alerts.exercise": {"vi": "Dữ liệu mô phỏng", "en": "Simulated data"},
    "alerts.status.raised": {"vi": "Mới", "en": "Raised"},
    "alerts.status.acknowledged": {"vi": "Đã nắm tin", "en": "Acknowledged"},
    "alerts.status.cleared": {"vi": "Đã kết thúc", "en": "Cleared"},
    "alerts.severity.info": {"vi": "Khuyến cáo", "en": "Advisory"},
    "alerts.severity.minor": {"vi": "Nhẹ", "en": "Minor"},
    "alerts.severity.moderate": {"vi": "Trung bình", "en": "Moderate"},
    "alerts.severity.severe": {"vi": "Nghiêm trọng", "en": "Severe"},
    "alerts.severity.extreme": {"vi": "Rất nghiêm trọng", "en": "Extreme"},
    "alerts.cap": {"vi": "Bản tin CAP 1.2", "en": "CAP 1.2 message"},
    "alerts.feed": {"vi": "Nguồn tin CAP (Atom)", "en": "CAP feed (Atom)"},
    "alerts.filter": {"vi": "Lọc", "en": "Filter"},
    "alerts.filter.reset": {"vi": "Bỏ lọc", "en": "Show all"},
    "alerts.state": {"vi": "Trạng thái", "en": "State"},
    "alerts.severity": {"vi": "Mức độ", "en": "Severity"},
    "alerts.any": {"vi": "Tất cả", "en": "Any"},
    "alerts.status.open": {"vi": "Đang diễn ra", "en": "Ongoing"},
    "alerts.status.all": {"vi": "Tất cả", "en": "All"},
    "alerts.map": {"vi": "Bản đồ cảnh báo", "en": "Map of the alerts"},
    "alerts.map.none": {"vi": "Không có cảnh báo nào có vị trí trên bản đồ.",
                        "en": "None of these alerts has a place on the map."},
    "alerts.whole_province": {"vi": "Toàn tỉnh", "en": "The whole province"},
    "alerts.more_communes": {"vi": "và {n} xã/phường khác", "en": "and {n} more communes"},
    "alerts.details": {"vi": "Xem chi tiết", "en": "Details"},
    "alerts.crops_at_risk": {"vi": "Cây trồng bị ảnh hưởng", "en": "Crops at risk"},
    "alerts.crop": {"vi": "Cây trồng", "en": "Crop"},
    "alerts.safe": {"vi": "Ngưỡng an toàn (‰)", "en": "Safe maximum (‰)"},
    "alerts.ratio": {"vi": "Gấp (lần)", "en": "Times the safe maximum"},
    "alerts.advice": {"vi": "Khuyến cáo", "en": "Advice"},
})

# Crop codes of the registry and the rules, named for people.
CROPS: dict[str, tuple[str, str]] = {
    "rice": ("Lúa", "Rice"), "durian": ("Sầu riêng", "Durian"), "mango": ("Xoài", "Mango"),
    "pomelo": ("Bưởi", "Pomelo"), "longan": ("Nhãn", "Longan"),
    "dragon_fruit": ("Thanh long", "Dragon fruit"), "rambutan": ("Chôm chôm", "Rambutan"),
    "citrus": ("Cam, quýt", "Citrus"), "coconut": ("Dừa", "Coconut"),
    "jackfruit": ("Mít", "Jackfruit"), "vegetables": ("Rau màu", "Vegetables"),
    "pangasius": ("Cá tra (ao nuôi)", "Pangasius (fish ponds)"),
    "giant_prawn": ("Tôm càng xanh", "Giant freshwater prawn"),
    "snakehead": ("Cá lóc (ao nuôi)", "Snakehead (fish ponds)"),
    "whiteleg_shrimp": ("Tôm thẻ chân trắng", "Whiteleg shrimp"),
    "black_tiger_shrimp": ("Tôm sú", "Black tiger shrimp"),
}


def crop_name(code: str, lang: str) -> str:
    names = CROPS.get(code)
    return (names[0] if lang == "vi" else names[1]) if names else code
