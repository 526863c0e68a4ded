"""Pages of open data: the catalogue and one page per dataset (Vietnamese and English)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nongso.core.errors import NotFound
from nongso.core.http import page_language
from nongso.opendata import services
from nongso.opendata.schemas import vocab
from nongso.web import nav
from nongso.web.render import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("/opendata", "nav.opendata"))


def _labels(lang: str) -> dict[str, dict[str, str]]:
    def pick(t: vocab.Term) -> str:
        return t.label_vi if lang == "vi" else t.label_en

    return {"themes": {k: pick(t) for k, t in vocab.THEMES.items()},
            "frequencies": {k: pick(t) for k, t in vocab.FREQUENCIES.items()},
            "licences": {k: pick(t) for k, t in vocab.LICENCES.items()}}


@router.get("/opendata", response_class=HTMLResponse)
def catalogue_page(request: Request) -> HTMLResponse:
    try:
        cat = services.catalogue()
    except NotFound:
        cat = None
    lang = page_language(request)
    return render(request, "opendata/catalog.html", {"cat": cat, "labels": _labels(lang)})


@router.get("/opendata/datasets/{dataset_id}.html", response_class=HTMLResponse)
def dataset_page(request: Request, dataset_id: str) -> HTMLResponse:
    ds = services.dataset(dataset_id)
    return render(request, "opendata/dataset.html", {"ds": ds, "labels": _labels("vi"),
                                                     "labels_en": _labels("en")})
