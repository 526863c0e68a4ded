"""The unit of work: a use case that fails half-way leaves nothing behind."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from nongso.core.audit import AuditEntry
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.registry.models import Farmer, Organisation
from nongso.registry.schemas import FarmerCreate, OrganisationCreate
from nongso.units import services as units


def _commune(platform: Platform) -> str:
    return units.communes_of_province(platform.uow(), "82")[0].code


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.engine.connect() as c:
        return (
            c.scalar(select(func.count()).select_from(Organisation)) or 0,
            c.scalar(select(func.count()).select_from(Farmer)) or 0,
            c.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def register_coop_with_members(uow: UnitOfWork, commune: str, members: list[str]) -> None:
    """A composite use case: a co-operative and its members in one transaction."""
    with uow:
        coop = registry.create_organisation(
            uow, OrganisationCreate(kind="cooperative", name="HTX Mới", commune_code=commune)
        )
        for name in members:
            registry.create_farmer(uow, FarmerCreate(
                full_name=name, commune_code=commune, organisation_id=coop.id))
        uow.commit()


def test_failure_half_way_rolls_back_everything(platform: Platform) -> None:
    commune = _commune(platform)
    before = _counts(platform)
    with pytest.raises(ValidationError) as info:
        # The third member is invalid: raised after the co-op and two members were written.
        register_coop_with_members(platform.uow(SYSTEM), commune,
                                   ["Lê Văn Một", "Lê Thị Hai", "x" * 500])
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [
        ("string_too_long", ("full_name",))]
    assert _counts(platform) == before


def test_success_commits_everything_with_audit_rows(platform: Platform) -> None:
    commune = _commune(platform)
    before = _counts(platform)
    register_coop_with_members(platform.uow(SYSTEM), commune, ["Lê Văn Một", "Lê Thị Hai"])
    after = _counts(platform)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 2
    assert after[2] == before[2] + 3  # one audit row per created record


def test_database_error_half_way_rolls_back(platform: Platform) -> None:
    commune = _commune(platform)
    before = _counts(platform)
    uow = platform.uow(SYSTEM)
    with pytest.raises(IntegrityError), uow:
        registry.create_organisation(uow, OrganisationCreate(
            kind="cooperative", name="HTX A", code="TRUNG-MA", commune_code=commune))
        uow.session.add(Organisation(kind="cooperative", name="HTX B", code="TRUNG-MA",
                                     commune_code=commune, province_code="82"))
        uow.commit()  # unique violation on flush
    assert _counts(platform) == before


def test_outside_with_block_is_an_error(platform: Platform) -> None:
    with pytest.raises(RuntimeError):
        _ = platform.uow().session
