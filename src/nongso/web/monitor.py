"""Pages of monitoring: the station map and a station's charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nongso.alerts import services as alerts
from nongso.alerts.schemas import crop_name
from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.errors import not_found
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.core.i18n import translate
from nongso.core.pagination import PageRequest
from nongso.monitor import services as monitor
from nongso.registry import services as registry
from nongso.units import services as units
from nongso.web.nav import NavItem, register
from nongso.web.render import render

router = APIRouter(include_in_schema=False)
register(NavItem("/monitor", "nav.monitor"))


def _scenarios(uow: UowDep, lang: str, thing_id: int | None = None) -> list[str]:
    """The scenarios the simulated demo stations play (their Thing properties), as text."""
    key = "demoScenarioVi" if lang == "vi" else "demoScenarioEn"
    return sorted({str(st.thing_properties[key]) for st in monitor.rule_streams(uow)
                   if key in st.thing_properties
                   and (thing_id is None or st.thing_id == thing_id)})


@router.get("/monitor", response_class=HTMLResponse)
def map_page(request: Request, uow: UowDep, principal: PrincipalDep,
             platform: PlatformDep) -> Response:
    stations = alerts.stations_with_status(uow)
    lang = page_language(request)
    communes = units.communes_of_province(uow, platform.settings.province_code)
    context = {
        "communes": [[c.lon, c.lat, c.name] for c in communes if c.lon and c.lat],
        "labels": {s: translate(f"monitor.status.{s}", lang)
                   for s in ("ok", "warning", "alarm", "silent", "no_data")},
        "details": "Xem biểu đồ" if lang == "vi" else "Chart",
        "registry": translate("monitor.registry_record", lang),
        "codes": {c: translate(f"monitor.code.{c}", lang) for c in (
            "salinity", "water_level", "light_trap_count", "air_temperature",
            "relative_humidity", "soil_moisture", "ph")},
    }
    return render(request, "monitor/map.html", {
        "stations": stations, "bridge": monitor.bridge_status(principal),
        "scenarios": _scenarios(uow, lang),
        "stations_data": [s.model_dump(mode="json") for s in stations],
        "context_data": context}, principal=principal)


@router.get("/monitor/stations/{thing_id}", response_class=HTMLResponse)
def station_page(thing_id: Id, request: Request, uow: UowDep,
                 principal: PrincipalDep) -> Response:
    station = next((s for s in alerts.stations_with_status(uow) if s.id == thing_id), None)
    if station is None:
        raise not_found("trạm", "station", thing_id)
    charts = [{"id": v["datastream_id"], "name": v["name"], "unit": v["unit"],
               "code": v["property_code"]} for v in station.latest]
    lang = page_language(request)
    context = {"lang": lang, "noData": translate("monitor.no_data", lang),
               "mean": "Trung bình" if lang == "vi" else "Mean",
               "band": "Thấp–cao" if lang == "vi" else "Low–high"}
    recent = alerts.list_alerts(uow, PageRequest(20, 0), thing_id=thing_id)
    # The station's registry record, through the registry's services (this page composes).
    registry_record = None
    if station.registry_feature_id is not None:
        registry_record = registry.infrastructure_by_id(
            uow, [station.registry_feature_id]).get(station.registry_feature_id)
    # Crops grown around a salinity station without a threshold: said, not left silent.
    not_covered = sorted({crop_name(c, lang) for ch in charts if ch["code"] == "salinity"
                          for c in alerts.salinity_not_covered(uow, ch["id"])})
    return render(request, "monitor/station.html",
                  {"station": station, "charts": charts, "context_data": context,
                   "salinity_not_covered": not_covered,
                   "scenarios": _scenarios(uow, lang, thing_id),
                   "recent": recent, "registry_record": registry_record}, principal=principal)
