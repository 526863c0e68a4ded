"""Photos of an activity (JPEG, PNG, WebP up to 5 MB), by the activity's id or its client
UUID; a photo sent twice with the same UUID is stored once.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select

from nongso.core import audit
from nongso.core.errors import Conflict, TooLarge, not_found
from nongso.core.limits import UnreadableUpload, check_image
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity, Photo
from nongso.diary.services._common import UnsupportedMedia, _writable
from nongso.diary.services.activities import _load_activity

MAX_PHOTO_BYTES = 5 * 1024 * 1024


def add_photo(uow: UnitOfWork, activity_id: int | None, content: bytes,
              client_uuid: str | None = None, activity_uuid: str | None = None) -> int:
    """Attach a photo (JPEG, PNG or WebP up to 5 MB) to an activity, given by its id or by its
    client UUID (a phone uploads its queued photos that way); returns the photo's id."""
    if len(content) > MAX_PHOTO_BYTES:
        raise TooLarge(f"Ảnh quá lớn ({len(content) / 1024 / 1024:.1f} MB); tối đa 5 MB.",
                       f"The photo is too large ({len(content) / 1024 / 1024:.1f} MB); "
                       "at most 5 MB.")
    try:
        # The pixel count is checked from the header, before anything is decoded.
        image = check_image(content)
    except UnreadableUpload as exc:
        raise UnsupportedMedia("Tệp gửi lên không phải là ảnh (JPEG, PNG, WebP).",
                               "The file is not an image (JPEG, PNG, WebP).") from exc
    fmt, width, height = image.format, image.width, image.height
    types = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
    if fmt not in types:
        raise UnsupportedMedia(f"Định dạng ảnh {fmt} không được hỗ trợ (JPEG, PNG, WebP).",
                               f"Image format {fmt} is not supported (JPEG, PNG, WebP).")
    with uow:
        s = uow.session
        if activity_id is None:
            found = s.scalar(select(Activity.id).where(Activity.client_uuid == activity_uuid))
            if found is None:
                raise not_found("hoạt động", "activity", activity_uuid)
            activity_id = found
        a = _load_activity(uow, activity_id)
        _writable(uow.principal, a, "hoạt động", "activity", activity_id)
        key = client_uuid or str(uuid.uuid4())
        existing = s.scalar(select(Photo).where(Photo.client_uuid == key))
        if existing is not None:
            if existing.activity_id != a.id:
                raise Conflict("Mã UUID của ảnh đã được dùng.", "This photo UUID is used.")
            return existing.id
        photo = Photo(activity_id=a.id, client_uuid=key, content_type=types[fmt], width=width,
                      height=height, size_bytes=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), data=content)
        s.add(photo)
        audit.record(s, "photo", "diary_activities", str(a.id), {"bytes": len(content)})
        uow.commit()
        return photo.id


def get_photo(uow: UnitOfWork, photo_id: int) -> tuple[bytes, str]:
    with uow:
        photo = uow.session.get(Photo, photo_id)
        if photo is None:
            raise not_found("ảnh", "photo", photo_id)
        _load_activity(uow, photo.activity_id)
        return photo.data, photo.content_type
