"""SensorThings 1.1 query options: parsers, errors, properties, and $filter on real databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
)
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.elements import ColumnElement

from nongso.core.db import UTCDateTime
from nongso.monitor.odata import (
    FUNCTIONS,
    MAX_DEPTH,
    Arith,
    BoolLiteral,
    BoolOp,
    Call,
    Compare,
    DateLiteral,
    DateTimeLiteral,
    Expand,
    Expr,
    GeoLiteral,
    IntervalLiteral,
    Negate,
    Not,
    NullLiteral,
    NumberLiteral,
    ODataError,
    OrderBy,
    Path,
    QueryOptions,
    StringLiteral,
    TimeLiteral,
    compile_filter,
    parse_count,
    parse_expand,
    parse_filter,
    parse_options,
    parse_orderby,
    parse_select,
    parse_skip,
    parse_top,
    to_text,
)

a, b, c = Path(("a",)), Path(("b",)), Path(("c",))


def one(n: int | float) -> NumberLiteral:
    return NumberLiteral(n)


# ------------------------------------------------------------------------------------------
# $filter: each construct


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("result", Path(("result",))),
        ("Datastream/id", Path(("Datastream", "id"))),
        ("Thing/Locations/name", Path(("Thing", "Locations", "name"))),
        ("properties/tỉnh", Path(("properties", "tỉnh"))),
        ("42", one(42)),
        ("-42", one(-42)),
        ("2.5", one(2.5)),
        ("-1.5e-3", one(-0.0015)),
        ("'Tân Châu'", StringLiteral("Tân Châu")),
        ("'it''s'", StringLiteral("it's")),
        ("''", StringLiteral("")),
        ("true", BoolLiteral(True)),
        ("FALSE", BoolLiteral(False)),
        ("null", NullLiteral()),
        ("2025-01-01T00:00:00Z", DateTimeLiteral(datetime(2025, 1, 1, tzinfo=UTC))),
        (
            "2025-01-01T07:00:00.250+07:00",
            DateTimeLiteral(datetime(2025, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)),
        ),
        ("2025-03-01T10:15Z", DateTimeLiteral(datetime(2025, 3, 1, 10, 15, tzinfo=UTC))),
        ("2025-01-31", DateLiteral(date(2025, 1, 31))),
        ("06:30", TimeLiteral(time(6, 30))),
        ("06:30:15.5", TimeLiteral(time(6, 30, 15, 500000))),
        (
            "2025-01-01T00:00:00Z/2025-01-02T00:00:00Z",
            IntervalLiteral(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)),
        ),
        ("geography'POINT(105.6 10.5)'", GeoLiteral("geography", "POINT(105.6 10.5)")),
    ],
)
def test_operands(text: str, expected: Expr) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le"])
def test_comparisons(op: str) -> None:
    assert parse_filter(f"result {op} 5") == Compare(op, Path(("result",)), one(5))  # type: ignore[arg-type]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "mod"])
def test_arithmetic(op: str) -> None:
    assert parse_filter(f"a {op} 2 eq 1") == Compare("eq", Arith(op, a, one(2)), one(1))  # type: ignore[arg-type]


def test_logical_operators_and_parentheses() -> None:
    assert parse_filter("a and b") == BoolOp("and", (a, b))
    assert parse_filter("a or b or c") == BoolOp("or", (a, b, c))
    assert parse_filter("(a or b) and c") == BoolOp("and", (BoolOp("or", (a, b)), c))
    assert parse_filter("((a))") == a
    assert parse_filter("not a") == Not(a)
    assert parse_filter("not not a") == Not(Not(a))


def test_precedence_and_binds_tighter_than_or() -> None:
    assert parse_filter("a eq 1 or b eq 2 and c eq 3") == BoolOp(
        "or",
        (
            Compare("eq", a, one(1)),
            BoolOp("and", (Compare("eq", b, one(2)), Compare("eq", c, one(3)))),
        ),
    )
    assert parse_filter("a eq 1 and b eq 2 or c eq 3") == BoolOp(
        "or",
        (
            BoolOp("and", (Compare("eq", a, one(1)), Compare("eq", b, one(2)))),
            Compare("eq", c, one(3)),
        ),
    )


def test_precedence_of_arithmetic_and_comparisons() -> None:
    # mul before add, add before comparison, relational before equality (OData).
    assert parse_filter("a add b mul 2 gt 3") == Compare(
        "gt", Arith("add", a, Arith("mul", b, one(2))), one(3)
    )
    assert parse_filter("a sub b sub c eq 0") == Compare(
        "eq", Arith("sub", Arith("sub", a, b), c), one(0)
    )
    assert parse_filter("a eq b gt c") == Compare("eq", a, Compare("gt", b, c))
    assert parse_filter("(a add b) mul 2 eq 4") == Compare(
        "eq", Arith("mul", Arith("add", a, b), one(2)), one(4)
    )


def test_not_covers_the_comparison_after_it() -> None:
    assert parse_filter("not a eq 1") == Not(Compare("eq", a, one(1)))
    assert parse_filter("not a eq 1 and b") == BoolOp("and", (Not(Compare("eq", a, one(1))), b))
    assert parse_filter("a eq not b") == Compare("eq", a, Not(b))


def test_unary_minus() -> None:
    assert parse_filter("-a gt 1") == Compare("gt", Negate(a), one(1))
    assert parse_filter("a sub -2 eq 0") == Compare("eq", Arith("sub", a, one(-2)), one(0))
    assert parse_filter("-(5)") == Negate(one(5))


def test_keywords_ignore_case_paths_do_not() -> None:
    assert parse_filter("Result GT 5 AND NOT Flag") == BoolOp(
        "and", (Compare("gt", Path(("Result",)), one(5)), Not(Path(("Flag",))))
    )
    assert parse_filter("TOLOWER(name) eq 'x'") == Compare(
        "eq", Call("tolower", (Path(("name",)),)), StringLiteral("x")
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("substringof('mặn', name)", Call("substringof", (StringLiteral("mặn"), Path(("name",))))),
        ("contains(name, 'x')", Call("contains", (Path(("name",)), StringLiteral("x")))),
        ("startswith(name,'x')", Call("startswith", (Path(("name",)), StringLiteral("x")))),
        ("endswith(name, 'x')", Call("endswith", (Path(("name",)), StringLiteral("x")))),
        ("length(name)", Call("length", (Path(("name",)),))),
        ("indexof(name, 'x')", Call("indexof", (Path(("name",)), StringLiteral("x")))),
        ("substring(name, 1)", Call("substring", (Path(("name",)), one(1)))),
        ("substring(name, 1, 2)", Call("substring", (Path(("name",)), one(1), one(2)))),
        ("toupper(trim(name))", Call("toupper", (Call("trim", (Path(("name",)),)),))),
        ("concat(name, 'x')", Call("concat", (Path(("name",)), StringLiteral("x")))),
        ("year(phenomenonTime)", Call("year", (Path(("phenomenonTime",)),))),
        ("now()", Call("now", ())),
        ("round(result mul 10)", Call("round", (Arith("mul", Path(("result",)), one(10)),))),
        (
            "geo.distance(location, geography'POINT(1 2)')",
            Call("geo.distance", (Path(("location",)), GeoLiteral("geography", "POINT(1 2)"))),
        ),
        (
            "st_within(Thing/Locations/location, geometry'POLYGON((0 0,1 0,1 1,0 0))')",
            Call(
                "st_within",
                (
                    Path(("Thing", "Locations", "location")),
                    GeoLiteral("geometry", "POLYGON((0 0,1 0,1 1,0 0))"),
                ),
            ),
        ),
    ],
)
def test_functions(text: str, expected: Expr) -> None:
    assert parse_filter(text) == expected


def test_every_listed_function_parses_with_its_arity() -> None:
    for name, (low, high) in FUNCTIONS.items():
        for n in range(low, high + 1):
            args = ", ".join(["x"] * n)
            assert parse_filter(f"{name}({args})") == Call(name, (Path(("x",)),) * n)


def test_nodes_know_their_position() -> None:
    expr = parse_filter("a eq 1 and  startswith(name, 'x')")
    assert isinstance(expr, BoolOp)
    call = expr.operands[1]
    assert isinstance(call, Call) and call.pos == 12
    assert isinstance(call.args[1], StringLiteral) and call.args[1].pos == 29


def test_to_text_is_canonical() -> None:
    text = "not a eq 1 or b add 2 mul c gt -3 and name eq 'it''s'"
    assert to_text(parse_filter(text)) == (
        "(not (a eq 1)) or (((b add (2 mul c)) gt -3) and (name eq 'it''s'))"
    )


# ------------------------------------------------------------------------------------------
# $filter: errors carry the position and say what is wrong, in Vietnamese and English


@pytest.mark.parametrize(
    ("text", "position", "english"),
    [
        ("(a eq 1", 0, "Unbalanced '('"),
        ("(a eq 1 and (b eq 2)", 0, "Unbalanced '('"),
        ("a eq 1)", 6, "Unbalanced ')'"),
        ("length(name eq 1", 0, "missing its ')'"),
        ("a == 1", 2, "Unknown operator '=='"),
        ("a equals 1", 2, "Unknown operator 'equals'"),
        ("a eq 1 && b eq 2", 7, "Unknown operator '&&'"),
        ("a - 1 eq 0", 2, "Unknown operator '-'"),
        ("name eq 'Tân Châu", 8, "Unterminated string"),
        ("name eq 'it''s", 8, "Unterminated string"),
        ("a eq", 4, "a value is missing"),
        ("", 0, "Empty filter"),
        ("   ", 3, "Empty filter"),
        ("a eq 1 b", 7, "Unknown operator 'b'"),
        ("a eq 1 2", 7, "Missing operator"),
        ("eq 1", 0, "found the operator 'eq'"),
        ("foo(a)", 0, "Unknown function 'foo'"),
        ("length(a, b)", 0, "takes 1 argument"),
        ("substring(a)", 0, "takes 2–3 argument"),
        ("a eq 2025-01-01T00:00:00", 5, "needs a time zone"),
        ("a eq 2025-02-30", 5, "Invalid date"),
        ("a eq 2025-01-01T25:00:00Z", 5, "Invalid date-time"),
        ("a eq 2025-01-02T00:00:00Z/2025-01-01T00:00:00Z", 5, "ends before it starts"),
        ("a eq 2025-01-01T00:00:00Z/x", 26, "end date-time"),
        ("a eq 25:00", 5, "Invalid time"),
        ("a eq 1.2.3", 5, "Invalid number"),
        ("a eq 99999999999999999999", 5, "out of range"),
        ("a eq 1e999", 5, "out of range"),
        ("a eq duration'P1D'", 5, "not supported"),
        ("a.b eq 1", 0, "Invalid property name"),
        ("a/", 1, "property name must follow"),
        ("a/1 eq 1", 2, "property name must follow"),
        ("a eq #", 5, "Unexpected character"),
        ("a eq ()", 6, "value is missing before ')'"),
        ("a eq 1 / 2", 7, "division is div"),
    ],
)
def test_syntax_errors(text: str, position: int, english: str) -> None:
    with pytest.raises(ODataError) as info:
        parse_filter(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.position == position
    assert english in err.message_en
    assert f"at position {position}" in err.message_en
    assert f"vị trí {position}" in err.message_vi
    assert err.message_vi != err.message_en


def test_error_messages_are_in_vietnamese_too() -> None:
    with pytest.raises(ODataError) as info:
        parse_filter("(a eq 1")
    assert info.value.message_vi.startswith("Dấu '(' không được đóng")
    with pytest.raises(ODataError) as info:
        parse_filter("name eq 'abc")
    assert "Chuỗi không được đóng" in info.value.message_vi
    assert info.value.status == 400 and info.value.extra["position"] == 8


def test_too_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ODataError, match="nested too deeply"):
        parse_filter("(" * 5000 + "a" + ")" * 5000)
    with pytest.raises(ODataError, match="nested too deeply"):
        parse_filter("not " * 5000 + "a")
    with pytest.raises(ODataError, match="too complex"):
        parse_filter(" add ".join(["a"] * (MAX_DEPTH + 5)) + " eq 1")
    # Long chains of and/or are flat, so they stay fine.
    chain = parse_filter(" or ".join(f"id eq {i}" for i in range(1000)))
    assert isinstance(chain, BoolOp) and len(chain.operands) == 1000


# ------------------------------------------------------------------------------------------
# $filter: properties


_KEYWORDS = {"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "add", "sub", "mul", "div",
             "mod", "true", "false", "null"}  # fmt: skip
_IDENTS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: s.lower() not in _KEYWORDS
)
_ZONES = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_MOMENTS = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_ZONES
)


@st.composite
def _intervals(draw: st.DrawFn) -> IntervalLiteral:
    x, y = draw(_MOMENTS), draw(_MOMENTS)
    return IntervalLiteral(min(x, y), max(x, y))


_LEAVES: st.SearchStrategy[Expr] = st.one_of(
    st.lists(_IDENTS, min_size=1, max_size=3).map(lambda s: Path(tuple(s))),
    st.text(max_size=10).map(StringLiteral),
    st.integers(-(2**63) + 1, 2**63 - 1).map(NumberLiteral),
    st.floats(allow_nan=False, allow_infinity=False).map(NumberLiteral),
    st.booleans().map(BoolLiteral),
    st.just(NullLiteral()),
    _MOMENTS.map(DateTimeLiteral),
    st.dates().map(DateLiteral),
    st.times().map(TimeLiteral),
    _intervals(),
    st.tuples(st.sampled_from(["geography", "geometry"]), st.text(max_size=10)).map(
        lambda t: GeoLiteral(*t)  # type: ignore[arg-type]
    ),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    calls = st.sampled_from(sorted(FUNCTIONS)).flatmap(
        lambda name: st.lists(
            children, min_size=FUNCTIONS[name][0], max_size=FUNCTIONS[name][1]
        ).map(lambda args: Call(name, tuple(args)))
    )
    return st.one_of(
        st.builds(
            Compare, st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]), children, children
        ),
        st.builds(Arith, st.sampled_from(["add", "sub", "mul", "div", "mod"]), children, children),
        st.builds(
            BoolOp,
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=4).map(tuple),
        ),
        st.builds(Not, children),
        st.builds(Negate, children),
        calls,
    )


_TREES = st.recursive(_LEAVES, _extend, max_leaves=12)


@given(_TREES)
@settings(max_examples=400)
def test_round_trip(expr: Expr) -> None:
    assert parse_filter(to_text(expr)) == expr


_TOKENS = ["(", ")", ",", "/", "-", "'", "''", "'x'", "a", "b/c", "eq", "ne", "gt", "and", "or",
           "not", "add", "mod", "1", "2.5", "1e3", "true", "null", "length", "startswith", "now",
           "geo.distance", "2025-01-01T00:00:00Z", "2025-01-01", "06:30", "==", "$", ";", "é",
           "Đ", "x.y", "\t", "2025-01-01T00:00:00Z/2025-02-01T00:00:00Z",
           "geography'POINT(1 2)'", "9" * 30]  # fmt: skip


@given(st.lists(st.sampled_from(_TOKENS), max_size=25), st.sampled_from([" ", ""]))
@settings(max_examples=600)
def test_token_soup_parses_or_fails_cleanly(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    try:
        expr = parse_filter(text)
    except ODataError as exc:
        assert exc.position is not None and 0 <= exc.position <= len(text)
        return
    assert parse_filter(to_text(expr)) == expr
    try:
        compile_filter(expr, lambda path: Column("_".join(path), Float()))
    except ODataError as exc:
        assert exc.position is not None


@given(st.text(max_size=60))
@settings(max_examples=400)
def test_garbage_never_raises_anything_else(text: str) -> None:
    for parse in (parse_filter, parse_orderby, parse_select, parse_expand):
        try:
            parse(text)
        except ODataError as exc:
            assert exc.position is not None and 0 <= exc.position <= len(text)


# ------------------------------------------------------------------------------------------
# $orderby, $select, $top, $skip, $count


def test_orderby_accepts_both_cases() -> None:
    assert parse_orderby("phenomenonTime desc") == [OrderBy(("phenomenonTime",), "desc")]
    assert parse_orderby("phenomenonTime DESC, Datastream/name ASC,id") == [
        OrderBy(("phenomenonTime",), "desc"),
        OrderBy(("Datastream", "name"), "asc"),
        OrderBy(("id",), "asc"),
    ]
    assert parse_orderby("result Desc") == [(("result",), "desc")]


@pytest.mark.parametrize(
    ("text", "position", "english"),
    [
        ("", 0, "Empty $orderby"),
        ("name downwards", 5, "Invalid sort direction"),
        ("name desc,", 9, "Trailing comma"),
        ("name desc id", 10, "Expected a comma"),
        ("Datastream/", 11, "property name must follow"),
        (",name", 0, "A property name is expected"),
    ],
)
def test_orderby_errors(text: str, position: int, english: str) -> None:
    with pytest.raises(ODataError) as info:
        parse_orderby(text)
    assert info.value.position == position and english in info.value.message_en


def test_select() -> None:
    assert parse_select("id,name, properties/key") == [("id",), ("name",), ("properties", "key")]
    with pytest.raises(ODataError, match="Expected a comma"):
        parse_select("id name")
    with pytest.raises(ODataError, match="Empty"):
        parse_select(" ")


def test_top_skip_count() -> None:
    assert parse_top("3") == 3 and parse_skip(" 0 ") == 0
    assert parse_count("true") is True and parse_count("FALSE") is False
    for bad in ("-1", "x", "", "1.5"):
        with pytest.raises(ODataError, match="non-negative integer"):
            parse_top(bad)
    with pytest.raises(ODataError, match="true or false"):
        parse_count("yes")


# ------------------------------------------------------------------------------------------
# $expand


def test_expand_nested_options() -> None:
    text = (
        "Datastreams($filter=name eq 'Độ mặn; (ppt)';$top=3;"
        "$expand=Observations($orderby=phenomenonTime desc;$select=result,phenomenonTime))"
    )
    assert parse_expand(text) == [
        Expand(
            "Datastreams",
            QueryOptions(
                filter=Compare("eq", Path(("name",)), StringLiteral("Độ mặn; (ppt)")),
                top=3,
                expand=(
                    Expand(
                        "Observations",
                        QueryOptions(
                            orderby=(OrderBy(("phenomenonTime",), "desc"),),
                            select=(("result",), ("phenomenonTime",)),
                        ),
                    ),
                ),
            ),
        )
    ]


def test_expand_paths_become_a_tree_and_merge() -> None:
    assert parse_expand("Datastreams/Sensor") == [
        Expand("Datastreams", QueryOptions(expand=(Expand("Sensor"),)))
    ]
    assert parse_expand(
        "Locations, Datastreams($top=1;$count=true),Datastreams/Sensor,Datastreams/ObservedProperty"
    ) == [
        Expand("Locations"),
        Expand(
            "Datastreams",
            QueryOptions(
                top=1,
                count=True,
                expand=(Expand("Sensor"), Expand("ObservedProperty")),
            ),
        ),
    ]
    assert parse_expand("Datastreams/Observations($skip=2;$FILTER=result gt 1)") == [
        Expand(
            "Datastreams",
            QueryOptions(
                expand=(
                    Expand(
                        "Observations",
                        QueryOptions(skip=2, filter=Compare("gt", Path(("result",)), one(1))),
                    ),
                )
            ),
        )
    ]


@pytest.mark.parametrize(
    ("text", "position", "english"),
    [
        ("Datastreams($top=3", 11, "Unbalanced '('"),
        ("Datastreams($top=x)", 17, "non-negative integer"),
        ("Datastreams($fliter=a eq 1)", 12, "Expected an option"),
        ("Datastreams($top=1;$top=2)", 19, "given twice"),
        ("Datastreams($filter=a eq (1)", 11, "Unbalanced '('"),
        ("Datastreams($filter=a eq 'x)", 11, "Unbalanced '('"),
        ("Datastreams($filter=a == 1)", 22, "Unknown operator '=='"),
        ("Datastreams($expand=Observations($orderby=result sideways))", 49, "sort direction"),
        ("Datastreams($top=1),Datastreams($top=2)", 20, "different $top"),
        ("Datastreams Sensors", 12, "Expected a comma"),
        ("", 0, "Empty $expand"),
    ],
)
def test_expand_errors(text: str, position: int, english: str) -> None:
    with pytest.raises(ODataError) as info:
        parse_expand(text)
    assert info.value.position == position and english in info.value.message_en


def test_expand_depth_is_limited() -> None:
    text = "A($expand=" * (MAX_DEPTH + 1) + "B" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ODataError, match="nested too deeply"):
        parse_expand(text)


def test_parse_options() -> None:
    options = parse_options(
        {
            "$filter": "result gt 2",
            "$orderby": "phenomenonTime DESC",
            "$Top": "10",
            "$count": "true",
            "$expand": "Datastream",
            "$select": "id,result",
            "$skip": "20",
            "lang": "vi",
        }
    )
    assert options == QueryOptions(
        filter=Compare("gt", Path(("result",)), one(2)),
        orderby=(OrderBy(("phenomenonTime",), "desc"),),
        top=10,
        skip=20,
        count=True,
        expand=(Expand("Datastream"),),
        select=(("id",), ("result",)),
    )
    with pytest.raises(ODataError) as info:
        parse_options({"$filter": "result gt"})
    assert info.value.option == "$filter" and info.value.position == 9
    assert info.value.message_en.startswith("$filter: ")
    with pytest.raises(ODataError, match="Unsupported query option") as info:
        parse_options({"$search": "x"})
    assert info.value.option == "$search"


# ------------------------------------------------------------------------------------------
# compile_filter on real databases (SQLite in memory and PostgreSQL)

metadata = MetaData()
observations = Table(
    "odata_test_observations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("datastream_id", Integer),
    Column("name", String(100)),
    Column("result", Float),
    Column("count", Integer),
    Column("flag", Boolean),
    Column("phenomenon_time", UTCDateTime(timezone=True)),
    Column("phenomenon_end", UTCDateTime(timezone=True)),
)


def _at(text: Any) -> datetime:
    return datetime.fromisoformat(str(text))


_ROW_KEYS = ("id", "datastream_id", "name", "result", "count", "flag", "phenomenon_time",
             "phenomenon_end")  # fmt: skip
_ROWS = [
    (1, 1, "Độ mặn Cầu Quan", 1.2, 3, True, "2025-01-01T00:00Z", "2025-01-01T06:00Z"),
    (2, 1, "độ mặn Trà Vinh", 2.6, 7, False, "2025-01-01T06:30Z", None),
    (3, 2, "Mực nước Tân Châu", 3.55, 10, True, "2025-02-15T23:59:59Z", "2025-02-16T00:00Z"),
    (4, 2, "100% _test_", -0.5, 0, None, "2024-12-31T23:00Z", None),
    (5, None, "it's", None, None, None, None, None),
]
ROWS: list[dict[str, Any]] = [
    dict(zip(_ROW_KEYS, (*row[:6], *(_at(t) if t else None for t in row[6:])), strict=True))
    for row in _ROWS
]

COLUMNS: dict[tuple[str, ...], ColumnElement[Any]] = {
    ("id",): observations.c.id,
    ("Datastream", "id"): observations.c.datastream_id,
    ("name",): observations.c.name,
    ("result",): observations.c.result,
    ("count",): observations.c.count,
    ("flag",): observations.c.flag,
    ("phenomenonTime",): observations.c.phenomenon_time,
}
NOW = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)
Pair = tuple[ColumnElement[Any], ColumnElement[Any]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine("sqlite://", poolclass=StaticPool)
    else:
        eng = create_engine(request.getfixturevalue("_pg_database"))

        @event.listens_for(eng, "connect")
        def _local_time_zone(dbapi_connection: Any, record: Any) -> None:
            # Date parts must be taken in UTC whatever the session's zone.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")

    metadata.create_all(eng)
    with eng.begin() as conn:
        conn.execute(observations.insert(), ROWS)
    yield eng
    metadata.drop_all(eng)
    eng.dispose()


def ids(engine: Engine, text: str, *, intervals: bool = False) -> list[int]:
    def resolve_interval(path: tuple[str, ...]) -> Pair | None:
        if intervals and path == ("phenomenonTime",):
            return observations.c.phenomenon_time, observations.c.phenomenon_end
        return None

    condition = compile_filter(
        parse_filter(text), COLUMNS.__getitem__, resolve_interval=resolve_interval, now=NOW
    )
    query = select(observations.c.id).where(condition).order_by(observations.c.id)
    with engine.connect() as conn:
        return list(conn.scalars(query))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("result gt 2", [2, 3]),
        ("result ge 2.6", [2, 3]),
        ("result eq null", [5]),
        ("null eq result", [5]),
        ("result ne null", [1, 2, 3, 4]),
        ("Datastream/id eq 1 and result lt 2", [1]),
        ("id eq 1 or id eq 2 and result gt 5", [1]),
        ("(id eq 1 or id eq 2) and result gt 2", [2]),
        ("not (result gt 2)", [1, 4]),
        ("not result gt 2", [1, 4]),
        ("result add 1 gt 3", [2, 3]),
        ("result sub 1 lt 0", [4]),
        ("result mul 2 gt 7", [3]),
        ("-result gt 0", [4]),
        ("count mod 3 eq 1", [2, 3]),
        ("result mod 1 gt 0.5", [2, 3]),
        ("count div 3 eq 2", [2]),
        ("result div 2 gt 1.5", [3]),
        ("round(result) eq 3", [2]),
        ("round(result) eq -1", [4]),
        ("floor(result) eq -1", [4]),
        ("floor(result) eq 3", [3]),
        ("ceiling(result) eq 2", [1]),
        ("ceiling(result) eq 0", [4]),
        ("flag", [1, 3]),
        ("flag eq true", [1, 3]),
        ("flag eq false", [2]),
        ("not flag", [2]),
        ("flag eq null", [4, 5]),
        ("true", [1, 2, 3, 4, 5]),
        ("false or id eq 5", [5]),
        ("null", []),
    ],
)
def test_compile_numbers_and_logic(engine: Engine, text: str, expected: list[int]) -> None:
    assert ids(engine, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name eq 'it''s'", [5]),
        ("contains(name, 'mặn')", [1, 2]),
        ("substringof('mặn', name)", [1, 2]),
        ("startswith(name, 'Độ')", [1]),
        ("startswith(name, 'mực')", []),  # case-sensitive on SQLite too (no LIKE)
        ("startswith(name, 'Mực')", [3]),
        ("endswith(name, 'Châu')", [3]),
        ("endswith(name, 'a very long suffix that is longer than any name')", []),
        ("endswith(name, '')", [1, 2, 3, 4, 5]),
        ("contains(name, '%')", [4]),  # wildcards are plain characters
        ("contains(name, '_')", [4]),
        ("startswith(name, '100%')", [4]),
        ("endswith(name, '_')", [4]),
        ("contains(name, '''')", [5]),
        ("length(name) eq 15", [1, 2]),  # characters, not UTF-8 bytes
        ("length(name) eq 4", [5]),
        ("indexof(name, 'mặn') eq 3", [1, 2]),
        ("indexof(name, 'zzz') eq -1", [1, 2, 3, 4, 5]),
        ("substring(name, 3, 3) eq 'mặn'", [1, 2]),
        ("substring(name, 7) eq 'Trà Vinh'", [2]),
        ("tolower(name) eq 'it''s'", [5]),
        ("toupper(name) eq 'IT''S'", [5]),
        ("trim(concat('  ', name)) eq name", [1, 2, 3, 4, 5]),
        ("concat(name, '!') eq 'it''s!'", [5]),
        ("name gt 'Z' and name lt 'j'", [5]),
    ],
)
def test_compile_strings(engine: Engine, text: str, expected: list[int]) -> None:
    assert ids(engine, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phenomenonTime ge 2025-01-01T00:00:00Z", [1, 2, 3]),
        ("phenomenonTime lt 2025-01-01T07:00:00+07:00", [4]),
        ("phenomenonTime eq 2025-01-01T13:30:00+07:00", [2]),
        ("phenomenonTime ge 2025-01-01", [1, 2, 3]),
        ("phenomenonTime lt now()", [1, 4]),
        ("phenomenonTime gt mindatetime() and phenomenonTime lt maxdatetime()", [1, 2, 3, 4]),
        ("year(phenomenonTime) eq 2025", [1, 2, 3]),
        ("year(phenomenonTime) eq 2024", [4]),
        ("month(phenomenonTime) eq 2", [3]),
        ("day(phenomenonTime) eq 31", [4]),
        ("hour(phenomenonTime) eq 6 and minute(phenomenonTime) eq 30", [2]),
        ("second(phenomenonTime) eq 59", [3]),
        ("date(phenomenonTime) eq 2025-01-01", [1, 2]),
        ("date(phenomenonTime) lt 2025-01-01", [4]),
        ("time(phenomenonTime) eq 06:30:00", [2]),
        ("time(phenomenonTime) gt 12:00", [3, 4]),
        # an instant against an interval literal
        ("phenomenonTime eq 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [1, 2]),
        ("phenomenonTime ne 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [3, 4]),
        ("phenomenonTime lt 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [4]),
        ("phenomenonTime gt 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [3]),
        ("phenomenonTime le 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [1, 2, 4]),
        ("phenomenonTime ge 2025-01-01T00:00:00Z/2025-01-01T12:00:00Z", [1, 2, 3]),
    ],
)
def test_compile_times(engine: Engine, text: str, expected: list[int]) -> None:
    assert ids(engine, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phenomenonTime eq 2025-01-01T03:00:00Z", [1]),
        ("phenomenonTime eq 2025-01-01T06:30:00Z", [2]),
        ("phenomenonTime ne 2025-01-01T03:00:00Z", [2, 3, 4]),
        ("phenomenonTime gt 2025-01-01T03:00:00Z", [2, 3]),
        ("phenomenonTime lt 2025-01-01T06:15:00Z", [1, 4]),
        ("phenomenonTime ge 2025-01-01T03:00:00Z", [1, 2, 3]),
        ("phenomenonTime le 2025-01-01T03:00:00Z", [1, 4]),
        ("phenomenonTime eq 2025-01-01T00:00:00Z/2025-01-01T06:00:00Z", [1]),
        ("phenomenonTime lt 2025-01-01T06:10:00Z/2025-01-02T00:00:00Z", [1, 4]),
        ("phenomenonTime gt 2025-01-01T00:00:00Z/2025-01-01T06:10:00Z", [2, 3]),
        ("phenomenonTime eq null", [5]),
    ],
)
def test_compile_interval_properties(engine: Engine, text: str, expected: list[int]) -> None:
    assert ids(engine, text, intervals=True) == expected


@pytest.mark.parametrize(
    ("text", "position", "english"),
    [
        ("name eq 1", 0, "Comparison eq cannot be applied to string, number"),
        ("result gt 'a'", 0, "number, string"),
        ("unknownProperty eq 1", 0, "Unknown property 'unknownProperty'"),
        ("id eq 1 and Thing/name eq 'x'", 12, "Unknown property 'Thing/name'"),
        ("name", 0, "Expected a true/false condition"),
        ("result add 1", 0, "Expected a true/false condition"),
        ("contains(result, 'a')", 0, "Function contains cannot be applied"),
        ("year(name) eq 2025", 0, "Function year cannot be applied"),
        ("result add 'a' gt 1", 0, "Operator add cannot be applied"),
        ("-name eq 1", 0, "Unary minus"),
        ("result div 0 gt 1", 0, "Division by zero"),
        ("count mod 0 eq 1", 0, "Division by zero"),
        ("st_within(name, geography'POINT(1 2)')", 0, "st_within is not supported"),
        ("geo.distance(name, name) lt 5", 0, "geo.distance is not supported"),
        ("name eq geography'POINT(1 2)'", 8, "Geometry literals"),
        ("date(phenomenonTime) eq 2025-01-01T00:00:00Z", 0, "date, date-time"),
        ("name eq 2025-01-01T00:00:00Z/2025-01-02T00:00:00Z", 0, "Comparison eq"),
    ],
)
def test_compile_errors(text: str, position: int, english: str) -> None:
    with pytest.raises(ODataError) as info:
        compile_filter(parse_filter(text), COLUMNS.__getitem__)
    assert info.value.position == position
    assert english in info.value.message_en
    assert f"vị trí {position}" in info.value.message_vi


def test_interval_against_interval_le_is_refused() -> None:
    def resolve_interval(path: tuple[str, ...]) -> Pair:
        return observations.c.phenomenon_time, observations.c.phenomenon_end

    expr = parse_filter("phenomenonTime le 2025-01-01T00:00:00Z/2025-01-02T00:00:00Z")
    with pytest.raises(ODataError, match="ambiguous"):
        compile_filter(expr, COLUMNS.__getitem__, resolve_interval=resolve_interval)


def test_datetimes_compile_to_aware_utc_literals() -> None:
    condition = compile_filter(
        parse_filter("phenomenonTime ge 2025-01-01T07:00:00+07:00"), COLUMNS.__getitem__
    )
    values = list(condition.compile().params.values())
    assert values == [datetime(2025, 1, 1, tzinfo=UTC)]
    assert values[0].tzinfo is not None


def test_sql_differs_by_dialect_where_it_must() -> None:
    condition = compile_filter(
        parse_filter("year(phenomenonTime) eq 2025 and contains(name, 'x') and result mod 2 eq 1"),
        COLUMNS.__getitem__,
    )
    pg = str(condition.compile(dialect=PGDialect_psycopg()))  # type: ignore[no-untyped-call]
    lite = str(condition.compile(dialect=SQLiteDialect_pysqlite()))
    assert "timezone('UTC', odata_test_observations.phenomenon_time)" in pg
    assert "POSITION(" in pg and "AS NUMERIC" in pg
    assert "strftime('%Y'" in lite and "instr(" in lite
    assert "LIKE" not in pg + lite
