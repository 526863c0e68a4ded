"""Thresholds on a station's chart: crop salinity limits, flood alarm levels, the light-trap
minimum.
"""

from __future__ import annotations

from nongso.alerts import engine, rules
from nongso.alerts.schemas import Threshold
from nongso.alerts.services._common import _prop
from nongso.core.errors import not_found
from nongso.core.i18n import format_number
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor


def _limit(value: float, lang: str) -> str:
    """A threshold as the chart labels it: 1,5 ‰ in Vietnamese, 1.5 ‰ in English."""
    return format_number(value, lang, 2, trim=True)


def thresholds(uow: UnitOfWork, datastream_id: int) -> list[Threshold]:
    """The lines a station's chart draws: crop salinity limits around it, flood alarm
    levels, the light-trap minimum."""
    streams = monitor.rule_streams(uow, [datastream_id])
    if not streams:
        raise not_found("luồng dữ liệu", "datastream", datastream_id)
    st = streams[0]
    settings = engine.rule_settings()
    out: list[Threshold] = []
    if st.property_code == "salinity":
        crops = {f.crop for f in monitor.fields_around(
            uow, st, _prop(st, "alertRadiusKm", settings.salinity_radius_km) * 1000) if f.crop}
        for crop, t in sorted(rules.load_salinity_thresholds().items(),
                              key=lambda kv: kv[1].max_safe_per_mille):
            if crop in crops:
                out.append(Threshold(value=t.max_safe_per_mille,
                                     label_vi=f"{t.name_vi} {_limit(t.max_safe_per_mille, 'vi')} ‰",
                                     label_en=f"{t.name_en} {_limit(t.max_safe_per_mille, 'en')} ‰",
                                     kind="crop"))
    elif st.property_code == "water_level":
        name = st.thing_properties.get("floodStation")
        station = rules.load_flood_stations().get(name) if isinstance(name, str) else None
        if station is not None:
            for roman, level in zip(("I", "II", "III"), station.alarm_levels, strict=True):
                out.append(Threshold(value=level,
                                     label_vi=f"Báo động {roman} {_limit(level, 'vi')} m",
                                     label_en=f"Alarm {roman} {_limit(level, 'en')} m",
                                     kind="alarm"))
    elif st.property_code == "light_trap_count":
        out.append(Threshold(value=100, label_vi="Ngưỡng đỉnh 100 con/đêm",
                             label_en="Peak threshold 100 a night", kind="trap"))
    return out


def salinity_not_covered(uow: UnitOfWork, datastream_id: int) -> list[str]:
    """The crops grown around a salinity station without a published threshold (codes): the
    station page says they are not covered."""
    streams = monitor.rule_streams(uow, [datastream_id])
    if not streams or streams[0].property_code != "salinity":
        return []
    st = streams[0]
    radius_km = _prop(st, "alertRadiusKm", engine.rule_settings().salinity_radius_km)
    crops = {f.crop for f in monitor.fields_around(uow, st, radius_km * 1000) if f.crop}
    return rules.crops_not_covered(crops, rules.load_salinity_thresholds())
