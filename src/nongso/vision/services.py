"""Use cases of photo diagnosis and scanning.

Permissions (checked here):
- a farmer sends photos of his own plots (with a scouting record of the diary; the pixels are
  stored there, with the record), sees his photos and gives or withdraws his consent;
- plant-protection staff — commune officers for their commune, province officers for their
  province — review photos: confirm or correct the label, or reject an unusable photo;
- province officers and admins train a model, export the dataset and link GTINs to inputs;
- anyone logged in may ask for a diagnosis of a photo that is not stored, and scan codes.

The dataset is the confirmed photos whose farmer consented; nothing else is ever used to train
or exported. Other domains are reached through their services only (diary, registry, trace,
units).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import threading
import zipfile
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select, true, update

from nongso.core import audit, clock
from nongso.core.errors import AppError, FieldError, NotFound, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.diary.schemas import ActivityCreate, ActivityPublic
from nongso.registry import services as registry
from nongso.trace import services as trace
from nongso.units import services as units
from nongso.vision import advice, codes, features, imaging, quality, synthetic
from nongso.vision import messages as _messages  # noqa: F401  (registers the page texts)
from nongso.vision import model as vision_model
from nongso.vision.models import VisionInputCode, VisionModel, VisionPhoto
from nongso.vision.schemas import (
    Candidate,
    DatasetSummary,
    Diagnosis,
    FieldAccuracy,
    InputCodeCreate,
    InputCodePublic,
    LabelCount,
    ModelPublic,
    PhotoCreate,
    PhotoPublic,
    PhotoReview,
    ScannedInput,
    ScanResult,
)

LICENCE = "CC-BY-4.0"
MAX_UPLOAD_BYTES = imaging.MAX_UPLOAD_BYTES
REVIEW_ROLES = ("province_officer", "commune_officer")
TRAIN_ROLES = ("province_officer",)
SCAN_LONG_SIDE = 2400
NON_CROP_CHECK = 10  # synthetic non-crop photos of each kind to report the gate on


def _t(lang: str, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def _invalid(loc: str, vi: str, en: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError(loc, vi, en)], extra=extra or None)


# --- the classifier (loaded once per model and process) ------------------------------------

_runners: dict[int, vision_model.Classifier] = {}
_runners_lock = threading.Lock()


def _runner(row: VisionModel) -> vision_model.Classifier:
    with _runners_lock:
        found = _runners.get(row.id)
        if found is None:
            found = vision_model.Classifier(row.onnx, row.labels, row.confidence_threshold,
                                            row.ood_threshold)
            _runners.clear()  # only the active model is kept in memory
            _runners[row.id] = found
        return found


def _active(uow: UnitOfWork) -> VisionModel | None:
    return uow.session.scalar(select(VisionModel).where(VisionModel.active.is_(True))
                              .order_by(VisionModel.id.desc()).limit(1))


def _accuracy(row: VisionModel) -> FieldAccuracy:
    m = row.metrics
    return FieldAccuracy(
        model_id=row.id, trained_at=row.created_at, source=row.source, photos=row.photos,
        n_test=m["n_test"], coverage=m["coverage"],
        selective_accuracy=m["selective_accuracy"], accuracy=m["accuracy"],
        top3_accuracy=m["top3_accuracy"], non_crop_n=m.get("non_crop_n", 0),
        non_crop_abstain=m.get("non_crop_abstain"))


ABSTAIN_MESSAGES: dict[str, tuple[str, str]] = {
    "not_crop": ("Ảnh có vẻ không phải cây lúa nên hệ thống không chẩn đoán. Hãy chụp gần lá "
                 "lúa có triệu chứng.",
                 "The photo does not seem to show a rice plant, so no diagnosis is given. Take "
                 "a close-up of the rice leaf with the symptoms."),
    "low_confidence": ("Hệ thống chưa đủ chắc chắn để kết luận. Ảnh đã được gửi cho cán bộ bảo "
                       "vệ thực vật xem; hãy tham khảo các khả năng bên dưới.",
                       "The system is not sure enough to conclude. The photo goes to the "
                       "plant-protection staff; see the possibilities below."),
    "no_model": ("Chưa có mô hình nhận dạng; ảnh được gửi cho cán bộ bảo vệ thực vật xem.",
                 "There is no recognition model yet; the photo goes to the plant-protection "
                 "staff."),
}


def _diagnosis(row: VisionModel | None, top: Sequence[Sequence[Any]], abstain: str | None,
               lang: str) -> Diagnosis:
    candidates = [Candidate(label=str(k), name=advice.name(str(k), lang),
                            confidence=float(p), advice_url=f"/vision/advice/{k}")
                  for k, p in top]
    if abstain is not None:
        vi, en = ABSTAIN_MESSAGES[abstain]
        message, url = _t(lang, vi, en), None
    else:
        best = candidates[0]
        message = _t(lang, f"Có thể là: {best.name} (độ tin cậy {best.confidence:.0%}).",
                     f"Probably: {best.name} (confidence {best.confidence:.0%}).")
        url = best.advice_url
    return Diagnosis(model_id=row.id if row else None, top=candidates,
                     abstain=abstain,
                     message=message, advice_url=url,
                     accuracy=_accuracy(row) if row else None)


def _predict(uow: UnitOfWork, image: Any) -> tuple[VisionModel | None, list[list[Any]],
                                                   str | None]:
    row = _active(uow)
    if row is None:
        return None, [], "no_model"
    if row.feature_version != features.FEATURE_VERSION:
        return None, [], "no_model"
    prediction = _runner(row).predict(features.extract(image)[None, :])[0]
    return row, [[k, p] for k, p in prediction.top], prediction.abstain


def _checked_photo(content: bytes, long_side: int = imaging.STORE_LONG_SIDE
                   ) -> tuple[imaging.Photo, Any, quality.Measures]:
    """Decode safely and refuse a photo with a quality problem (422, nothing stored); the
    photo, its small copy for the checks and the classifier, and its measures."""
    photo = imaging.open_photo(content, long_side)
    small = imaging.analysis_copy(photo.image)
    measures = quality.measure(small)
    problems = quality.problems(measures)
    if problems:
        first = problems[0]
        raise _invalid("photo", first.message_vi, first.message_en,
                       problems=[p.code for p in problems], measures=measures.as_dict())
    return photo, small, measures


def diagnose(uow: UnitOfWork, content: bytes, lang: str = "vi") -> Diagnosis:
    """A diagnosis of a photo that is not stored (quality checks first)."""
    require_login(uow.principal)
    _, small, _ = _checked_photo(content, long_side=1024)
    with uow:
        row, top, abstain = _predict(uow, small)
        return _diagnosis(row, top, abstain, lang)


# --- advice pages -------------------------------------------------------------------------

def advice_pages() -> list[advice.Advice]:
    """The advice page of every label, in the data file's order."""
    return list(advice.catalogue().values())


def advice_page(label: str) -> advice.Advice:
    found = advice.catalogue().get(label)
    if found is None:
        raise NotFound(f"Không có trang hướng dẫn «{label[:40]}».",
                       f"There is no advice page '{label[:40]}'.")
    return found


def label_choices(lang: str = "vi") -> list[tuple[str, str]]:
    """(label, name) of every label staff may give."""
    return [(k, advice.name(k, lang)) for k in advice.labels()]


# --- photos -------------------------------------------------------------------------------

def _public(p: VisionPhoto, lang: str, models: dict[int, VisionModel]) -> PhotoPublic:
    row = models.get(p.model_id) if p.model_id else None
    return PhotoPublic(
        id=p.id, activity_id=p.activity_id, diary_photo_id=p.diary_photo_id,
        image_url=f"/api/v1/vision/photos/{p.id}/image", commune_code=p.commune_code,
        width=p.width, height=p.height, source_format=p.source_format, rotated=p.rotated,
        consent=p.consent, licence=p.licence, status=p.status,
        label=p.label, label_name=advice.name(p.label, lang) if p.label else None,
        review_note=p.review_note, reviewed_at=p.reviewed_at,
        diagnosis=_diagnosis(row, p.predicted, p.abstain, lang), created_at=p.created_at)


def _publics(uow: UnitOfWork, rows: Sequence[VisionPhoto], lang: str) -> list[PhotoPublic]:
    ids = {r.model_id for r in rows if r.model_id}
    models = {m.id: m for m in uow.session.scalars(
        select(VisionModel).where(VisionModel.id.in_(ids)))} if ids else {}
    return [_public(r, lang, models) for r in rows]


def _scouting(uow: UnitOfWork, data: PhotoCreate, lang: str) -> ActivityPublic:
    if data.activity_id is not None:
        activity = diary.get_activity(uow, data.activity_id, lang)
        if activity.kind != "scouting":
            raise _invalid("activity_id", "Ảnh chẩn đoán đi kèm một lần thăm đồng (scouting); "
                           f"hoạt động {activity.id} là «{activity.kind_label}».",
                           "A diagnosis photo goes with a scouting record; activity "
                           f"{activity.id} is '{activity.kind_label}'.")
        return activity
    if data.plot_id is None:
        raise _invalid("plot_id", "Hãy chọn thửa ruộng (hoặc lần thăm đồng) của ảnh.",
                       "Choose the plot (or the scouting record) of the photo.")
    activity, _ = diary.create_activity(uow, ActivityCreate(
        kind="scouting", plot_id=data.plot_id, at=clock.now(), notes=data.notes), lang)
    return activity


def upload_photo(uow: UnitOfWork, data: PhotoCreate, content: bytes, lang: str = "vi"
                 ) -> PhotoPublic:
    """Store a photo with its scouting record, diagnose it, queue it for the staff."""
    p = uow.principal
    require_login(p)
    photo, small, measures = _checked_photo(content)
    stored = imaging.to_jpeg(photo.image)
    with uow:
        activity = _scouting(uow, data, lang)
        diary_photo_id = diary.add_photo(uow, activity.id, stored)
        commune = units.require_commune(uow, activity.commune_code)
        row, top, abstain = _predict(uow, small)
        now = clock.now()
        item = VisionPhoto(
            diary_photo_id=diary_photo_id, activity_id=activity.id, farmer_id=activity.farmer_id,
            commune_code=activity.commune_code, province_code=commune.province_code,
            uploaded_by_user_id=p.user_id, width=photo.image.width, height=photo.image.height,
            source_format=photo.source_format, rotated=photo.rotated,
            quality=measures.as_dict(), consent=data.consent,
            consent_at=now if data.consent else None,
            licence=LICENCE if data.consent else None, model_id=row.id if row else None,
            predicted=top, abstain=abstain, status="pending", created_at=now)
        uow.session.add(item)
        uow.commit()
        return _publics(uow, [item], lang)[0]


def _visible(p: Principal) -> Any:
    require_login(p)
    if p.is_admin:
        return true()
    if p.role == "province_officer":
        return VisionPhoto.province_code == p.unit_code
    if p.role == "commune_officer":
        return VisionPhoto.commune_code == p.unit_code
    if p.role == "farmer" and p.farmer_id is not None:
        return VisionPhoto.farmer_id == p.farmer_id
    raise deny()


def _load(uow: UnitOfWork, photo_id: int) -> VisionPhoto:
    row = uow.session.scalar(select(VisionPhoto).where(VisionPhoto.id == photo_id,
                                                       _visible(uow.principal)))
    if row is None:
        raise not_found("ảnh", "photo", photo_id)
    return row


def list_photos(uow: UnitOfWork, page: PageRequest, status: str | None = None,
                label: str | None = None, lang: str = "vi") -> Page[PhotoPublic]:
    """Photos the caller may see, newest first (the staff's queue with status=pending)."""
    with uow:
        stmt = select(VisionPhoto).where(_visible(uow.principal))
        if status:
            stmt = stmt.where(VisionPhoto.status == status)
        if label:
            stmt = stmt.where(VisionPhoto.label == label)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(VisionPhoto.id.desc()).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=_publics(uow, rows, lang), total=total, limit=page.limit,
                    offset=page.offset)


def get_photo(uow: UnitOfWork, photo_id: int, lang: str = "vi") -> PhotoPublic:
    with uow:
        return _publics(uow, [_load(uow, photo_id)], lang)[0]


def photo_image(uow: UnitOfWork, photo_id: int) -> tuple[bytes, str]:
    """The stored JPEG (read from the diary, which checks the caller may see the record)."""
    with uow:
        row = _load(uow, photo_id)
        return diary.get_photo(uow, row.diary_photo_id)


def set_consent(uow: UnitOfWork, photo_id: int, consent: bool, lang: str = "vi"
                ) -> PhotoPublic:
    """The farmer gives or withdraws consent; without it the photo leaves the dataset."""
    p = uow.principal
    require_role(p, "farmer")
    with uow:
        row = _load(uow, photo_id)
        if not p.is_admin and row.farmer_id != p.farmer_id:
            raise deny()
        row.consent = consent
        row.consent_at = clock.now() if consent else None
        row.licence = LICENCE if consent else None
        uow.commit()
        return _publics(uow, [row], lang)[0]


def review_photo(uow: UnitOfWork, photo_id: int, data: PhotoReview, lang: str = "vi"
                 ) -> PhotoPublic:
    """Plant-protection staff confirm or correct the label of a photo, or reject it."""
    p = uow.principal
    require_role(p, *REVIEW_ROLES)
    if data.status == "confirmed" and data.label is None:
        raise _invalid("label", "Hãy chọn nhãn để xác nhận ảnh.",
                       "Choose a label to confirm the photo.")
    with uow:
        row = uow.session.get(VisionPhoto, photo_id)
        if row is None:
            raise not_found("ảnh", "photo", photo_id)
        if not p.covers_unit(row.commune_code, row.province_code):
            raise deny()
        row.status = data.status
        row.label = data.label if data.status == "confirmed" else None
        row.review_note = data.note
        row.reviewed_by_user_id = p.user_id
        row.reviewed_at = clock.now()
        uow.commit()
        return _publics(uow, [row], lang)[0]


# --- the dataset --------------------------------------------------------------------------

def _dataset_scope(p: Principal) -> Any:
    require_role(p, *TRAIN_ROLES)
    return true() if p.is_admin else VisionPhoto.province_code == p.unit_code


def _in_dataset() -> Any:
    return (VisionPhoto.status == "confirmed") & VisionPhoto.consent.is_(True) & (
        VisionPhoto.label.is_not(None))


def dataset_summary(uow: UnitOfWork, lang: str = "vi") -> DatasetSummary:
    """How many confirmed photos of each label are in the dataset (and how many are not)."""
    with uow:
        s = uow.session
        scope = _dataset_scope(uow.principal)
        rows = s.execute(select(VisionPhoto.label, VisionPhoto.consent, func.count())
                         .where(scope, VisionPhoto.status == "confirmed")
                         .group_by(VisionPhoto.label, VisionPhoto.consent)).all()
        counts: dict[str, list[int]] = {k: [0, 0] for k in advice.labels()}
        for label, consent, n in rows:
            counts.setdefault(str(label), [0, 0])[0 if consent else 1] += n
        by_status = dict(s.execute(select(VisionPhoto.status, func.count()).where(scope)
                                   .group_by(VisionPhoto.status)).all())
        return DatasetSummary(
            licence=LICENCE,
            labels=[LabelCount(label=k, name=advice.name(k, lang), confirmed=v[0],
                               without_consent=v[1]) for k, v in counts.items()],
            in_dataset=sum(v[0] for v in counts.values()),
            pending=by_status.get("pending", 0), rejected=by_status.get("rejected", 0))


def _dataset_rows(uow: UnitOfWork) -> list[VisionPhoto]:
    return list(uow.session.scalars(select(VisionPhoto).where(
        _dataset_scope(uow.principal), _in_dataset()).order_by(VisionPhoto.id)))


def export_dataset(uow: UnitOfWork) -> bytes:
    """The dataset as a ZIP: the photos, ``labels.csv`` (label, licence, consent date,
    commune; no names) and a README with the licence."""
    with uow:
        rows = _dataset_rows(uow)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            table = io.StringIO()
            writer = csv.writer(table)
            writer.writerow(["file", "label", "licence", "consent_at", "reviewed_at",
                             "commune_code", "width", "height"])
            for r in rows:
                data, _ = diary.get_photo(uow, r.diary_photo_id)
                name = f"photos/{r.label}/{r.id}.jpg"
                z.writestr(name, data)
                writer.writerow([name, r.label, r.licence, r.consent_at.isoformat()
                                 if r.consent_at else "", r.reviewed_at.isoformat()
                                 if r.reviewed_at else "", r.commune_code, r.width, r.height])
            z.writestr("labels.csv", table.getvalue())
            z.writestr("README.txt", (
                "Nông Số — ảnh lúa đã được cán bộ bảo vệ thực vật xác nhận nhãn, nông dân đồng ý "
                "chia sẻ. / Rice photos labelled by plant-protection staff, shared with the "
                f"farmers' consent.\nLicence: {LICENCE} "
                "(https://creativecommons.org/licenses/by/4.0/)\n"
                "Labels: " + ", ".join(advice.labels()) + "\n"))
        audit.record(uow.session, "export", "vision_dataset", "zip", {"photos": len(rows)})
        uow.commit()
        return out.getvalue()


# --- training -----------------------------------------------------------------------------

def _model_public(row: VisionModel) -> ModelPublic:
    return ModelPublic(id=row.id, labels=row.labels, size_bytes=row.size_bytes,
                       sha256=row.sha256, confidence_threshold=row.confidence_threshold,
                       ood_threshold=row.ood_threshold, photos=row.photos, source=row.source,
                       active=row.active, metrics=row.metrics, created_at=row.created_at)


def _non_crop_check(seed: int) -> Any:
    """Synthetic photos that are not of the crop: the figure of how often the model abstains
    on them is reported with the model (they are never used to train it)."""
    return _non_crop_features(seed).copy()


@functools.lru_cache(maxsize=4)
def _non_crop_features(seed: int) -> Any:
    # Deterministic for a seed: made once per process (every retraining uses the same ones).
    samples = synthetic.non_crop_set(seed + 7919, NON_CROP_CHECK)
    return features.extract_many([s.image for s in samples])


def train_model(uow: UnitOfWork, seed: int = 0, source: str = "confirmed") -> ModelPublic:
    """Build a classifier from the dataset (confirmed photos with consent), calibrate it,
    measure it on the held-out part, and make it the active model."""
    with uow:
        rows = _dataset_rows(uow)
        images = []
        for r in rows:
            data, _ = diary.get_photo(uow, r.diary_photo_id)
            images.append(imaging.analysis_copy(imaging.open_photo(data).image))
        x = features.extract_many(images)
        try:
            trained = vision_model.train(x, [str(r.label) for r in rows], seed=seed,
                                         non_crop=_non_crop_check(seed))
        except vision_model.TrainingError as exc:
            raise _invalid("dataset", exc.message_vi, exc.message_en) from exc
        s = uow.session
        s.execute(update(VisionModel).where(VisionModel.active.is_(True)).values(active=False))
        row = VisionModel(
            labels=trained.labels, onnx=trained.onnx, size_bytes=len(trained.onnx),
            sha256=hashlib.sha256(trained.onnx).hexdigest(),
            feature_version=features.FEATURE_VERSION,
            confidence_threshold=trained.confidence_threshold,
            ood_threshold=trained.ood_threshold, metrics=trained.metrics.as_dict(),
            photos=len(rows), source=source, active=True, created_by_user_id=uow.principal.user_id,
            created_at=clock.now())
        s.add(row)
        uow.commit()
        return _model_public(row)


def list_models(uow: UnitOfWork) -> list[ModelPublic]:
    require_login(uow.principal)
    with uow:
        rows = uow.session.scalars(select(VisionModel).order_by(VisionModel.id.desc())
                                   .limit(20)).all()
        return [_model_public(r) for r in rows]


def field_accuracy(uow: UnitOfWork) -> FieldAccuracy | None:
    """The active model's figures on the held-out confirmed photos (for every page)."""
    with uow:
        row = _active(uow)
        return _accuracy(row) if row else None


# --- scanning -----------------------------------------------------------------------------

def add_input_code(uow: UnitOfWork, data: InputCodeCreate) -> InputCodePublic:
    """Link the GTIN printed on a product to its entry in the diary's inputs catalogue."""
    require_role(uow.principal, "province_officer", "coop_manager")
    gtin, _, _ = trace.parse_gs1_code(data.gtin)
    with uow:
        item = diary.get_input(uow, data.input_id)
        if uow.session.scalar(select(VisionInputCode.id).where(VisionInputCode.gtin == gtin)):
            raise _invalid("gtin", f"GTIN {gtin} đã được gắn với một vật tư.",
                           f"GTIN {gtin} is already linked to an input.")
        row = VisionInputCode(gtin=gtin, input_id=item.id,
                              created_by_user_id=uow.principal.user_id, created_at=clock.now())
        uow.session.add(row)
        uow.commit()
        return InputCodePublic(id=row.id, gtin=gtin, input_id=item.id, input_name=item.name)


def _not_gs1(text: str) -> ValidationFailed:
    shown = text if len(text) <= 80 else text[:77] + "…"
    return _invalid(
        "code",
        f"Mã «{shown}» không phải mã GS1 (GTIN, GS1 Digital Link) hay mã số vùng trồng, nên "
        "hệ thống không biết mở gì. Hãy quét mã vạch trên bao bì hoặc mã QR truy xuất.",
        f"The code '{shown}' is not a GS1 code (GTIN, GS1 Digital Link) or a planting-area "
        "code, so there is nothing to open. Scan the barcode on the pack or the traceability "
        "QR code.")


def interpret(uow: UnitOfWork, text: str, fmt: str | None = None, lang: str = "vi"
              ) -> ScanResult:
    """What a scanned code is and which page it opens (a lot's journey, the input it fills in
    the diary, with a warning when banned; a planting area)."""
    require_login(uow.principal)
    found = codes.sort_code(text)
    if found.kind == "planting_area":
        return _planting_area(uow, found, fmt, lang)
    if found.gs1 is None:
        raise _not_gs1(found.text)
    gtin, lot, serial = trace.parse_gs1_code(found.gs1)
    base = {"text": found.text, "format": fmt, "gtin": gtin, "lot": lot, "serial": serial,
            "other_fields": found.other_fields}
    if lot is not None or serial is not None:
        path = f"/01/{gtin}" + (f"/10/{quote(lot, safe='')}" if lot else "") + (
            f"/21/{quote(serial, safe='')}" if serial else "")
        return ScanResult(kind="lot", target=path, message=_t(
            lang, "Mở hành trình của lô hàng.", "Opening the lot's journey."), **base)
    with uow:
        code = uow.session.scalar(select(VisionInputCode).where(VisionInputCode.gtin == gtin))
        if code is not None:
            item = diary.get_input(uow, code.input_id)
            banned = bool(item.banned_ingredients)
            names = ", ".join(item.banned_ingredients)
            message = _t(lang, f"CẢNH BÁO: {item.name} chứa hoạt chất bị cấm ({names}). "
                         "Không sử dụng.", f"WARNING: {item.name} contains a banned active "
                         f"ingredient ({names}). Do not use it.") if banned else _t(
                lang, f"Vật tư: {item.name}.", f"Input: {item.name}.")
            return ScanResult(kind="input", input=ScannedInput(
                id=item.id, name=item.name, kind=item.kind,
                banned_ingredients=item.banned_ingredients, phi_days=item.phi_days),
                banned=banned, target=f"/scan?input={item.id}", message=message, **base)
    try:
        trace.consumer_view(uow, gtin)
    except AppError as exc:
        raise NotFound(
            f"GTIN {gtin} hợp lệ nhưng chưa có trong danh mục vật tư hay sản phẩm của tỉnh.",
            f"GTIN {gtin} is valid but is not in the province's inputs or products.",
            [FieldError("code", "GTIN chưa đăng ký", "GTIN not registered")]) from exc
    return ScanResult(kind="product", target=f"/01/{gtin}", message=_t(
        lang, "Mở trang sản phẩm.", "Opening the product's page."), **base)


def _planting_area(uow: UnitOfWork, found: codes.Sorted, fmt: str | None, lang: str
                   ) -> ScanResult:
    page = registry.list_production_units(uow, PageRequest(limit=20, offset=0),
                                          kind="planting_area", q=found.text)
    unit = next((u for u in page.items if (u.code or "").upper() == found.text), None)
    if unit is None:
        raise NotFound(f"Không có vùng trồng mã «{found.text}».",
                       f"There is no planting area with code '{found.text}'.",
                       [FieldError("code", "Không tìm thấy", "Not found")])
    return ScanResult(kind="planting_area", text=found.text, format=fmt,
                      target=f"/registry/planting_areas/{unit.id}", message=_t(
                          lang, f"Mở vùng trồng {unit.code}.",
                          f"Opening planting area {unit.code}."))


def scan_image(uow: UnitOfWork, content: bytes, lang: str = "vi") -> ScanResult:
    """Decode the code in an uploaded photo with zxing-cpp, then interpret it."""
    import zxingcpp

    require_login(uow.principal)
    photo = imaging.open_photo(content, long_side=SCAN_LONG_SIDE)
    found = zxingcpp.read_barcodes(photo.image)
    if not found:
        raise _invalid("photo", "Không đọc được mã vạch hay mã QR nào trong ảnh. Hãy chụp gần, "
                       "rõ nét, mã nằm phẳng và đủ sáng.",
                       "No barcode or QR code could be read in the photo. Take it closer, in "
                       "focus, with the code flat and well lit.")
    ordered = sorted(found, key=lambda b: codes.sort_code(b.text).kind == "other")
    best = ordered[0]
    return interpret(uow, best.text, str(best.format), lang)


__all__ = [
    "LICENCE",
    "MAX_UPLOAD_BYTES",
    "add_input_code",
    "advice_page",
    "advice_pages",
    "dataset_summary",
    "diagnose",
    "export_dataset",
    "field_accuracy",
    "get_photo",
    "interpret",
    "label_choices",
    "list_models",
    "list_photos",
    "photo_image",
    "review_photo",
    "scan_image",
    "set_consent",
    "train_model",
    "upload_photo",
]

