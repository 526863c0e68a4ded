"""Texts of the monitoring pages (Vietnamese first, English second)."""

from nongso.core import i18n

i18n.register({
    "nav.monitor": {"vi": "Quan trắc", "en": "Monitoring"},
    "monitor.title": {"vi": "Bản đồ trạm quan trắc", "en": "Monitoring stations"},
    "monitor.intro": {
        "vi": "Độ mặn, mực nước, bẫy đèn rầy nâu và thời tiết từ các trạm của tỉnh. Màu cho "
              "biết tình trạng trạm.",
        "en": "Salinity, water level, planthopper light traps and weather from the province's "
              "stations. The colour shows each station's status.",
    },
    "monitor.station": {"vi": "Trạm", "en": "Station"},
    "monitor.status": {"vi": "Tình trạng", "en": "Status"},
    "monitor.latest": {"vi": "Giá trị mới nhất", "en": "Latest values"},
    "monitor.at": {"vi": "Lúc", "en": "At"},
    "monitor.status.ok": {"vi": "Bình thường", "en": "Normal"},
    "monitor.status.warning": {"vi": "Cảnh báo", "en": "Warning"},
    "monitor.status.alarm": {"vi": "Báo động", "en": "Alarm"},
    "monitor.status.silent": {"vi": "Mất tín hiệu", "en": "Silent"},
    "monitor.status.no_data": {"vi": "Chưa có dữ liệu", "en": "No data"},
    "monitor.bridge": {"vi": "Cầu nối MQTT", "en": "MQTT bridge"},
    "monitor.bridge.connecting": {"vi": "đang kết nối", "en": "connecting"},
    "monitor.bridge.connected": {"vi": "đã kết nối", "en": "connected"},
    "monitor.bridge.disconnected": {"vi": "mất kết nối", "en": "disconnected"},
    "monitor.bridge.off": {"vi": "tắt (dữ liệu nhận qua HTTP)",
                           "en": "off (data accepted over HTTP)"},
    "monitor.chart": {"vi": "Biểu đồ 30 ngày (trung bình giờ, dải thấp–cao)",
                      "en": "30-day chart (hourly mean, low–high band)"},
    "monitor.days": {"vi": "Số ngày", "en": "Days"},
    "monitor.no_data": {"vi": "Chưa có dữ liệu trong khoảng này.",
                        "en": "No data in this period."},
    "monitor.sta": {"vi": "Dữ liệu theo chuẩn OGC SensorThings", "en": "OGC SensorThings data"},
    "monitor.alerts_here": {"vi": "Cảnh báo của trạm", "en": "Alerts of this station"},
    "monitor.registry_record": {"vi": "Hồ sơ trạm trong sổ đăng ký",
                                "en": "Station record in the registry"},
    "monitor.kind.salinity": {"vi": "Trạm đo mặn", "en": "Salinity station"},
    "monitor.kind.water_level": {"vi": "Trạm thủy văn", "en": "Hydrological station"},
    "monitor.kind.light_trap": {"vi": "Bẫy đèn", "en": "Light trap"},
    "monitor.kind.weather": {"vi": "Trạm khí tượng", "en": "Weather station"},
    "monitor.code.salinity": {"vi": "Độ mặn", "en": "Salinity"},
    "monitor.code.water_level": {"vi": "Mực nước", "en": "Water level"},
    "monitor.code.light_trap_count": {"vi": "Rầy vào đèn", "en": "Light-trap count"},
    "monitor.code.air_temperature": {"vi": "Nhiệt độ", "en": "Temperature"},
    "monitor.code.relative_humidity": {"vi": "Độ ẩm", "en": "Humidity"},
    "monitor.code.soil_moisture": {"vi": "Độ ẩm đất", "en": "Soil moisture"},
    "monitor.code.ph": {"vi": "pH", "en": "pH"},
})
