"""Parsing what devices send: SensorThings observations, dataArray, the compact MQTT batch.

Pure functions from JSON text or decoded JSON to :class:`ingest.SeriesIn`. Structural errors
raise :class:`PayloadError` listing every problem with where it is (a JSON pointer such as
``/0/dataArray/3/1``). Per-reading problems that depend on the datastream (a time in the
future, a result of the wrong type) are left to :func:`ingest.prepare`.

The compact batch (MQTT topic ``nongso/{device}/obs`` and ``POST /api/v1/monitor/observations``)::

    {"obs": [[datastream_id, time, result], ...]}

``time`` is ISO 8601 with a zone (``2026-03-01T06:00:00+07:00``) or Unix seconds (a number);
a bare list ``[[...], ...]`` is accepted too. Up to :data:`MAX_ROWS` rows a message.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nongso.core import limits
from nongso.core.errors import FieldError, ValidationFailed
from nongso.monitor.ingest import RowExtras, SeriesIn

__all__ = [
    "DATA_ARRAY_COMPONENTS",
    "MAX_ROWS",
    "PayloadError",
    "Problem",
    "decode_json",
    "parse_compact",
    "parse_data_array",
    "parse_interval",
    "parse_observation",
    "parse_time",
]

MAX_ROWS: Final = 100_000
"""Most readings accepted in one message or request (a device should split bigger ones)."""

DATA_ARRAY_COMPONENTS: Final = frozenset({
    "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters",
    "FeatureOfInterest/id",
})

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)


@dataclass(frozen=True)
class Problem:
    loc: str
    code: str
    message_vi: str
    message_en: str


class PayloadError(ValidationFailed):
    """A payload that cannot be read; ``problems`` says what and where."""

    status = 400
    code = "bad-payload"
    title_vi = "Dữ liệu gửi lên không đọc được"
    title_en = "Unreadable payload"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        more_vi = f" (và {len(self.problems) - 1} lỗi khác)" if len(self.problems) > 1 else ""
        more_en = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(
            f"{first.loc or '/'}: {first.message_vi}{more_vi}",
            f"{first.loc or '/'}: {first.message_en}{more_en}",
            [FieldError(p.loc or "/", p.message_vi, p.message_en) for p in self.problems[:100]],
        )

    @property
    def reason(self) -> str:
        return self.problems[0].code


def _problem(loc: str, code: str, vi: str, en: str) -> Problem:
    return Problem(loc, code, vi, en)


def decode_json(payload: bytes | str) -> Any:
    """JSON text to Python, or :class:`PayloadError` (not UTF-8, not JSON, NaN...)."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    except UnicodeDecodeError:
        raise PayloadError([_problem("", "not_utf8", "Nội dung không phải UTF-8.",
                                     "The payload is not UTF-8 text.")]) from None

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        return limits.load_json(text, parse_constant=no_constants)
    except ValueError as exc:  # not JSON, NaN or Infinity, or nested too deeply
        raise PayloadError([_problem("", "malformed_json",
                                     f"JSON không hợp lệ: {exc}.",
                                     f"Malformed JSON: {exc}.")]) from None


def parse_time(value: Any, loc: str, *, numbers: bool = False) -> dt.datetime:
    """An ISO 8601 date-time (or, with ``numbers``, Unix seconds). A time without a zone is
    returned naive: ingestion rejects it with its own message."""
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _EPOCH + dt.timedelta(seconds=value)
        except (OverflowError, ValueError):
            pass
    elif isinstance(value, str) and "/" not in value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PayloadError([_problem(
        loc, "bad_time", f"Thời điểm không hợp lệ: {str(value)[:60]!r} (cần ISO 8601, ví dụ "
        "2026-03-01T06:00:00+07:00).",
        f"Invalid time: {str(value)[:60]!r} (ISO 8601 expected, e.g. 2026-03-01T06:00:00+07:00).",
    )])


def parse_interval(value: Any, loc: str) -> tuple[dt.datetime, dt.datetime | None]:
    """An instant or an ISO 8601 interval ``start/end`` (SensorThings phenomenonTime)."""
    if isinstance(value, str) and value.count("/") == 1:
        start, end = value.split("/")
        return parse_time(start, loc), parse_time(end, loc)
    return parse_time(value, loc), None


def _ref_id(value: Any, loc: str, what_vi: str, what_en: str) -> int:
    if isinstance(value, Mapping) and "@iot.id" in value:  # other keys of a link are ignored
        value = value["@iot.id"]
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    raise PayloadError([_problem(
        loc, "bad_reference", f"Cần mã {what_vi} dạng {{\"@iot.id\": số}}.",
        f'A {what_en} reference {{"@iot.id": number}} is expected.')])


def parse_observation(
    body: Any, loc: str = "", datastream_id: int | None = None, now: dt.datetime | None = None
) -> tuple[int, dt.datetime, Any, RowExtras, Any]:
    """One SensorThings Observation (a POST body or an MQTT message on
    ``v1.1/Datastreams({id})/Observations``). Returns (datastream id, phenomenon time,
    result, extras, FeatureOfInterest body or None); the feature body is a new feature to
    create (a reference is returned in ``extras.feature_id``)."""
    if not isinstance(body, Mapping):
        raise PayloadError([_problem(loc, "not_object", "Observation phải là một đối tượng JSON.",
                                     "An Observation must be a JSON object.")])
    allowed = {"phenomenonTime", "result", "resultTime", "resultQuality", "validTime",
               "parameters", "Datastream", "FeatureOfInterest", "MultiDatastream"}
    problems = [
        _problem(f"{loc}/{k}", "unknown_property", "Thuộc tính không có trong Observation.",
                 "Not a property of an Observation.")
        for k in body if k not in allowed and not k.startswith("@iot.")
    ]
    if "result" not in body:
        problems.append(_problem(f"{loc}/result", "missing", "Thiếu kết quả (result).",
                                 "The result is missing."))
    if "MultiDatastream" in body:
        problems.append(_problem(f"{loc}/MultiDatastream", "unsupported",
                                 "MultiDatastream chưa được hỗ trợ.",
                                 "MultiDatastream is not supported."))
    if problems:
        raise PayloadError(problems)
    if "Datastream" in body:
        ds = _ref_id(body["Datastream"], f"{loc}/Datastream", "luồng dữ liệu", "Datastream")
        if datastream_id is not None and ds != datastream_id:
            raise PayloadError([_problem(
                f"{loc}/Datastream", "conflict", "Datastream trong nội dung khác với đường dẫn.",
                "The Datastream in the body differs from the one in the path.")])
    elif datastream_id is not None:
        ds = datastream_id
    else:
        raise PayloadError([_problem(f"{loc}/Datastream", "missing", "Thiếu Datastream.",
                                     "The Datastream is missing.")])
    if body.get("phenomenonTime") is None:
        start, end = (now or dt.datetime.now(_UTC)), None  # STA: the server's time
    else:
        start, end = parse_interval(body["phenomenonTime"], f"{loc}/phenomenonTime")
    result_time = None
    if body.get("resultTime") is not None:
        result_time = parse_time(body["resultTime"], f"{loc}/resultTime")
    valid_start = valid_end = None
    if body.get("validTime") is not None:
        valid_start, valid_end = parse_interval(body["validTime"], f"{loc}/validTime")
        if valid_end is None:
            raise PayloadError([_problem(f"{loc}/validTime", "bad_interval",
                                         "validTime phải là khoảng thời gian bắt đầu/kết thúc.",
                                         "validTime must be an interval start/end.")])
    parameters = body.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise PayloadError([_problem(f"{loc}/parameters", "not_object",
                                     "parameters phải là một đối tượng JSON.",
                                     "parameters must be a JSON object.")])
    feature_id = None
    new_feature = None
    foi = body.get("FeatureOfInterest")
    if foi is not None:
        if isinstance(foi, Mapping) and "@iot.id" in foi:
            feature_id = _ref_id(foi, f"{loc}/FeatureOfInterest", "vùng quan trắc",
                                 "FeatureOfInterest")
        else:
            new_feature = foi
    extras = RowExtras(end, result_time, valid_start, valid_end,
                       dict(parameters) if parameters is not None else None, feature_id)
    return ds, start, body["result"], extras, new_feature


def parse_data_array(body: Any) -> list[SeriesIn]:
    """The body of ``POST CreateObservations`` (SensorThings 1.1 dataArray extension)."""
    if not isinstance(body, list):
        raise PayloadError([_problem("", "not_array", "Nội dung phải là một mảng JSON.",
                                     "The body must be a JSON array.")])
    out: list[SeriesIn] = []
    problems: list[Problem] = []
    total = 0
    for n, group in enumerate(body):
        loc = f"/{n}"
        if not isinstance(group, Mapping):
            problems.append(_problem(loc, "not_object", "Mỗi phần tử phải là một đối tượng.",
                                     "Each element must be an object."))
            continue
        unknown = set(group) - {"Datastream", "components", "dataArray", "dataArray@iot.count",
                                "MultiDatastream"}
        for k in sorted(unknown):
            problems.append(_problem(f"{loc}/{k}", "unknown_property",
                                     "Thuộc tính không được phép.", "Unknown property."))
        try:
            ds = _ref_id(group.get("Datastream"), f"{loc}/Datastream", "luồng dữ liệu",
                         "Datastream")
        except PayloadError as exc:
            problems.extend(exc.problems)
            continue
        components = group.get("components")
        rows = group.get("dataArray")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            problems.append(_problem(f"{loc}/components", "bad_components",
                                     "components phải là danh sách tên thuộc tính.",
                                     "components must be a list of property names."))
            continue
        bad = [c for c in components if c not in DATA_ARRAY_COMPONENTS]
        if bad or len(set(components)) != len(components) or "result" not in components:
            problems.append(_problem(
                f"{loc}/components", "bad_components",
                f"components không hợp lệ (cho phép: {', '.join(sorted(DATA_ARRAY_COMPONENTS))};"
                " phải có result, không lặp).",
                f"Invalid components (allowed: {', '.join(sorted(DATA_ARRAY_COMPONENTS))}; "
                "result is required; no repeats)."))
            continue
        if not isinstance(rows, list):
            problems.append(_problem(f"{loc}/dataArray", "not_array",
                                     "dataArray phải là một mảng.", "dataArray must be an array."))
            continue
        total += len(rows)
        if total > MAX_ROWS:
            raise PayloadError([_problem(
                f"{loc}/dataArray", "too_many", f"Quá {MAX_ROWS} quan trắc trong một yêu cầu.",
                f"More than {MAX_ROWS} observations in one request.")])
        try:
            out.append(_data_array_series(ds, components, rows, f"{loc}/dataArray"))
        except PayloadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PayloadError(problems)
    return out


def _data_array_series(ds: int, components: list[str], rows: list[Any], loc: str) -> SeriesIn:
    width = len(components)
    idx = {c: i for i, c in enumerate(components)}
    simple = set(components) <= {"phenomenonTime", "result"}
    times: list[dt.datetime] = []
    results: list[Any] = []
    extras: list[RowExtras | None] = []
    problems: list[Problem] = []
    it = idx.get("phenomenonTime")
    ir = idx["result"]
    now = dt.datetime.now(_UTC)
    for i, row in enumerate(rows):
        rloc = f"{loc}/{i}"
        if not isinstance(row, list) or len(row) != width:
            problems.append(_problem(rloc, "bad_row", f"Mỗi dòng phải có {width} giá trị.",
                                     f"Each row must have {width} values."))
            continue
        try:
            if it is None or row[it] is None:
                start, end = now, None
            else:
                start, end = parse_interval(row[it], f"{rloc}/{it}")
            extra: RowExtras | None = None
            if not simple or end is not None:
                extra = _row_extras(row, idx, rloc, end)
        except PayloadError as exc:
            problems.extend(exc.problems)
            if len(problems) > 100:
                break
            continue
        times.append(start)
        results.append(row[ir])
        extras.append(extra)
    if problems:
        raise PayloadError(problems)
    any_extra = any(e is not None for e in extras)
    return SeriesIn(ds, times, results, extras if any_extra else None, loc)


def _row_extras(row: list[Any], idx: dict[str, int], loc: str,
                end: dt.datetime | None) -> RowExtras:
    result_time = valid_start = valid_end = None
    parameters = None
    feature_id = None
    if "resultTime" in idx and row[idx["resultTime"]] is not None:
        result_time = parse_time(row[idx["resultTime"]], f"{loc}/{idx['resultTime']}")
    if "validTime" in idx and row[idx["validTime"]] is not None:
        valid_start, valid_end = parse_interval(row[idx["validTime"]],
                                                f"{loc}/{idx['validTime']}")
    if "parameters" in idx and row[idx["parameters"]] is not None:
        value = row[idx["parameters"]]
        if not isinstance(value, Mapping):
            raise PayloadError([_problem(f"{loc}/{idx['parameters']}", "not_object",
                                         "parameters phải là một đối tượng.",
                                         "parameters must be an object.")])
        parameters = dict(value)
    if "FeatureOfInterest/id" in idx and row[idx["FeatureOfInterest/id"]] is not None:
        feature_id = _ref_id(row[idx["FeatureOfInterest/id"]],
                             f"{loc}/{idx['FeatureOfInterest/id']}", "vùng quan trắc",
                             "FeatureOfInterest")
    return RowExtras(end, result_time, valid_start, valid_end, parameters, feature_id)


def parse_compact(payload: Any, loc: str = "") -> tuple[list[SeriesIn], list[Problem]]:
    """The compact batch: returns the readings grouped by datastream and the rows that could
    not be read (each with its place); a payload that is not a batch at all raises."""
    rows = payload.get("obs") if isinstance(payload, Mapping) else payload
    if isinstance(payload, Mapping) and set(payload) - {"obs"}:
        extra = sorted(set(payload) - {"obs"})
        raise PayloadError([_problem(f"{loc}/{extra[0]}", "unknown_property",
                                     "Chỉ cho phép khoá «obs».", "Only the key 'obs' is allowed.")])
    if not isinstance(rows, list):
        raise PayloadError([_problem(f"{loc}/obs", "not_array",
                                     "Cần {\"obs\": [[datastream, thời điểm, giá trị], ...]}.",
                                     'Expected {"obs": [[datastream, time, value], ...]}.')])
    if len(rows) > MAX_ROWS:
        raise PayloadError([_problem(f"{loc}/obs", "too_many",
                                     f"Quá {MAX_ROWS} quan trắc trong một tin.",
                                     f"More than {MAX_ROWS} observations in one message.")])
    by_ds: dict[int, tuple[list[dt.datetime], list[Any], list[int]]] = {}
    problems: list[Problem] = []
    fromiso = dt.datetime.fromisoformat
    for i, row in enumerate(rows):
        try:
            ds, t, v = row
            if type(ds) is not int or ds <= 0:
                raise TypeError
            moment = fromiso(t) if type(t) is str else parse_time(t, "", numbers=True)
        except (TypeError, ValueError, PayloadError):
            problems.append(_compact_problem(f"{loc}/obs/{i}", row))
            continue
        group = by_ds.get(ds)
        if group is None:
            group = by_ds[ds] = ([], [], [])
        group[0].append(moment)
        group[1].append(v)
        group[2].append(i)
    series = [
        SeriesIn(ds, times, values, None, f"{loc}/obs", positions)
        for ds, (times, values, positions) in by_ds.items()
    ]
    return series, problems


def _compact_problem(loc: str, row: Any) -> Problem:
    shown = json.dumps(row, ensure_ascii=False, default=str)[:80]
    return _problem(
        loc, "bad_row",
        f"Dòng không đọc được {shown}: cần [mã datastream (số nguyên dương), thời điểm ISO 8601 "
        "hoặc giây Unix, giá trị].",
        f"Unreadable row {shown}: expected [datastream id (positive integer), ISO 8601 time or "
        "Unix seconds, value].",
    )
