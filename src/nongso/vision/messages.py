"""Texts of the photo diagnosis and scanning pages (Vietnamese first, English second)."""

from __future__ import annotations

from nongso.core import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "nav.vision": {"vi": "Chẩn đoán qua ảnh", "en": "Photo diagnosis"},
    "nav.scan": {"vi": "Quét mã", "en": "Scan a code"},
    "vision.title": {"vi": "Chẩn đoán sâu bệnh qua ảnh", "en": "Pest and disease photo diagnosis"},
    "vision.take": {"vi": "Chụp ảnh cây lúa có triệu chứng", "en": "Photograph the sick plant"},
    "vision.take_help": {
        "vi": "Chụp gần một lá hoặc khóm lúa (20–30 cm), đủ sáng, rõ nét. Ảnh được lưu cùng "
              "lần thăm đồng trong nhật ký.",
        "en": "Take a close-up of one leaf or hill (20–30 cm), in good light and in focus. The "
              "photo is kept with a scouting record of your diary."},
    "vision.plot": {"vi": "Thửa ruộng", "en": "Plot"},
    "vision.photo": {"vi": "Ảnh", "en": "Photo"},
    "vision.notes": {"vi": "Ghi chú", "en": "Notes"},
    "vision.consent": {
        "vi": "Tôi đồng ý cho Sở Nông nghiệp dùng ảnh này (không kèm tên tôi) để huấn luyện mô "
              "hình nhận dạng và chia sẻ trong bộ dữ liệu mở, giấy phép CC BY 4.0. Có thể rút "
              "lại bất cứ lúc nào.",
        "en": "I agree that the agriculture department may use this photo (without my name) to "
              "train the recognition model and share it in the open dataset, licence CC BY "
              "4.0. I can withdraw this at any time."},
    "vision.send": {"vi": "Gửi ảnh và chẩn đoán", "en": "Send and diagnose"},
    "vision.no_plot": {"vi": "Bạn chưa có thửa ruộng nào trong nhật ký.",
                       "en": "You have no plot in the diary yet."},
    "vision.my_photos": {"vi": "Ảnh đã gửi", "en": "Photos sent"},
    "vision.result": {"vi": "Kết quả chẩn đoán", "en": "Diagnosis"},
    "vision.top3": {"vi": "Ba khả năng cao nhất", "en": "The three most likely"},
    "vision.advice": {"vi": "Xem hướng dẫn", "en": "See the advice"},
    "vision.accuracy": {"vi": "Độ chính xác thực tế của mô hình",
                        "en": "The model's field accuracy"},
    "vision.accuracy_text": {
        "vi": "Đo trên {n} ảnh ruộng đã được cán bộ xác nhận, không dùng để huấn luyện: mô hình "
              "trả lời {coverage} số ảnh và đúng {right} trong số đó; đúng trong ba khả năng "
              "đầu {top3}.",
        "en": "Measured on {n} field photos confirmed by staff and not used for training: the "
              "model answers {coverage} of them and is right on {right} of its answers; the "
              "right label is in its top three {top3} of the time."},
    "vision.accuracy_synthetic": {
        "vi": "Lưu ý: mô hình trình diễn này học từ ảnh tổng hợp, không phải ảnh ruộng thật.",
        "en": "Note: this demonstration model learnt from synthetic images, not real field "
              "photos."},
    "vision.non_crop": {
        "vi": "Từ chối chẩn đoán {rate} ảnh không phải cây lúa ({n} ảnh thử).",
        "en": "Declines to diagnose {rate} of photos that are not of rice ({n} test photos)."},
    "vision.no_model": {"vi": "Chưa có mô hình nhận dạng.", "en": "No recognition model yet."},
    "vision.status.pending": {"vi": "Chờ xác nhận", "en": "Awaiting review"},
    "vision.status.confirmed": {"vi": "Đã xác nhận", "en": "Confirmed"},
    "vision.status.rejected": {"vi": "Ảnh không dùng được", "en": "Unusable"},
    "vision.label": {"vi": "Nhãn", "en": "Label"},
    "vision.review": {"vi": "Duyệt ảnh (bảo vệ thực vật)", "en": "Review (plant protection)"},
    "vision.queue_empty": {"vi": "Không có ảnh nào chờ duyệt.", "en": "No photo awaits review."},
    "vision.confirm": {"vi": "Xác nhận nhãn", "en": "Confirm the label"},
    "vision.reject": {"vi": "Ảnh không dùng được", "en": "Unusable photo"},
    "vision.model_says": {"vi": "Mô hình đề xuất", "en": "The model suggests"},
    "vision.abstained": {"vi": "Mô hình không kết luận", "en": "The model abstained"},
    "vision.dataset": {"vi": "Bộ dữ liệu ảnh đã xác nhận", "en": "The confirmed photo dataset"},
    "vision.dataset_help": {
        "vi": "Chỉ gồm ảnh đã xác nhận mà nông dân đồng ý chia sẻ; giấy phép {licence}.",
        "en": "Only confirmed photos whose farmers agreed to share them; licence {licence}."},
    "vision.in_dataset": {"vi": "Trong bộ dữ liệu", "en": "In the dataset"},
    "vision.without_consent": {"vi": "Không có sự đồng ý", "en": "Without consent"},
    "vision.download": {"vi": "Tải bộ dữ liệu (ZIP)", "en": "Download the dataset (ZIP)"},
    "vision.consent_yes": {"vi": "Đồng ý chia sẻ", "en": "Shared with consent"},
    "vision.consent_no": {"vi": "Không chia sẻ", "en": "Not shared"},
    "vision.advice_title": {"vi": "Sâu bệnh hại lúa: nhận biết và xử lý",
                            "en": "Rice pests and diseases: recognise and act"},
    "vision.symptoms": {"vi": "Triệu chứng", "en": "Symptoms"},
    "vision.what_to_do": {"vi": "Nên làm gì", "en": "What to do"},
    "vision.threshold": {"vi": "Ngưỡng", "en": "Threshold"},
    "vision.no_threshold": {"vi": "Dữ liệu tham chiếu không có ngưỡng cho bệnh này.",
                            "en": "The reference data has no threshold for this one."},
    "vision.source": {"vi": "Nguồn", "en": "Source"},
    "scan.title": {"vi": "Quét mã vạch, mã QR", "en": "Scan a barcode or QR code"},
    "scan.help": {
        "vi": "Quét mã QR truy xuất trên bao bì, mã vạch trên chai thuốc, bao phân hoặc mã số "
              "vùng trồng. Việc đọc mã diễn ra ngay trên điện thoại, không cần mạng Internet.",
        "en": "Scan the traceability QR code on a pack, the barcode on a bottle of pesticide or "
              "a bag of fertiliser, or a planting-area code. The code is read on the phone "
              "itself, without the Internet."},
    "scan.start": {"vi": "Bật máy ảnh", "en": "Start the camera"},
    "scan.stop": {"vi": "Tắt máy ảnh", "en": "Stop the camera"},
    "scan.file": {"vi": "Hoặc chọn ảnh có mã", "en": "Or choose a photo of the code"},
    "scan.server": {"vi": "Gửi ảnh lên máy chủ để đọc", "en": "Send the photo to the server"},
    "scan.no_camera": {"vi": "Không mở được máy ảnh; hãy chọn ảnh có mã.",
                       "en": "The camera cannot be opened; choose a photo of the code."},
    "scan.reading": {"vi": "Đang đọc mã…", "en": "Reading the code…"},
    "scan.not_found": {"vi": "Không thấy mã trong ảnh.", "en": "No code found in the photo."},
    "scan.open": {"vi": "Mở", "en": "Open"},
    "scan.record": {"vi": "Ghi vào nhật ký", "en": "Record in the diary"},
    "scan.quantity": {"vi": "Lượng dùng", "en": "Quantity"},
    "scan.unit": {"vi": "Đơn vị", "en": "Unit"},
    "scan.when": {"vi": "Ngày", "en": "Date"},
    "scan.recorded": {"vi": "Đã ghi vào nhật ký.", "en": "Recorded in the diary."},
}

i18n.register(MESSAGES)
