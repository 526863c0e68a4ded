"""Compliance: the rules the diary checks (banned pesticides, pre-harvest intervals,
label doses), a season's report, its certification, and the seasons an inspection starts from.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import Conflict
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.diary.models import Activity, Flag, Season
from nongso.diary.schemas import FlagPublic, RulePublic, SeasonPublic, SeasonReport
from nongso.diary.services._common import _scope_clause
from nongso.diary.services.seasons import _load_season, _season_publics


def _source(raised_with: str, rule: rules.Rule | None, lang: str) -> str:
    """The source a flag was raised with, in the page's language: the rule's part of it is
    the catalogue's English text in English (a flag raised under an older catalogue keeps
    its own words)."""
    if lang == "vi" or rule is None or not rule.source_en:
        return raised_with
    return raised_with.replace(rule.source, rule.source_en)


def _flag_publics(s: Session, flags: Sequence[Flag], lang: str) -> list[FlagPublic]:
    if not flags:
        return []
    acts = {a.id: a for a in s.scalars(select(Activity).where(
        Activity.id.in_({f.activity_id for f in flags}))).all()}
    catalogue = rules.rule_catalogue()
    out = []
    for f in flags:
        a = acts[f.activity_id]
        rule = catalogue.get(f.rule_id)
        out.append(FlagPublic(
            id=f.id, rule_id=f.rule_id, severity=f.severity,
            title=(rule.title_vi if lang == "vi" else rule.title_en) if rule else f.rule_id,
            message=f.message_vi if lang == "vi" else f.message_en,
            source=_source(f.source, rule, lang),
            activity_id=a.id, activity_kind=a.kind, activity_at=a.at, plot_id=a.plot_id,
            season_id=f.season_id, details=dict(f.details or {}),
        ))
    return out


def list_rules(lang: str = "vi") -> list[RulePublic]:
    return [RulePublic(rule_id=r.rule_id, severity=r.severity,
                       title=r.title_vi if lang == "vi" else r.title_en,
                       source=r.source if lang == "vi" else r.source_en,
                       advice=r.advice_vi if lang == "vi" else r.advice_en)
            for r in rules.rule_catalogue().values()]


def season_report(uow: UnitOfWork, season_id: int, lang: str = "vi") -> SeasonReport:
    """Every flag of the season with its rule and source; compliant only without any."""
    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        flags = s.scalars(select(Flag).where(Flag.season_id == season.id)
                          .order_by(Flag.activity_id, Flag.id)).all()
        public = _season_publics(s, [season], lang)[0]
        flag_list = _flag_publics(s, flags, lang)
        flag_list.sort(key=lambda f: (f.activity_at, f.id))
        return SeasonReport(season=public, compliant=public.compliant,
                            certified=public.certified,
                            safe_harvest_date=season.safe_harvest_date, flags=flag_list,
                            rules=list_rules(lang))


def certify_season(uow: UnitOfWork, season_id: int) -> SeasonPublic:
    """Mark a season compliant (co-op manager, inspector, province officer): refused while it
    has any violation."""
    require_role(uow.principal, "coop_manager", "inspector", "province_officer")
    with uow:
        season = _load_season(uow, season_id)
        if season.flags_count:
            raise Conflict(
                f"Vụ có {season.flags_count} vi phạm; không thể chứng nhận tuân thủ.",
                f"The season has {season.flags_count} violations; it cannot be certified "
                "compliant.",
            )
        season.certified_at = clock.now()
        season.certified_by_user_id = uow.principal.user_id
        uow.commit()
        return _season_publics(uow.session, [season])[0]


def flagged_seasons(uow: UnitOfWork, unit_code: str, season_key: str | None = None,
                    limit: int = 200) -> list[SeasonPublic]:
    """Seasons with violations in the caller's scope (inspectors, officers, co-op managers):
    the list an inspection starts from. Others get an empty list."""
    p = uow.principal
    if not p.is_authenticated or p.role not in (
            "admin", "province_officer", "commune_officer", "inspector", "coop_manager"):
        return []
    with uow:
        stmt = select(Season).where(_scope_clause(p, Season), Season.flags_count > 0)
        stmt = stmt.where(Season.province_code == unit_code if len(unit_code) == 2
                          else Season.commune_code == unit_code)
        if season_key:
            stmt = stmt.where(Season.season_key == season_key)
        rows = uow.session.scalars(stmt.order_by(Season.flags_count.desc(), Season.id)
                                   .limit(limit)).all()
        return _season_publics(uow.session, rows)
