"""Messages of the open-data pages (Vietnamese first, English second)."""

from nongso.core import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "nav.opendata": {"vi": "Dữ liệu mở", "en": "Open data"},
    "opendata.title": {"vi": "Dữ liệu mở nông nghiệp", "en": "Agricultural open data"},
    "opendata.intro": {
        "vi": "Dữ liệu của tỉnh công bố dưới dạng máy đọc được, theo chuẩn DCAT-AP 3.0.1. "
              "Không có dữ liệu cá nhân; số liệu tổng hợp của nhóm ít hộ bị ẩn.",
        "en": "The province's data published machine-readable, described in DCAT-AP 3.0.1. "
              "No personal data; aggregates of too few farms are suppressed."},
    "opendata.none": {"vi": "Chưa có danh mục nào được xuất bản.",
                      "en": "No catalogue has been published yet."},
    "opendata.catalogue": {"vi": "Danh mục (máy đọc)", "en": "Catalogue (machine-readable)"},
    "opendata.version": {"vi": "Phiên bản", "en": "Version"},
    "opendata.built": {"vi": "Xuất bản lúc", "en": "Published at"},
    "opendata.dataset": {"vi": "Tập dữ liệu", "en": "Dataset"},
    "opendata.rows": {"vi": "Số dòng", "en": "Rows"},
    "opendata.files": {"vi": "Tải về", "en": "Download"},
    "opendata.series": {"vi": "Chuỗi dữ liệu", "en": "Dataset series"},
    "opendata.licence": {"vi": "Giấy phép", "en": "Licence"},
    "opendata.publisher": {"vi": "Đơn vị công bố", "en": "Publisher"},
    "opendata.frequency": {"vi": "Tần suất cập nhật", "en": "Update frequency"},
    "opendata.temporal": {"vi": "Thời gian", "en": "Period"},
    "opendata.spatial": {"vi": "Phạm vi", "en": "Coverage"},
    "opendata.replaces": {"vi": "trước 01/07/2025 gồm", "en": "before 1 July 2025 made of"},
    "opendata.previous": {"vi": "Phiên bản trước", "en": "Previous version"},
    "opendata.notes": {"vi": "Ghi chú phiên bản", "en": "Version notes"},
    "opendata.size": {"vi": "Dung lượng", "en": "Size"},
    "opendata.checksum": {"vi": "SHA-256", "en": "SHA-256"},
    "opendata.keywords": {"vi": "Từ khóa", "en": "Keywords"},
    "opendata.share": {"vi": "Tỷ lệ cơ sở dữ liệu đã công bố", "en": "Share of databases "
                                                                      "published"},
}

i18n.register(MESSAGES)
