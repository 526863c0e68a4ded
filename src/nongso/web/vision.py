"""Pages of photo diagnosis and scanning: the farmer photographs a sick plant, the plant-
protection staff review the photos, the advice page of each pest and disease, the scanner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from nongso.core.deps import PrincipalDep, UowDep
from nongso.core.errors import AppError
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.core.i18n import format_number, translate
from nongso.core.pagination import PageRequest
from nongso.core.permissions import Principal
from nongso.core.settings import get_settings
from nongso.diary import services as diary
from nongso.units import services as units
from nongso.vision import services
from nongso.vision.schemas import FieldAccuracy, PhotoCreate, PhotoReview
from nongso.web import nav
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)

REVIEWERS = frozenset({"admin", "province_officer", "commune_officer"})
nav.register(nav.NavItem("/vision", "nav.vision", frozenset({
    "admin", "province_officer", "commune_officer", "farmer"})))
nav.register(nav.NavItem("/scan", "nav.scan", frozenset({
    "admin", "province_officer", "commune_officer", "inspector", "coop_manager", "farmer",
    "buyer"})))


def _login(next_path: str) -> Response:
    return RedirectResponse(f"/login?next={next_path}", status_code=303)


def _pct(value: float | None, lang: str) -> str:
    return "" if value is None else format_number(value * 100, lang, 0) + " %"


def accuracy_text(acc: FieldAccuracy | None, lang: str) -> dict[str, str]:
    """The sentences that state the model's field accuracy (never a lab figure alone)."""
    if acc is None:
        return {"main": translate("vision.no_model", lang)}
    out = {"main": translate("vision.accuracy_text", lang).format(
        n=acc.n_test, coverage=_pct(acc.coverage, lang),
        right=_pct(acc.selective_accuracy, lang), top3=_pct(acc.top3_accuracy, lang))}
    if acc.non_crop_abstain is not None:
        out["non_crop"] = translate("vision.non_crop", lang).format(
            rate=_pct(acc.non_crop_abstain, lang), n=acc.non_crop_n)
    if acc.source == "synthetic":
        out["synthetic"] = translate("vision.accuracy_synthetic", lang)
    return out


def _hub(request: Request, uow: UowDep, principal: Principal, error: str | None = None,
         status: int = 200) -> Response:
    """(The commune of a photo is shown by name, its code in the tooltip.)"""
    lang = page_language(request)
    staff = principal.role in REVIEWERS
    context: dict[str, Any] = {
        "error": error, "staff": staff, "labels": services.label_choices(lang),
        "accuracy": accuracy_text(services.field_accuracy(uow), lang),
        "plots": [], "photos": None, "queue": None, "dataset": None,
        "commune_names": {c.code: c.name for c in units.communes_of_province(
            uow, get_settings().province_code)}}
    if principal.role == "farmer":
        context["plots"] = diary.list_plots(uow, PageRequest(limit=200, offset=0)).items
        context["photos"] = services.list_photos(uow, PageRequest(limit=20, offset=0),
                                                 lang=lang)
    if staff:
        context["queue"] = services.list_photos(uow, PageRequest(limit=30, offset=0),
                                                status="pending", lang=lang)
        if principal.role in ("admin", "province_officer"):
            context["dataset"] = services.dataset_summary(uow, lang)
    return render(request, "vision/index.html", context, principal=principal, status=status)


@router.get("/vision")
def hub(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return _login("/vision")
    return _hub(request, uow, principal)


@router.post("/vision/photo")
async def send_photo(request: Request, uow: UowDep, principal: PrincipalDep,
                     csrf: Annotated[str, Form(max_length=100)],
                     photo: Annotated[UploadFile, File()],
                     plot_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
                     consent: Annotated[bool, Form()] = False,
                     notes: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The farmer's form: the photo goes with a new scouting record of the plot."""
    check_csrf(request, csrf)
    lang = page_language(request)
    try:
        content = await photo.read(services.MAX_UPLOAD_BYTES + 1)
        result = services.upload_photo(uow, PhotoCreate(
            plot_id=plot_id, consent=consent, notes=notes or None), content, lang)
    except AppError as exc:
        return _hub(request, uow, principal, exc.message(lang), exc.status)
    return RedirectResponse(f"/vision/photos/{result.id}", status_code=303)


@router.get("/vision/photos/{photo_id}")
def photo_page(photo_id: Id, request: Request, uow: UowDep, principal: PrincipalDep
               ) -> Response:
    if not principal.is_authenticated:
        return _login(f"/vision/photos/{photo_id}")
    lang = page_language(request)
    item = services.get_photo(uow, photo_id, lang)
    return render(request, "vision/photo.html", {
        "p": item, "staff": principal.role in REVIEWERS,
        "labels": services.label_choices(lang),
        "accuracy": accuracy_text(item.diagnosis.accuracy, lang)}, principal=principal)


@router.post("/vision/photos/{photo_id}/review")
def review(photo_id: Id, request: Request, uow: UowDep,
           csrf: Annotated[str, Form(max_length=100)],
           action: Annotated[str, Form(pattern="^(confirm|reject)$")],
           label: Annotated[str, Form(max_length=40)] = "",
           note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_csrf(request, csrf)
    data = PhotoReview.model_validate({
        "status": "confirmed" if action == "confirm" else "rejected",
        "label": label or None if action == "confirm" else None, "note": note or None})
    services.review_photo(uow, photo_id, data, page_language(request))
    return RedirectResponse("/vision", status_code=303)


@router.get("/vision/advice")
def advice_list(request: Request) -> Response:
    return render(request, "vision/advice_list.html", {"items": services.advice_pages()})


@router.get("/vision/advice/{label}")
def advice_page(label: str, request: Request) -> Response:
    return render(request, "vision/advice.html", {"a": services.advice_page(label)})


@router.get("/scan")
def scan_page(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    """The scanner: the camera reads the code in the page (zxing-wasm, offline)."""
    if not principal.is_authenticated:
        return _login("/scan")
    plots = (diary.list_plots(uow, PageRequest(limit=200, offset=0)).items
             if principal.role == "farmer" else [])
    return render(request, "vision/scan.html", {"plots": plots}, principal=principal)
