"""The minimum sizes of planting-area codes per crop: the shipped defaults and the province's
own."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.registry import rules
from nongso.registry.models import PlantingAreaRule
from nongso.registry.schemas import AreaRulePublic, AreaRuleUpdate


def area_rules(s: Session) -> dict[str, rules.AreaRule]:
    """The minimum sizes in force: the shipped defaults overridden by the table."""
    merged = dict(rules.default_area_rules())
    for r in s.scalars(select(PlantingAreaRule)):
        merged[r.crop] = rules.AreaRule(r.crop, r.crop_group, r.min_area_ha, r.source)
    return merged


def list_area_rules(uow: UnitOfWork) -> list[AreaRulePublic]:
    with uow:
        custom = set(uow.session.scalars(select(PlantingAreaRule.crop)))
        return [AreaRulePublic(crop=r.crop, crop_group=r.crop_group, min_area_ha=r.min_area_ha,
                               source=r.source, customised=r.crop in custom)
                for r in sorted(area_rules(uow.session).values(), key=lambda r: r.crop)]


def set_area_rule(uow: UnitOfWork, crop: str, data: AreaRuleUpdate) -> AreaRulePublic:
    require_role(uow.principal, "province_officer")
    if not re.fullmatch(r"[a-z][a-z_]{1,49}", crop):
        raise ValidationFailed(f"Mã cây trồng «{crop}» không hợp lệ.", f"Invalid crop '{crop}'.",
                               [FieldError("crop", "Không hợp lệ", "Invalid")])
    with uow:
        row = uow.session.get(PlantingAreaRule, crop)
        if row is None:
            row = PlantingAreaRule(crop=crop, **data.model_dump())
            uow.session.add(row)
        else:
            for key, value in data.model_dump().items():
                setattr(row, key, value)
            row.updated_at = clock.now()
        uow.commit()
        return AreaRulePublic(crop=crop, crop_group=row.crop_group, min_area_ha=row.min_area_ha,
                              source=row.source, customised=True)
