"""Photo diagnosis and scanning: the photos sent for a diagnosis (the pixels themselves stay
with the diary's scouting record), the staff's labels, the trained models, and the GTINs of
input products.

A photo row carries its scope (commune, province, farmer) copied from the diary activity when
it is written, so that the plant-protection staff's review queue is a plain indexed query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow


class VisionModel(Audited, Base):
    """A trained classifier (ONNX, at most 10 MB) with its calibration and held-out figures."""

    __tablename__ = "vision_models"
    __audit_exclude__ = frozenset({"onnx"})

    id: Mapped[int] = mapped_column(primary_key=True)
    labels: Mapped[list[str]] = mapped_column(JSON)
    onnx: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    feature_version: Mapped[int]
    confidence_threshold: Mapped[float]
    ood_threshold: Mapped[float]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    photos: Mapped[int]  # confirmed photos it was built from (training + calibration + test)
    source: Mapped[str] = mapped_column(String(20))  # confirmed | synthetic
    active: Mapped[bool] = mapped_column(default=False, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisionPhoto(Audited, Base):
    """A photo sent for a diagnosis: the model's answer at the time, the farmer's consent,
    and the plant-protection staff's confirmed or corrected label."""

    __tablename__ = "vision_photos"
    __table_args__ = (
        Index("ix_vision_photos_province_status", "province_code", "status"),
        Index("ix_vision_photos_commune_status", "commune_code", "status"),
        Index("ix_vision_photos_status_label", "status", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    diary_photo_id: Mapped[int] = mapped_column(
        ForeignKey("diary_photos.id", ondelete="CASCADE"), unique=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"),
                                                  index=True)
    commune_code: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                       ondelete="SET NULL"))
    width: Mapped[int]
    height: Mapped[int]
    source_format: Mapped[str] = mapped_column(String(10))
    rotated: Mapped[bool] = mapped_column(default=False)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Consent to use the photo in the province's training set, asked at upload.
    consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[dt.datetime | None]
    licence: Mapped[str | None] = mapped_column(String(40))
    # The model's answer at upload: [[label, probability], …] best first; why it abstained.
    model_id: Mapped[int | None] = mapped_column(ForeignKey("vision_models.id",
                                                            ondelete="SET NULL"))
    predicted: Mapped[list[Any]] = mapped_column(JSON, default=list)
    abstain: Mapped[str | None] = mapped_column(String(20))
    # The staff's review: pending | confirmed | rejected (unusable).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    label: Mapped[str | None] = mapped_column(String(40))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                       ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisionInputCode(Audited, Base):
    """The GTIN printed on an input product (a bottle of pesticide, a bag of fertiliser) and
    the diary's catalogue entry it stands for: what a scan of the barcode fills in."""

    __tablename__ = "vision_input_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    input_id: Mapped[int] = mapped_column(ForeignKey("diary_inputs.id", ondelete="CASCADE"),
                                          index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
