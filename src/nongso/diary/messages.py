"""Messages of the farm diary's pages (Vietnamese first, English second)."""

from nongso.core import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "nav.diary": {"vi": "Nhật ký sản xuất", "en": "Farm diary"},
    "nav.diary_coop": {"vi": "Nhật ký HTX", "en": "Co-op diary"},
    "nav.diary_area": {"vi": "Nhật ký theo xã", "en": "Diary by commune"},
    "diary.title": {"vi": "Nhật ký sản xuất", "en": "Farm diary"},
    "diary.my_plots": {"vi": "Thửa của tôi", "en": "My plots"},
    "diary.today_tasks": {"vi": "Việc hôm nay", "en": "Today's tasks"},
    "diary.last": {"vi": "Việc đã ghi gần đây", "en": "Last activities"},
    "diary.proposed": {"vi": "HTX đã ghi, chờ bạn xác nhận", "en": "Recorded by the co-op, "
                       "awaiting your confirmation"},
    "diary.record": {"vi": "Ghi công việc", "en": "Record an activity"},
    "diary.save": {"vi": "Lưu", "en": "Save"},
    "diary.sync": {"vi": "Đồng bộ ngay", "en": "Sync now"},
    "diary.pending": {"vi": "chờ gửi", "en": "waiting to be sent"},
    "diary.online": {"vi": "Đang trực tuyến", "en": "Online"},
    "diary.offline": {"vi": "Đang ngoại tuyến — dữ liệu được lưu trên máy", "en": "Offline — "
                      "records are kept on this phone"},
    "diary.refused": {"vi": "Bản ghi bị từ chối", "en": "Refused records"},
    "diary.refused_note": {"vi": "Máy chủ không nhận các bản ghi này. Sửa rồi lưu để gửi lại, "
                           "hoặc bỏ chúng.", "en": "The server did not accept these records. "
                           "Correct and save them to resend, or discard them."},
    "diary.conflicts": {"vi": "Xung đột cần bạn chọn", "en": "Conflicts to resolve"},
    "diary.safe_harvest": {"vi": "Thu hoạch an toàn từ", "en": "Safe to harvest from"},
    "diary.plot": {"vi": "Thửa", "en": "Plot"},
    "diary.season": {"vi": "Vụ", "en": "Season"},
    "diary.kind": {"vi": "Công việc", "en": "Activity"},
    "diary.date": {"vi": "Ngày", "en": "Date"},
    "diary.input": {"vi": "Vật tư", "en": "Input"},
    "diary.quantity": {"vi": "Số lượng", "en": "Quantity"},
    "diary.unit": {"vi": "Đơn vị", "en": "Unit"},
    "diary.harvest_kg": {"vi": "Sản lượng khi cân (kg)", "en": "Harvest as weighed (kg)"},
    "diary.harvest_dry_kg": {"vi": "Quy khô (kg; lúa ẩm độ 14 %)",
                             "en": "Dry (kg; rice at 14 % moisture)"},
    "diary.notes": {"vi": "Ghi chú", "en": "Notes"},
    "diary.flags": {"vi": "Vi phạm", "en": "Violations"},
    "diary.rule": {"vi": "Quy tắc", "en": "Rule"},
    "diary.source": {"vi": "Nguồn", "en": "Source"},
    "diary.compliant": {"vi": "Tuân thủ", "en": "Compliant"},
    "diary.not_compliant": {"vi": "Chưa tuân thủ", "en": "Not compliant"},
    "diary.members": {"vi": "Thành viên", "en": "Members"},
    "diary.plots": {"vi": "Thửa", "en": "Plots"},
    "diary.seasons": {"vi": "Vụ", "en": "Seasons"},
    "diary.season_count": {"vi": "Số vụ", "en": "Seasons"},
    "diary.status.planned": {"vi": "dự kiến", "en": "planned"},
    "diary.status.done": {"vi": "đã làm", "en": "done"},
    "diary.area": {"vi": "Diện tích (ha)", "en": "Area (ha)"},
    "diary.harvest_t": {"vi": "Sản lượng quy khô (tấn; lúa ẩm độ 14 %)",
                        "en": "Output, dry (t; rice at 14 % moisture)"},
    "diary.yield": {"vi": "Năng suất (t/ha; lúa khô 14 %)",
                    "en": "Yield (t/ha; rice as dry paddy, 14 %)"},
    "diary.yield_coop": {"vi": "Năng suất TB HTX (t/ha; lúa khô 14 %)",
                         "en": "Co-op average yield (t/ha; rice as dry paddy, 14 %)"},
    "diary.yield_commune": {"vi": "Năng suất TB xã (t/ha; lúa khô 14 %)",
                            "en": "Commune average yield (t/ha; rice as dry paddy, 14 %)"},
    "diary.dry_note": {"vi": "Lúa cân tươi lúc thu hoạch (ẩm độ 20–27 %); sản lượng và năng "
                       "suất quy về lúa khô ẩm độ 14 % như số liệu thống kê: khô = tươi × "
                       "(100 − ẩm độ) / 86.",
                       "en": "Paddy is weighed fresh at harvest (20–27 % moisture); output and "
                       "yields are dry paddy at 14 % moisture, as in the statistics: dry = "
                       "fresh × (100 − moisture) / 86."},
    "diary.activities": {"vi": "Công việc", "en": "Activities"},
    "diary.sprays": {"vi": "Lần phun", "en": "Sprays"},
    "diary.inputs_used": {"vi": "Vật tư đã dùng", "en": "Inputs used"},
    "diary.per_ha": {"vi": "Lượng/ha", "en": "Per ha"},
    "diary.dealers": {"vi": "Đại lý", "en": "Dealers"},
    "diary.farmer": {"vi": "Hộ", "en": "Farmer"},
    "diary.export_inputs": {"vi": "Tải tổng hợp vật tư (Excel)", "en": "Download input use "
                            "(Excel)"},
    "diary.export_harvest": {"vi": "Tải sản lượng theo thửa (Excel)", "en": "Download harvest "
                             "per plot (Excel)"},
    "diary.record_book": {"vi": "Sổ nhật ký VietGAP", "en": "VietGAP record book"},
    "diary.report": {"vi": "Báo cáo tuân thủ", "en": "Compliance report"},
    "diary.commune": {"vi": "Xã, phường", "en": "Commune"},
    "diary.choose_season": {"vi": "Chọn vụ", "en": "Choose a season"},
    "diary.import": {"vi": "Nhập từ Excel", "en": "Import from Excel"},
    "diary.template": {"vi": "Tải tệp mẫu", "en": "Download the template"},
    "diary.no_data": {"vi": "Chưa có dữ liệu nhật ký.", "en": "No diary data yet."},
    "diary.aggregates_note": {"vi": "Số liệu tổng hợp theo xã (không có thông tin cá nhân).",
                              "en": "Aggregates by commune (no personal data)."},
    "diary.install": {"vi": "Cài lên màn hình chính để dùng khi mất mạng.",
                      "en": "Add to the home screen to use it offline."},
}

i18n.register(MESSAGES)

i18n.register({
    "diary.bulk": {"vi": "Ghi một công việc cho nhiều thửa", "en": "Record one activity on "
                   "many plots"},
    "diary.bulk_note": {"vi": "Nông dân sẽ xác nhận hoặc sửa trên điện thoại của họ.",
                        "en": "Farmers confirm or edit it on their phones."},
    "diary.per_ha_qty": {"vi": "Lượng/ha", "en": "Rate per ha"},
    "diary.bulk_done": {"vi": "Đã ghi cho", "en": "Recorded on"},
    "diary.import_result": {"vi": "Kết quả nhập Excel", "en": "Excel import result"},
    "diary.mode_partial": {"vi": "Nhập các dòng đúng, bỏ qua dòng lỗi", "en": "Import the good "
                           "rows, skip the others"},
    "diary.rows_read": {"vi": "Số dòng đọc", "en": "Rows read"},
    "diary.rows_imported": {"vi": "Số dòng đã nhập", "en": "Rows imported"},
    "diary.rows_already": {"vi": "Đã có từ trước", "en": "Already imported"},
    "diary.upload": {"vi": "Tải lên", "en": "Upload"},
})

i18n.register({"diary.photo": {"vi": "Ảnh (tuỳ chọn)", "en": "Photo (optional)"}})

i18n.register({
    "diary.purchase": {"vi": "Ghi mua vật tư từ đại lý", "en": "Record inputs bought from a "
                       "dealer"},
    "diary.dealer": {"vi": "Đại lý vật tư", "en": "Input dealer"},
    "diary.lot": {"vi": "Số lô (trên bao bì)", "en": "Lot (on the package)"},
    "diary.bought": {"vi": "Đã ghi lần mua vật tư.", "en": "The purchase was recorded."},
    "diary.flagged_seasons": {"vi": "Vụ có vi phạm (trong phạm vi của bạn)", "en": "Seasons with "
                              "violations (in your scope)"},
})
