"""CQL2-text filters compiled to SQLAlchemy and run on a real SQLite table; bbox and datetime."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    select,
)

from nongso.registry.cql import (
    BBoxColumns,
    CompiledFilter,
    FilterError,
    ParameterError,
    bbox_condition,
    bbox_geometry,
    compile_filter,
    parse_bbox,
    parse_cql2_text,
    parse_datetime_interval,
)
from nongso.registry.geo import BBox

metadata = MetaData()
units = Table(
    "units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100)),
    Column("crop", String(30)),
    Column("area_ha", Float),
    Column("score", Integer),
    Column("organic", Boolean),
    Column("planted", Date),
    Column("updated_at", DateTime),
    Column("geometry", Text),
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
)
QUERYABLES = {
    "name": units.c.name,
    "crop": units.c.crop,
    "area_ha": units.c.area_ha,
    "score": units.c.score,
    "organic": units.c.organic,
    "planted": units.c.planted,
    "updated_at": units.c.updated_at,
}
BBOX_COLUMNS = BBoxColumns(units.c.minx, units.c.miny, units.c.maxx, units.c.maxy)


def square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


ROWS: list[dict[str, Any]] = [
    # id 1..6; geometries are small squares except where noted
    dict(id=1, name="Ruộng Ông Năm", crop="lúa", area_ha=1.5, score=1, organic=True,
         planted=dt.date(2025, 1, 10), updated_at=dt.datetime(2025, 1, 1, 3, 0),
         geometry=square(105.60, 10.40)),
    dict(id=2, name="ruộng bà Tư", crop="lúa", area_ha=0.8, score=2, organic=False,
         planted=dt.date(2025, 2, 1), updated_at=dt.datetime(2025, 2, 1, 0, 0),
         geometry=square(105.70, 10.50)),
    dict(id=3, name="Vườn xoài 100%", crop="xoài", area_ha=3.0, score=3, organic=True,
         planted=dt.date(2024, 12, 1), updated_at=dt.datetime(2024, 12, 31, 16, 59),
         geometry=square(105.64, 10.44)),
    dict(id=4, name="Ao_cá", crop="cá tra", area_ha=None, score=4, organic=None,
         planted=None, updated_at=None,
         geometry=square(105.90, 10.60)),
    dict(id=5, name="Ao-cá", crop=None, area_ha=12.0, score=5, organic=False,
         planted=dt.date(2025, 3, 3), updated_at=dt.datetime(2025, 3, 3, 12, 0),
         geometry=None),
    # A long diagonal strip: its bounding box covers the test triangle's, the strip does not
    # touch the triangle.
    dict(id=6, name="Kênh", crop="lúa", area_ha=0.2, score=6, organic=False,
         planted=dt.date(2025, 1, 1), updated_at=dt.datetime(2025, 1, 1, 0, 0),
         geometry={"type": "LineString", "coordinates": [[105.80, 10.40], [105.90, 10.50]]}),
]  # fmt: skip

TRIANGLE = "POLYGON((105.80 10.42, 105.82 10.42, 105.80 10.50, 105.80 10.42))"


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://")
    metadata.create_all(eng)
    with eng.begin() as conn:
        for row in ROWS:
            values = dict(row)
            geometry = values.pop("geometry")
            if geometry is not None:
                minx, miny, maxx, maxy = shape(geometry).bounds
                values |= {"geometry": json.dumps(geometry)}
                values |= {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
            conn.execute(units.insert().values(**values))
    yield eng
    eng.dispose()


def prefiltered(engine: Engine, compiled: CompiledFilter) -> dict[int, BaseGeometry | None]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(units.c.id, units.c.geometry).where(compiled.where).order_by(units.c.id)
        ).all()
    return {r.id: shape(json.loads(r.geometry)) if r.geometry else None for r in rows}


def run(engine: Engine, text: str) -> list[int]:
    compiled = compile_filter(text, QUERYABLES, bbox_columns=BBOX_COLUMNS)
    with engine.connect() as conn:
        rows = conn.execute(
            select(units.c.id, units.c.geometry, *compiled.columns)
            .where(compiled.where).order_by(units.c.id)
        ).all()
    out = []
    for r in rows:
        geometry = shape(json.loads(r.geometry)) if r.geometry else None
        if compiled.refine(geometry, tuple(r)[2:]):
            out.append(r.id)
    return out


# -- comparisons and logic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("crop = 'lúa'", [1, 2, 6]),
        ("crop <> 'lúa'", [3, 4]),  # NULL is neither equal nor different
        ("area_ha > 1", [1, 3, 5]),
        ("area_ha >= 1.5", [1, 3, 5]),
        ("area_ha < 1", [2, 6]),
        ("area_ha <= 0.8", [2, 6]),
        ("1 < area_ha", [1, 3, 5]),  # literal on the left
        ("organic = true", [1, 3]),
        ("organic = FALSE", [2, 5, 6]),
        ("crop = 'lúa' AND area_ha > 1", [1]),
        ("crop = 'xoài' OR crop = 'cá tra'", [3, 4]),
        # AND binds tighter than OR (CQL2), unlike pygeofilter's own parser.
        ("crop = 'xoài' OR crop = 'lúa' AND area_ha > 1", [1, 3]),
        ("(crop = 'xoài' OR crop = 'lúa') AND area_ha > 1", [1, 3]),
        ("crop = 'lúa' AND area_ha > 1 OR score = 4", [1, 4]),
        ("NOT crop = 'lúa'", [3, 4]),
        ("NOT (crop = 'lúa' AND area_ha > 1)", [2, 3, 4, 6]),  # FALSE AND NULL is FALSE
        ("NOT NOT crop = 'xoài'", [3]),
        ("crop IN ('xoài', 'cá tra')", [3, 4]),
        ("crop NOT IN ('xoài', 'cá tra')", [1, 2, 6]),
        ("score IN (1, 5)", [1, 5]),
        ("area_ha BETWEEN 0.8 AND 3", [1, 2, 3]),
        ("area_ha NOT BETWEEN 0.8 AND 3", [5, 6]),
        ("crop IS NULL", [5]),
        ("area_ha IS NOT NULL AND organic IS NULL", []),
        ("organic IS NULL", [4]),
        ("planted >= DATE('2025-01-10')", [1, 2, 5]),
        ("planted BETWEEN DATE('2025-01-01') AND DATE('2025-01-31')", [1, 6]),
        # 2025-01-01T00:00+07:00 is 2024-12-31T17:00Z; the column holds naive UTC.
        ("updated_at >= TIMESTAMP('2025-01-01T00:00:00+07:00')", [1, 2, 5, 6]),
        ("updated_at < TIMESTAMP('2025-01-01T00:00:00Z')", [3]),
        ("updated_at >= DATE('2025-02-01')", [2, 5]),
        ("INCLUDE", [1, 2, 3, 4, 5, 6]),
        ("EXCLUDE", []),
        ("score = score", [1, 2, 3, 4, 5, 6]),
        ("\"crop\" = 'xoài'", [3]),
    ],
)
def test_comparisons_and_logic(engine: Engine, text: str, expected: list[int]) -> None:
    assert run(engine, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name LIKE 'Ruộng%'", [1]),  # case-sensitive, also on SQLite
        ("name LIKE 'ruộng%'", [2]),
        ("name LIKE '%Năm'", [1]),
        ("name LIKE 'Ao_cá'", [4, 5]),  # _ is any one character
        ("name LIKE 'Ao\\_cá'", [4]),  # \ escapes it
        ("name LIKE '%100\\%'", [3]),
        ("name LIKE '%100%'", [3]),
        ("name NOT LIKE 'Ruộng%'", [2, 3, 4, 5, 6]),
        ("name LIKE '[K]*'", []),  # GLOB metacharacters are literal
    ],
)
def test_like(engine: Engine, text: str, expected: list[int]) -> None:
    assert run(engine, text) == expected


# -- spatial ---------------------------------------------------------------------------------


def test_s_intersects_polygon_prefilter_then_shapely_refinement(engine: Engine) -> None:
    text = f"S_INTERSECTS(geometry, {TRIANGLE})"
    compiled = compile_filter(text, QUERYABLES, bbox_columns=BBOX_COLUMNS)
    assert not compiled.exact
    (literal,) = compiled.geometries
    assert literal.geom_type == "Polygon"
    assert literal.bounds == (105.80, 10.42, 105.82, 10.50)
    # The bounding-box prefilter keeps the strip (6), whose box overlaps the triangle's ...
    candidates = prefiltered(engine, compiled)
    assert sorted(candidates) == [6]
    # ... and the exact test drops it: it passes the triangle by.
    assert not compiled.refine(candidates[6])
    assert run(engine, text) == []

    # A polygon that really touches units 1 and 3 (and only their bounding boxes).
    hit = "POLYGON((105.605 10.405, 105.645 10.405, 105.645 10.445, 105.605 10.405))"
    assert run(engine, f"S_INTERSECTS(geometry, {hit})") == [1, 3]
    assert run(engine, f"S_INTERSECTS(geometry, {hit}) AND crop = 'lúa'") == [1]
    assert run(engine, f"crop = 'xoài' AND S_INTERSECTS({hit}, geometry)") == [3]


def test_spatial_results_agree_with_shapely(engine: Engine) -> None:
    with engine.connect() as conn:
        stored = {
            r.id: shape(json.loads(r.geometry))
            for r in conn.execute(select(units.c.id, units.c.geometry))
            if r.geometry
        }
    literals = [
        TRIANGLE,
        "POLYGON((105.6 10.4, 105.95 10.4, 105.95 10.65, 105.6 10.65, 105.6 10.4))",
        "POINT(105.605 10.405)",
        "LINESTRING(105.55 10.45, 105.95 10.45)",
    ]
    for wkt in literals:
        literal = shape(parse_cql2_text(f"S_INTERSECTS(geometry, {wkt})").rhs)
        checks: dict[str, Callable[[BaseGeometry, BaseGeometry], bool]] = {
            "S_INTERSECTS": lambda g, lit: bool(g.intersects(lit)),
            "S_DISJOINT": lambda g, lit: bool(g.disjoint(lit)),
            "S_CONTAINS": lambda g, lit: bool(g.contains(lit)),
            "S_WITHIN": lambda g, lit: bool(g.within(lit)),
        }
        for op, test in checks.items():
            expected = sorted(i for i, g in stored.items() if test(g, literal))
            assert run(engine, f"{op}(geometry, {wkt})") == expected, (op, wkt)
        not_expected = sorted(i for i, g in stored.items() if not literal.intersects(g))
        assert run(engine, f"NOT S_INTERSECTS(geometry, {wkt})") == not_expected
        assert run(engine, f"NOT NOT S_INTERSECTS(geometry, {wkt})") == (
            sorted(i for i, g in stored.items() if literal.intersects(g))
        )


HIT = "POLYGON((105.605 10.405, 105.645 10.405, 105.645 10.445, 105.605 10.405))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Spatial predicates under OR and inside NOT (…) are evaluated exactly.
        (f"crop = 'cá tra' OR S_INTERSECTS(geometry, {HIT})", [1, 3, 4]),
        (f"S_INTERSECTS(geometry, {TRIANGLE}) OR score = 6", [6]),
        (f"NOT (crop = 'lúa' AND S_INTERSECTS(geometry, {HIT}))", [2, 3, 4, 6]),
        (f"NOT (crop = 'lúa' OR S_INTERSECTS(geometry, {HIT}))", [4]),
        (f"area_ha > 1 AND (S_INTERSECTS(geometry, {HIT}) OR crop IS NULL)", [1, 3, 5]),
        (f"(S_DISJOINT(geometry, {HIT}) OR score = 1) AND crop = 'lúa'", [1, 2, 6]),
        ("NOT (NOT S_WITHIN(geometry, BBOX(105.5, 10.3, 105.75, 10.6)) OR score > 2)", [1, 2]),
        # Row 5 has no geometry: its spatial tests are UNKNOWN, OR TRUE still holds.
        (f"score = 5 OR S_INTERSECTS(geometry, {HIT})", [1, 3, 5]),
        (f"NOT (score <> 5 AND S_INTERSECTS(geometry, {HIT}))", [2, 4, 5, 6]),
    ],
)
def test_spatial_predicates_anywhere_in_the_filter(
    engine: Engine, text: str, expected: list[int]
) -> None:
    compiled = compile_filter(text, QUERYABLES, bbox_columns=BBOX_COLUMNS)
    assert not compiled.exact and compiled.columns
    assert run(engine, text) == expected


def test_over_approximation_keeps_every_match(engine: Engine) -> None:
    text = f"crop = 'xoài' OR S_INTERSECTS(geometry, {TRIANGLE})"
    compiled = compile_filter(text, QUERYABLES, bbox_columns=BBOX_COLUMNS)
    # The SQL part keeps 3 (crop) and 6 (box overlaps the triangle's), not the others ...
    assert sorted(prefiltered(engine, compiled)) == [3, 6]
    # ... and refining drops 6.
    assert run(engine, text) == [3]
    with pytest.raises(ValueError):
        compiled.refine(None)


def test_bbox_forms(engine: Engine) -> None:
    assert run(engine, "BBOX(geometry, 105.6, 10.4, 105.65, 10.45)") == [1, 3]
    assert run(engine, "S_INTERSECTS(geometry, BBOX(105.6, 10.4, 105.65, 10.45))") == [1, 3]
    assert run(engine, "S_INTERSECTS(geometry, ENVELOPE(105.6 105.65 10.45 10.4))") == [1, 3]
    assert run(engine, "S_WITHIN(geometry, BBOX(105.5, 10.3, 105.75, 10.6))") == [1, 2, 3]


def test_bbox_condition_on_sqlite(engine: Engine) -> None:
    def ids(b: BBox) -> list[int]:
        with engine.connect() as conn:
            q = select(units.c.id).where(bbox_condition(BBOX_COLUMNS, b)).order_by(units.c.id)
            return list(conn.scalars(q))

    assert ids(parse_bbox("105.6,10.4,105.65,10.45")) == [1, 3]
    assert ids(parse_bbox("105.85,10.45,106,10.7")) == [4, 6]
    # Crossing the antimeridian: 100° E eastwards to 170° W contains the delta.
    crossing = parse_bbox("100,0,-170,20")
    assert ids(crossing) == [1, 2, 3, 4, 6]
    assert bbox_geometry(crossing).geom_type == "MultiPolygon"
    assert ids(parse_bbox("-10,0,10,20")) == []


# -- errors ----------------------------------------------------------------------------------


def filter_error(text: str, **kwargs: Any) -> FilterError:
    with pytest.raises(FilterError) as info:
        compile_filter(text, QUERYABLES, **({"bbox_columns": BBOX_COLUMNS} | kwargs))
    err = info.value
    assert isinstance(err, ValueError)
    assert err.status == 400
    assert err.message_vi and err.message_en
    return err


def test_unknown_property_is_an_error() -> None:
    err = filter_error("crop = 'lúa' AND owner = 'Tư'")
    assert err.queryable == "owner"
    assert "owner" in err.message_vi and "owner" in err.message_en
    assert "crop" in err.message_en  # the queryables are listed
    assert filter_error("owner IS NULL").queryable == "owner"
    assert filter_error("crop IN ('a') OR NOT (owner LIKE 'x')").queryable == "owner"
    assert filter_error("geometry IS NULL").queryable == "geometry"


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("updated_at T_AFTER TIMESTAMP('2025-01-01T00:00:00Z')", "T_AFTER"),
        ("casei(crop) = 'lúa'", "CASEI"),
        ("area_ha + 1 > 2", "+"),
        ("S_OVERLAPS(geometry, POINT(105.6 10.4))", "S_OVERLAPS"),
        ("S_INTERSECTS(crop, POINT(105.6 10.4))", "S_INTERSECTS"),
        ("S_INTERSECTS(geometry, SRID=3405;POINT(580000 1150000))", "S_INTERSECTS"),
        ("S_INTERSECTS(geometry, BBOX(105, 11, 106, 10))", "BBOX"),
        (
            "S_INTERSECTS(geometry, POLYGON((105.6 10.4, 105.7 10.5, 105.7 10.4, 105.6 10.5, "
            "105.6 10.4)))",
            "S_INTERSECTS",
        ),
    ],
)
def test_unsupported_operators_are_errors(text: str, operator: str) -> None:
    assert filter_error(text).operator == operator


def test_type_mismatches_are_errors() -> None:
    err = filter_error("area_ha = 'lớn'")
    assert err.queryable == "area_ha"
    assert "kiểu số" in err.message_vi
    assert filter_error("crop = 1").queryable == "crop"
    assert filter_error("organic = 1").queryable == "organic"
    assert filter_error("planted > TIMESTAMP('2025-01-01T00:00:00Z')").queryable == "planted"
    assert filter_error("crop IN ('a', 2)").queryable == "crop"
    assert filter_error("score LIKE '1%'").queryable == "score"
    assert filter_error("name LIKE 'abc\\'").operator == "LIKE"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("crop = ", 8),
        ("crop == 'lúa'", 7),
        ("crop = 'lúa' AND", 17),
        ("crop = 'lúa' ) ", 14),
        ("crop = 'lúa' # 1", 14),
    ],
)
def test_syntax_errors_name_the_position(text: str, position: int) -> None:
    err = filter_error(text)
    assert err.position == position
    assert f"vị trí {position}" in err.message_vi
    assert f"position {position}" in err.message_en


def test_other_filter_errors() -> None:
    assert "rỗng" in filter_error("   ").message_vi
    assert filter_error("'a' = 1").operator == "="
    filter_error("x" * 30_000)
    err = filter_error("S_INTERSECTS(geometry, POINT(105.6 10.4))", bbox_columns=None)
    assert err.operator == "S_INTERSECTS"
    deep = "NOT " * 150 + "crop = 'x'"
    assert "sâu" in filter_error(deep).message_vi


def test_numbers_out_of_range_are_errors() -> None:
    err = filter_error("area_ha > 1e400")
    assert "quá lớn" in err.message_vi and "too large" in err.message_en
    assert filter_error("S_INTERSECTS(geometry, POINT(1e400 10))").status == 400


def test_deep_nesting_is_refused_before_parsing(engine: Engine) -> None:
    # Far beyond what the compiler accepts: refused with the same error, never parsed (the
    # parser recurses in native code).
    for text in ("(" * 5_000 + "crop = 'x'" + ")" * 5_000,
                 "crop = " + "-" * 9_000 + "1",
                 "area_ha = " + "(" * 4_000 + "1" + ")" * 4_000):
        err = filter_error(text)
        assert "sâu" in err.message_vi and "deeply" in err.message_en
    # Parentheses inside strings and quoted names do not count.
    assert run(engine, "crop = '" + "(" * 5_000 + "' OR \"crop\" = 'xoài'") == [3]


def test_long_flat_chains_compile(engine: Engine) -> None:
    text = " OR ".join(f"score = {i}" for i in range(500))
    assert run(engine, text) == [1, 2, 3, 4, 5, 6]


_ATOMS = ["score = 1", "score > 3", "score <> 5", "organic = true", "area_ha < 2"]
_PY_ATOMS = {
    "score = 1": lambda r: r["score"] == 1,
    "score > 3": lambda r: r["score"] > 3,
    "score <> 5": lambda r: r["score"] != 5,
    "organic = true": lambda r: r["organic"] is True,
    "area_ha < 2": lambda r: r["area_ha"] < 2,
}


@settings(max_examples=80, deadline=None)
@given(
    terms=st.lists(st.tuples(st.booleans(), st.sampled_from(_ATOMS)), min_size=1, max_size=6),
    joins=st.lists(st.sampled_from(["AND", "OR"]), min_size=5, max_size=5),
)
def test_precedence_matches_python(
    engine: Engine, terms: list[tuple[bool, str]], joins: list[str]
) -> None:
    """Unparenthesised NOT/AND/OR chains evaluate like Python's not/and/or (same precedence)."""
    text = ""
    python = ""
    for i, (negated, atom) in enumerate(terms):
        if i:
            text += f" {joins[i - 1]} "
            python += f" {joins[i - 1].lower()} "
        text += ("NOT " if negated else "") + atom
        python += ("not " if negated else "") + f"atoms[{atom!r}](r)"
    rows = [r for r in ROWS if r["organic"] is not None and r["area_ha"] is not None]
    expected = [r["id"] for r in rows if eval(python, {"atoms": _PY_ATOMS, "r": r})]
    got = [i for i in run(engine, text) if i in {r["id"] for r in rows}]
    assert got == expected, (text, python)


# -- bbox and datetime parameters ------------------------------------------------------------


def test_parse_bbox() -> None:
    assert parse_bbox("105.6,10.4,105.7,10.5") == BBox(105.6, 10.4, 105.7, 10.5)
    assert parse_bbox(" 105.6 , 10.4 , 105.7 , 10.5 ") == BBox(105.6, 10.4, 105.7, 10.5)
    assert parse_bbox("105.6,10.4,-5,105.7,10.5,100") == BBox(105.6, 10.4, 105.7, 10.5)
    assert parse_bbox("170,-10,-170,10") == BBox(170, -10, -170, 10)  # antimeridian


@pytest.mark.parametrize(
    "text",
    ["", "105.6,10.4,105.7", "105.6,10.4,105.7,10.5,1", "a,b,c,d", "105,10,106,nan",
     "105,10,106,inf", "105,95,106,96", "105,11,106,10", "185,10,186,11", "105;10;106;11"],
)  # fmt: skip
def test_parse_bbox_errors(text: str) -> None:
    with pytest.raises(ParameterError) as info:
        parse_bbox(text)
    assert info.value.parameter == "bbox"
    assert info.value.status == 400
    assert isinstance(info.value, ValueError)


UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2025-01-01T00:00:00Z",
            (dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 1, 1, tzinfo=UTC)),
        ),
        (
            "2025-01-01T00:00:00Z/..",
            (dt.datetime(2025, 1, 1, tzinfo=UTC), None),
        ),
        (
            "../2025-03-18T12:31:12.5+07:00",
            (None, dt.datetime(2025, 3, 18, 5, 31, 12, 500000, tzinfo=UTC)),
        ),
        (
            "/2025-03-18T12:31:12Z",
            (None, dt.datetime(2025, 3, 18, 12, 31, 12, tzinfo=UTC)),
        ),
        (
            "2025-02-12T00:00:00Z/2025-03-18T12:31:12Z",
            (
                dt.datetime(2025, 2, 12, tzinfo=UTC),
                dt.datetime(2025, 3, 18, 12, 31, 12, tzinfo=UTC),
            ),
        ),
        (
            "2025-01-01",
            (
                dt.datetime(2025, 1, 1, tzinfo=UTC),
                dt.datetime(2025, 1, 1, 23, 59, 59, 999999, tzinfo=UTC),
            ),
        ),
        (
            "2025-01-01/2025-01-31",
            (
                dt.datetime(2025, 1, 1, tzinfo=UTC),
                dt.datetime(2025, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
            ),
        ),
        (
            "2025-01-01t10:00:00.123456789z",
            (
                dt.datetime(2025, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
                dt.datetime(2025, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
            ),
        ),
    ],
)
def test_parse_datetime_interval(
    text: str, expected: tuple[dt.datetime | None, dt.datetime | None]
) -> None:
    result = parse_datetime_interval(text)
    assert result == expected
    for value in result:
        assert value is None or value.tzinfo is not None


def test_parse_datetime_interval_default_timezone() -> None:
    ict = dt.timezone(dt.timedelta(hours=7))
    start, end = parse_datetime_interval("2025-01-01", default_tz=ict)
    assert start == dt.datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
    assert end == dt.datetime(2025, 1, 1, 16, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["", "..", "../..", "yesterday", "2025-02-30", "2025-01-01T25:00:00Z",
     "2025-03-01T00:00:00Z/2025-02-01T00:00:00Z", "2025-01-01/2025-02-01/2025-03-01",
     "2025-01-01T00:00Z"],
)  # fmt: skip
def test_parse_datetime_interval_errors(text: str) -> None:
    with pytest.raises(ParameterError) as info:
        parse_datetime_interval(text)
    assert info.value.parameter == "datetime"
    assert "datetime" in info.value.message_vi


def test_orm_attributes_type_decorators_and_json_columns() -> None:
    from sqlalchemy.dialects import sqlite

    from nongso.registry.models import ProductionUnit as Unit

    queryables = {
        "created_at": Unit.created_at,  # UTCDateTime: aware UTC values
        "crop": Unit.crop,
        "attributes": Unit.attributes,
    }
    columns = BBoxColumns(Unit.min_lon, Unit.min_lat, Unit.max_lon, Unit.max_lat)
    compiled = compile_filter(
        "created_at >= TIMESTAMP('2025-01-01T00:00:00+07:00') AND crop LIKE 'l%' "
        "AND S_INTERSECTS(geometry, BBOX(105, 10, 106, 11))",
        queryables,
        bbox_columns=columns,
    )
    on_sqlite = compiled.where.compile(dialect=sqlite.dialect())
    assert "GLOB" in str(on_sqlite) and "production_units.min_lon" in str(on_sqlite)
    assert dt.datetime(2024, 12, 31, 17, 0, tzinfo=dt.UTC) in on_sqlite.params.values()
    on_postgresql = str(
        compiled.where.compile(dialect=create_engine("postgresql+psycopg://").dialect)
    )
    assert "LIKE" in on_postgresql and "ESCAPE" in on_postgresql
    with pytest.raises(FilterError) as info:
        compile_filter("attributes = 'x'", queryables)
    assert info.value.queryable == "attributes"
    compile_filter("attributes IS NULL", queryables)
