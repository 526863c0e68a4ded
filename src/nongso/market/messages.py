"""Texts of the market pages (Vietnamese first, English second)."""

from __future__ import annotations

from nongso.core import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "nav.market": {"vi": "Giá nông sản", "en": "Market prices"},
    "nav.trade": {"vi": "Kết nối cung – cầu", "en": "Supply and demand"},
    "nav.catalogue": {"vi": "Sản phẩm (gian hàng)", "en": "Product catalogue"},
    "nav.equipment": {"vi": "Máy móc dùng chung", "en": "Shared equipment"},
    "market.title": {"vi": "Giá nông sản và cảnh báo giá bất thường",
                     "en": "Farm prices and price anomaly warnings"},
    "market.method": {
        "vi": "Cảnh báo theo chỉ số bất thường giá (IPA) của FAO GIEWS: IPA = 0,4·z(tăng trưởng "
              "quý) + 0,6·z(tăng trưởng năm), so với cùng tháng các năm trước. Bình thường < 0,5; "
              "cần theo dõi 0,5–1; bất thường ≥ 1. Không cảnh báo khi số liệu cũ hơn 2 tháng "
              "hoặc tháng đó có ít hơn 3 năm số liệu.",
        "en": "Warnings follow FAO GIEWS's Indicator of Price Anomalies (IPA): IPA = "
              "0.4·z(quarterly growth) + 0.6·z(annual growth), against the same month of "
              "earlier years. Normal < 0.5; watch 0.5–1; abnormal ≥ 1. No warning from data "
              "older than two months or from fewer than three years of that month."},
    "market.warnings": {"vi": "Cảnh báo hiện tại", "en": "Current warnings"},
    "market.no_warnings": {"vi": "Không có giá nào bất thường.", "en": "No abnormal price."},
    "market.all_series": {"vi": "Tất cả chuỗi giá", "en": "All price series"},
    "market.product": {"vi": "Mặt hàng", "en": "Product"},
    "market.level": {"vi": "Cấp thị trường", "en": "Market level"},
    "market.place": {"vi": "Nơi", "en": "Place"},
    "market.month": {"vi": "Tháng", "en": "Month"},
    "market.price": {"vi": "Giá (đ/kg)", "en": "Price (VND/kg)"},
    "market.status": {"vi": "Tình trạng", "en": "Status"},
    "market.why": {"vi": "Giải thích", "en": "Why"},
    "market.status.normal": {"vi": "bình thường", "en": "normal"},
    "market.status.watch": {"vi": "cần theo dõi", "en": "watch"},
    "market.status.alert": {"vi": "bất thường", "en": "abnormal"},
    "market.status.stale": {"vi": "số liệu cũ", "en": "old data"},
    "market.status.insufficient_history": {"vi": "chưa đủ năm", "en": "too few years"},
    "market.status.missing_lag": {"vi": "thiếu giá", "en": "missing prices"},
    "market.status.no_variation": {"vi": "không biến động", "en": "no variation"},
    "market.status.no_data": {"vi": "chưa có giá", "en": "no price"},
    "market.history": {"vi": "Giá bình quân tháng và IPA", "en": "Monthly mean price and IPA"},
    "market.forecast": {"vi": "Dự báo", "en": "Forecast"},
    "market.mase": {"vi": "Độ chính xác (MASE, so với cùng kỳ năm trước; < 1 là tốt hơn)",
                    "en": "Accuracy (MASE against the same period last year; < 1 is better)"},
    "market.model": {"vi": "Mô hình", "en": "Model"},
    "market.used": {"vi": "dùng", "en": "used"},
    "market.same_month": {"vi": "Cùng kỳ năm trước", "en": "Same period last year"},
    "market.output": {"vi": "Sản lượng theo vụ của xã", "en": "Seasonal output of a commune"},
    "market.quotes": {"vi": "số giá", "en": "quotes"},
    "market.open_series": {"vi": "Xem chuỗi giá", "en": "Open the series"},
    "trade.title": {"vi": "Kết nối cung – cầu", "en": "Supply and demand"},
    "trade.supplies": {"vi": "Nguồn cung (sản lượng dự kiến)", "en": "Supply (expected harvests)"},
    "trade.demands": {"vi": "Nhu cầu thu mua", "en": "Demand"},
    "trade.proposals": {"vi": "Đề xuất ghép nối", "en": "Proposed matches"},
    "trade.agreements": {"vi": "Thoả thuận", "en": "Agreements"},
    "trade.suggestions": {"vi": "Sản lượng dự kiến từ nhật ký",
                          "en": "Expected harvests from the diary"},
    "trade.run": {"vi": "Chạy ghép nối tối ưu", "en": "Run the optimal matching"},
    "trade.accept": {"vi": "Đồng ý", "en": "Accept"},
    "trade.decline": {"vi": "Từ chối", "en": "Decline"},
    "trade.seller": {"vi": "Bên bán", "en": "Seller"},
    "trade.buyer": {"vi": "Bên mua", "en": "Buyer"},
    "trade.volume": {"vi": "Khối lượng (kg)", "en": "Volume (kg)"},
    "trade.remaining": {"vi": "Còn lại (kg)", "en": "Left (kg)"},
    "trade.window": {"vi": "Thời gian", "en": "Window"},
    "trade.distance": {"vi": "Khoảng cách (km)", "en": "Distance (km)"},
    "trade.delivered": {"vi": "Đã giao (kg)", "en": "Delivered (kg)"},
    "trade.certifications": {"vi": "Chứng nhận", "en": "Certifications"},
    "trade.grade": {"vi": "Loại", "en": "Grade"},
    "trade.method": {
        "vi": "Ghép nối là bài toán tối ưu: khớp mặt hàng, loại, thời gian, khoảng cách và chứng "
              "nhận; trước hết tối đa khối lượng, sau đó ít vận chuyển nhất (kg·km).",
        "en": "Matching is an optimisation: product, grade, window, distance and certification "
              "must fit; first the most volume, then the least transport (kg·km)."},
    "catalogue.title": {"vi": "Sản phẩm của hợp tác xã và sản phẩm OCOP",
                        "en": "Co-operative and OCOP products"},
    "catalogue.trace": {"vi": "Truy xuất nguồn gốc", "en": "Traceability"},
    "catalogue.seller": {"vi": "Đơn vị bán", "en": "Seller"},
    "catalogue.feed": {"vi": "Dữ liệu cho sàn thương mại điện tử",
                       "en": "Feed for e-commerce platforms"},
    "catalogue.ocop_share": {"vi": "Sản phẩm OCOP đã lên sàn", "en": "OCOP products listed online"},
    "catalogue.contact": {"vi": "Liên hệ mua qua nền tảng (không đăng số điện thoại).",
                          "en": "Buyers contact the seller through the platform "
                                "(no phone numbers)."},
    "equipment.title": {"vi": "Máy móc dùng chung", "en": "Shared equipment"},
    "equipment.search": {"vi": "Tìm máy quanh thửa", "en": "Find machines around a field"},
    "equipment.field": {"vi": "Mã thửa", "en": "Field id"},
    "equipment.radius": {"vi": "Bán kính", "en": "Radius"},
    "equipment.kind": {"vi": "Loại máy", "en": "Kind"},
    "equipment.rate": {"vi": "Giá thuê", "en": "Rate"},
    "equipment.owner": {"vi": "Chủ máy", "en": "Owner"},
    "equipment.hours": {"vi": "Giờ máy", "en": "Hour meter"},
    "equipment.service_due": {"vi": "đến hạn bảo dưỡng", "en": "service due"},
    "equipment.calendar": {"vi": "Lịch máy", "en": "Calendar"},
    "equipment.book": {"vi": "Đặt máy", "en": "Book"},
    "equipment.fields": {"vi": "Các thửa (mã, cách nhau bởi dấu phẩy; thửa liền kề)",
                         "en": "Fields (ids, comma-separated; adjacent fields)"},
    "equipment.start": {"vi": "Bắt đầu", "en": "Start"},
    "equipment.end": {"vi": "Kết thúc", "en": "End"},
    "equipment.zone": {"vi": "Giờ nhập là giờ Việt Nam (Asia/Ho_Chi_Minh, UTC+7).",
                       "en": "Times are Vietnam time (Asia/Ho_Chi_Minh, UTC+7)."},
    "equipment.booked": {"vi": "Đã đặt máy", "en": "Booked"},
    "equipment.maintenance": {"vi": "bảo dưỡng", "en": "maintenance"},
    "equipment.booking": {"vi": "đã đặt", "en": "booked"},
    "equipment.distance": {"vi": "Cách (km)", "en": "Distance (km)"},
    "equipment.radius_km": {"vi": "Bán kính làm việc (km)", "en": "Working radius (km)"},
}

i18n.register(MESSAGES)
