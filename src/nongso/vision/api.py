"""HTTP adapter of photo diagnosis and scanning: parse, call one service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.fields import Id
from nongso.core.pagination import Page
from nongso.vision import imaging, services
from nongso.vision.schemas import (
    ConsentUpdate,
    DatasetSummary,
    Diagnosis,
    FieldAccuracy,
    InputCodeCreate,
    InputCodePublic,
    Label,
    ModelPublic,
    PhotoCreate,
    PhotoPublic,
    PhotoReview,
    PhotoStatus,
    ScanResult,
    ScanText,
    TrainRequest,
)

router = APIRouter(prefix="/vision", tags=["vision"])


async def read_upload(upload: UploadFile) -> bytes:
    """The uploaded file, refused with 413 as soon as it passes the limit."""
    content = await upload.read(imaging.MAX_UPLOAD_BYTES + 1)
    imaging.check_size(len(content))
    return content


@router.post("/photos", status_code=status.HTTP_201_CREATED)
async def upload_photo(
    uow: UowDep, lang: LangDep, photo: Annotated[UploadFile, File()],
    activity_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    plot_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    consent: Annotated[bool, Form()] = False,
    notes: Annotated[str | None, Form(max_length=2000)] = None,
) -> PhotoPublic:
    """A photo of a plant for a diagnosis, stored with its scouting record (JPEG, PNG, WebP,
    HEIC; at most 10 MB and 50 megapixels). Blurry, dark, screenshots, whole fields and
    photos without a plant are refused with 422 and the reason."""
    content = await read_upload(photo)
    data = PhotoCreate(activity_id=activity_id, plot_id=plot_id, consent=consent, notes=notes)
    return services.upload_photo(uow, data, content, lang)


@router.post("/diagnose")
async def diagnose(uow: UowDep, lang: LangDep, photo: Annotated[UploadFile, File()]
                   ) -> Diagnosis:
    """A diagnosis of a photo that is not stored."""
    return services.diagnose(uow, await read_upload(photo), lang)


@router.get("/photos")
def list_photos(uow: UowDep, page: PageDep, lang: LangDep,
                status_: Annotated[PhotoStatus | None, Query(alias="status")] = None,
                label: Label | None = None) -> Page[PhotoPublic]:
    return services.list_photos(uow, page, status_, label, lang)


@router.get("/photos/{photo_id}")
def get_photo(photo_id: Id, uow: UowDep, lang: LangDep) -> PhotoPublic:
    return services.get_photo(uow, photo_id, lang)


@router.get("/photos/{photo_id}/image")
def photo_image(photo_id: Id, uow: UowDep) -> Response:
    data, media_type = services.photo_image(uow, photo_id)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private"})


@router.post("/photos/{photo_id}/review")
def review_photo(photo_id: Id, data: PhotoReview, uow: UowDep, lang: LangDep) -> PhotoPublic:
    """Plant-protection staff confirm or correct the label, or reject the photo."""
    return services.review_photo(uow, photo_id, data, lang)


@router.put("/photos/{photo_id}/consent")
def set_consent(photo_id: Id, data: ConsentUpdate, uow: UowDep, lang: LangDep) -> PhotoPublic:
    return services.set_consent(uow, photo_id, data.consent, lang)


@router.get("/dataset")
def dataset_summary(uow: UowDep, lang: LangDep) -> DatasetSummary:
    return services.dataset_summary(uow, lang)


@router.get("/dataset.zip")
def export_dataset(uow: UowDep) -> Response:
    """The confirmed photos whose farmers consented, with labels.csv and the licence."""
    return Response(services.export_dataset(uow), media_type="application/zip", headers={
        "Content-Disposition": 'attachment; filename="nongso-rice-photos.zip"'})


@router.post("/models", status_code=status.HTTP_201_CREATED)
def train_model(data: TrainRequest, uow: UowDep) -> ModelPublic:
    """Train a classifier from the dataset and make it the active model."""
    return services.train_model(uow, data.seed)


@router.get("/models")
def list_models(uow: UowDep) -> list[ModelPublic]:
    return services.list_models(uow)


@router.get("/accuracy")
def field_accuracy(uow: UowDep) -> FieldAccuracy | None:
    """The active model's figures, measured on held-out confirmed photos."""
    return services.field_accuracy(uow)


@router.post("/input-codes", status_code=status.HTTP_201_CREATED)
def add_input_code(data: InputCodeCreate, uow: UowDep) -> InputCodePublic:
    return services.add_input_code(uow, data)


@router.post("/scan")
def scan_text(data: ScanText, uow: UowDep, lang: LangDep) -> ScanResult:
    """A code read by the phone's camera: what it is and which page it opens."""
    return services.interpret(uow, data.text, data.format, lang)


@router.post("/scan/image")
async def scan_image(uow: UowDep, lang: LangDep, photo: Annotated[UploadFile, File()]
                     ) -> ScanResult:
    """A photo of a barcode or QR code, decoded on the server (zxing-cpp)."""
    return services.scan_image(uow, await read_upload(photo), lang)
