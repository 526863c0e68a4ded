"""Schemas of photo diagnosis and scanning: <Thing>Create/Update/Public."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Label = Literal["healthy", "blast", "brown_spot", "bacterial_leaf_blight", "hopperburn",
                "not_crop"]
PhotoStatus = Literal["pending", "confirmed", "rejected"]


class Candidate(BaseModel):
    label: str
    name: str
    confidence: float = Field(ge=0, le=1)
    advice_url: str


class FieldAccuracy(BaseModel):
    """The model's figures measured on the held-out part of the confirmed photos."""

    model_id: int
    trained_at: dt.datetime
    source: str  # confirmed | synthetic
    photos: int
    n_test: int
    coverage: float
    selective_accuracy: float
    accuracy: float
    top3_accuracy: float
    non_crop_n: int
    non_crop_abstain: float | None


class Diagnosis(BaseModel):
    """The model's answer: its top 3, or why it abstains."""

    model_id: int | None
    top: list[Candidate]
    abstain: Literal["not_crop", "low_confidence", "no_model"] | None
    message: str  # in the caller's language
    advice_url: str | None  # the advice page of the answer (None when it abstains)
    accuracy: FieldAccuracy | None


class PhotoCreate(BaseModel):
    """What comes with an uploaded photo (a multipart form): the scouting record it belongs to
    (or the plot, and a scouting record is made), and the farmer's consent."""

    model_config = ConfigDict(extra="forbid")

    activity_id: Id | None = None
    plot_id: Id | None = None
    consent: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class PhotoReview(BaseModel):
    """The plant-protection staff's decision on a photo."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["confirmed", "rejected"] = "confirmed"
    label: Label | None = None
    note: str | None = Field(default=None, max_length=2000)


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool


class PhotoPublic(BaseModel):
    id: int
    activity_id: int
    diary_photo_id: int
    image_url: str
    commune_code: str
    width: int
    height: int
    source_format: str
    rotated: bool
    consent: bool
    licence: str | None
    status: PhotoStatus
    label: str | None
    label_name: str | None
    review_note: str | None
    reviewed_at: dt.datetime | None
    diagnosis: Diagnosis
    created_at: dt.datetime


class LabelCount(BaseModel):
    label: str
    name: str
    confirmed: int  # confirmed with consent: in the dataset
    without_consent: int  # confirmed, but the farmer did not consent: never in the dataset


class DatasetSummary(BaseModel):
    licence: str
    labels: list[LabelCount]
    in_dataset: int
    pending: int
    rejected: int


class ModelPublic(BaseModel):
    id: int
    labels: list[str]
    size_bytes: int
    sha256: str
    confidence_threshold: float
    ood_threshold: float
    photos: int
    source: str
    active: bool
    metrics: dict[str, Any]
    created_at: dt.datetime


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class InputCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gtin: str = Field(min_length=8, max_length=14, pattern=r"^\d+$")
    input_id: Id


class InputCodePublic(BaseModel):
    id: int
    gtin: str
    input_id: int
    input_name: str


class ScanText(BaseModel):
    """A code read by the phone's camera (decoded in the browser)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    format: str | None = Field(default=None, max_length=40)


class ScannedInput(BaseModel):
    id: int
    name: str
    kind: str
    banned_ingredients: list[str]
    phi_days: int | None


class ScanResult(BaseModel):
    """What a scanned code is and where it leads."""

    kind: Literal["lot", "product", "input", "planting_area"]
    text: str
    format: str | None
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    other_fields: dict[str, str] = Field(default_factory=dict)  # other GS1 AIs, e.g. (17)
    target: str | None = None  # the page to open on this installation
    input: ScannedInput | None = None
    banned: bool = False
    message: str
