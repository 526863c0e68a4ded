"""Tables of the open-data domain: the province's publication settings and the deletions the
analytics lake has still to apply."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow


class OpendataSettings(Audited, Base):
    """One row (id 1): what the province chose for its open data."""

    __tablename__ = "opendata_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_uri: Mapped[str] = mapped_column(String(300))
    publisher_vi: Mapped[str] = mapped_column(String(300))
    publisher_en: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    min_farms: Mapped[int] = mapped_column(default=3)
    schedule_hours: Mapped[int] = mapped_column(default=24)
    debounce_seconds: Mapped[int] = mapped_column(default=300)
    keep_versions: Mapped[int] = mapped_column(default=5)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LakeDeletion(Base):
    """A row deleted at its source after it reached the lake (the next export rewrites the
    partitions that hold it)."""

    __tablename__ = "opendata_lake_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40), index=True)
    row_id: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
