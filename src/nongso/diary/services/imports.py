"""The Excel import of activities (all or nothing, or the good rows only), checked row by
row with the same checks as a single record; the pure ``diary.excel`` writes the template and
reads the file.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select

from nongso.core import audit, clock
from nongso.core.errors import FieldError, TooLarge, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.permissions import Principal, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.diary import seasons as season_names
from nongso.diary.models import Activity, ActivityInput, Input, Plot, Purchase, Season
from nongso.diary.schemas import ActivityCreate, ActivityInputIn, ImportReport, ImportRowError
from nongso.diary.services._common import (
    UUID_NS,
    UnsupportedMedia,
    _can_read,
    _can_write,
    _scope_clause,
)
from nongso.diary.services.activities import _Lookups, _prepare, _Prepared
from nongso.diary.services.figures import _refresh_seasons
from nongso.diary.services.inputs import _input_visibility
from nongso.diary.services.to_trace import _publish_recorded

MAX_IMPORT_BYTES = 8 * 1024 * 1024


def import_template() -> bytes:
    from nongso.diary import excel

    return excel.template_xlsx()


def import_activities(uow: UnitOfWork, content: bytes, filename: str, mode: str = "all",
                      dry_run: bool = False, lang: str = "vi") -> ImportReport:
    """Import activities from an Excel file (the template, or a file like it).

    All or nothing by default: when any row has an error nothing is stored and every error is
    reported with its row and column (422). ``mode="partial"`` stores the good rows and
    reports the others. Rows already imported (same plot, time, work, input, quantities,
    notes) are recognised and not stored twice.
    """
    from nongso.diary import excel

    require_role(uow.principal, "farmer", "coop_manager")
    if len(content) > MAX_IMPORT_BYTES:
        raise TooLarge(f"Tệp quá lớn; tối đa {MAX_IMPORT_BYTES // 1024 // 1024} MB.",
                       f"The file is too large; at most {MAX_IMPORT_BYTES // 1024 // 1024} MB.")
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnsupportedMedia("Chỉ nhận tệp Excel .xlsx (dùng tệp mẫu).",
                               "Only Excel .xlsx files are accepted (use the template).")
    try:
        parsed = excel.parse(content)
    except excel.ExcelFileError as exc:
        raise ValidationFailed(exc.message_vi, exc.message_en,
                               [FieldError("file", exc.message_vi, exc.message_en)]) from exc
    errors: list[excel.RowError] = list(parsed.errors)
    headers = parsed.headers
    p = uow.principal
    with uow:
        s = uow.session
        codes = {r.plot_code for r in parsed.rows}
        plots = {x.code: x for x in s.scalars(select(Plot).where(Plot.code.in_(codes))).all()}
        plot_ids = [x.id for x in plots.values()]
        seasons: dict[tuple[int, str], Season] = {}
        latest_open: dict[int, Season] = {}
        keys = set()
        for r in parsed.rows:
            if r.season:
                with contextlib.suppress(season_names.SeasonError):  # reported per row below
                    keys.add(season_names.parse_label(r.season).key)
        for start in range(0, len(plot_ids), 500):
            for x in s.scalars(select(Season).where(
                    Season.plot_id.in_(plot_ids[start:start + 500]),
                    Season.season_key.in_(keys) | (Season.status == "open"))
                    .order_by(Season.sowing_date, Season.id)).all():
                seasons[(x.plot_id, x.season_key)] = x
                if x.status == "open":
                    latest_open[x.plot_id] = x
        catalogue: dict[str, Input] = {}
        for item in s.scalars(select(Input).where(_input_visibility(uow))
                              .order_by(Input.organisation_id.is_(None), Input.id)).all():
            catalogue.setdefault(item.name_key, item)
        wanted_lots = sorted({r.purchase_lot for r in parsed.rows if r.purchase_lot})
        lots = {(x.input_id, fold(x.lot or "")): x for start in range(0, len(wanted_lots), 500)
                for x in s.scalars(select(Purchase).where(
                    _scope_clause(p, Purchase),
                    Purchase.lot.in_(wanted_lots[start:start + 500]))).all()}
        cache = _Lookups(inputs={i.id: i for i in catalogue.values()},
                         purchases={x.id: x for x in lots.values()})
        fingerprints: dict[str, int] = {}
        ready: list[tuple[excel.ImportRow, _Prepared, str]] = []

        def err(row: int, key: str | None, vi: str, en: str) -> None:
            errors.append(excel.RowError(row, headers.get(key, key) if key else None, vi, en))

        for r in parsed.rows:
            plot = plots.get(r.plot_code)
            if plot is None or not _can_read(p, plot):
                err(r.row, "plot_code", f"không có thửa «{r.plot_code}».",
                    f"no plot '{r.plot_code}'.")
                continue
            if not _can_write(p, plot):
                err(r.row, "plot_code", f"thửa «{r.plot_code}» không phải của bạn.",
                    f"plot '{r.plot_code}' is not yours.")
                continue
            if r.season:
                try:
                    crop_year = season_names.parse_label(r.season)
                except season_names.SeasonError as exc:
                    err(r.row, "season", exc.message_vi, exc.message_en)
                    continue
                season = seasons.get((plot.id, crop_year.key))
                if season is None:
                    err(r.row, "season", f"thửa «{r.plot_code}» chưa có vụ {crop_year.label()}.",
                        f"plot '{r.plot_code}' has no season {crop_year.label('en')}.")
                    continue
            else:
                found = latest_open.get(plot.id)
                if found is None:
                    err(r.row, "season", f"thửa «{r.plot_code}» chưa có vụ đang mở.",
                        f"plot '{r.plot_code}' has no open season.")
                    continue
                season = found
            key = r.fingerprint()
            if key in fingerprints:
                err(r.row, None, f"trùng với dòng {fingerprints[key]}.",
                    f"duplicate of row {fingerprints[key]}.")
                continue
            fingerprints[key] = r.row
            inputs: list[ActivityInputIn] = []
            if r.input_name:
                product = catalogue.get(fold(r.input_name))
                if product is None:
                    err(r.row, "input_name", f"vật tư «{r.input_name}» không có trong danh mục.",
                        f"input '{r.input_name}' is not in the catalogue.")
                    continue
                purchase_id = None
                if r.purchase_lot:
                    purchase = lots.get((product.id, fold(r.purchase_lot)))
                    if purchase is None:
                        err(r.row, "purchase_lot", f"không có lần mua lô «{r.purchase_lot}» "
                            "của vật tư này.", f"no purchase of lot '{r.purchase_lot}' of this "
                            "input.")
                        continue
                    purchase_id = purchase.id
                assert r.input_quantity is not None and r.input_unit is not None
                inputs.append(ActivityInputIn(input_id=product.id, quantity=r.input_quantity,
                                              unit=r.input_unit, purchase_id=purchase_id))
            data = ActivityCreate(
                season_id=season.id, kind=r.kind, at=r.at,
                done_by=r.done_by, notes=r.notes, area_ha=r.area_ha,
                quantity=r.harvest_kg, unit="kg" if r.harvest_kg is not None else None,
                moisture_pct=r.moisture_pct, pest=r.pest, density_per_m2=r.density,
                growth_stage=r.growth_stage, inputs=inputs)
            try:
                prepared = _prepare(uow, data, None, season, lookups=cache)
            except ValidationFailed as exc:
                column_of = {"at": "date", "quantity": "harvest_kg", "unit": "input_unit",
                             "inputs": "input_name", "pest": "pest", "area_ha": "area_ha"}
                first = exc.errors[0].loc.split("/")[0] if exc.errors else None
                err(r.row, column_of.get(first or ""), _lower_first(exc.message_vi),
                    _lower_first(exc.message_en))
                continue
            ready.append((r, prepared, str(uuid.uuid5(UUID_NS, "import:" + key))))
        known = set()
        uuids = [u for _, _, u in ready]
        for start in range(0, len(uuids), 500):
            known |= set(s.scalars(select(Activity.client_uuid).where(
                Activity.client_uuid.in_(uuids[start:start + 500]))).all())
        errors.sort(key=lambda e: e.row)
        report_errors = [ImportRowError(row=e.row, column=e.column, message=e.message(lang))
                         for e in errors]
        if errors and mode == "all":
            raise ValidationFailed(
                f"Tệp có {len(errors)} lỗi; chưa nhập dòng nào (sửa rồi nhập lại, hoặc chọn "
                "nhập các dòng đúng).",
                f"The file has {len(errors)} errors; nothing was imported (fix them and import "
                "again, or choose to import the good rows).",
                [FieldError(f"rows/{e.row}" + (f"/{e.column}" if e.column else ""),
                            e.message("vi"), e.message("en")) for e in errors[:500]],
            )
        new = [(r, prep, u) for r, prep, u in ready if u not in known]
        ids: list[int] = []
        if new and not dry_run:
            ids = _bulk_insert(uow, new)
            audit.record(s, "import", "diary_activities", filename[:100],
                         {"rows": len(new), "errors": len(errors), "mode": mode})
            uow.commit()
        return ImportReport(
            rows_read=parsed.rows_read, rows_imported=0 if dry_run else len(new),
            rows_already_imported=len(ready) - len(new),
            rows_with_errors=len({e.row for e in errors}), mode=mode,
            dry_run=dry_run, errors=report_errors, activity_ids=ids)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _bulk_insert(uow: UnitOfWork, rows: Sequence[tuple[Any, _Prepared, str]]) -> list[int]:
    """Write many prepared activities at once (one INSERT per table), then refresh their
    seasons and publish their events."""
    s = uow.session
    now = clock.now()
    values = [dict(prep.values, client_uuid=u, version=1, updated_at=now, created_at=now,
                   recorded_by_user_id=uow.principal.user_id) for _, prep, u in rows]
    ids: list[int] = []
    for start in range(0, len(values), 2000):
        chunk = values[start:start + 2000]
        result = s.execute(insert(Activity).returning(Activity.id, sort_by_parameter_order=True),
                           chunk)
        ids += [int(x) for x in result.scalars().all()]
    uses = [dict(i, activity_id=aid) for aid, (_, prep, _) in zip(ids, rows, strict=True)
            for i in prep.inputs]
    for start in range(0, len(uses), 5000):
        s.execute(insert(ActivityInput), uses[start:start + 5000])
    _refresh_seasons(s, {v["season_id"] for v in values if v["season_id"] is not None})
    eventful = [aid for aid, v in zip(ids, values, strict=True)
                if v["kind"] in rules.PRODUCE_KINDS | {"sale"} and v["status"] == "done"]
    for start in range(0, len(eventful), 500):
        for a in s.scalars(select(Activity).where(Activity.id.in_(eventful[start:start + 500]))
                           .order_by(Activity.id)).all():
            _publish_recorded(uow, a)
    return ids


def principal_named(uow: UnitOfWork, username: str) -> Principal | None:
    """The principal of a user account, for command-line use (``--user``)."""
    from nongso.accounts.services import principal_by_name

    return principal_by_name(uow, username)
