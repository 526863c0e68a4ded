"""The shared guards against hostile input (pure): bounded fields, archives, work, images,
JSON depth, spreadsheet cells. The bombs are built on the fly, small in memory."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nongso.core import limits
from nongso.core.fields import MAX_ID, Id, NotNull, SaneDate, SaneDateTime
from nongso.core.spreadsheet import safe_cell, safe_row


class _Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, max_length=5)
    owner_id: Id | None = None
    parent_id: NotNull[Id] = None
    day: SaneDate | None = None
    at: SaneDateTime | None = None


def _errors(**data: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        _Patch(**data)
    return [(e["type"], "/".join(str(p) for p in e["loc"])) for e in info.value.errors()]


def test_ids_are_bounded_and_nulls_refused_where_a_value_is_required() -> None:
    assert _Patch().model_dump(exclude_unset=True) == {}
    assert _Patch(owner_id=None, parent_id=MAX_ID).parent_id == MAX_ID
    assert _errors(owner_id=MAX_ID + 1) == [("less_than_equal", "owner_id")]
    assert _errors(owner_id=0) == [("greater_than_equal", "owner_id")]
    assert _errors(name=None) == [("null_not_allowed", "name")]
    assert _errors(parent_id=None) == [("null_not_allowed", "parent_id")]
    assert _errors(name="toolong") == [("string_too_long", "name")]
    assert _errors(day="0001-01-01") == [("date_out_of_range", "day")]
    assert _errors(at="9999-12-31T23:00:00-14:00") == [("date_out_of_range", "at")]


def test_the_schema_of_a_not_null_field_has_no_null() -> None:
    props = _Patch.model_json_schema()["properties"]
    assert props["name"] == {"maxLength": 5, "title": "Name", "type": "string"}
    assert props["parent_id"]["type"] == "integer"
    assert props["parent_id"]["maximum"] == MAX_ID
    assert {"type": "null"} in props["owner_id"]["anyOf"]


def _zip_bomb(inflated: int, name: str = "xl/sharedStrings.xml") -> bytes:
    """A zip whose one entry inflates to ``inflated`` bytes of XML (streamed: small memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(
            name, "w", force_zip64=True) as member:
        chunk = b"<si><t>a</t></si>" * 60_000
        written = 0
        while written < inflated:
            member.write(chunk)
            written += len(chunk)
    return out.getvalue()


def test_an_archive_is_checked_before_anything_is_inflated() -> None:
    bomb = _zip_bomb(100 * limits.MB)
    assert len(bomb) < 1 * limits.MB
    with pytest.raises(limits.LimitExceeded) as info:
        limits.open_archive(bomb, limits.ArchiveLimits(), "Excel (.xlsx)")
    assert info.value.status == 413 and info.value.reason == "too-many-bytes"
    assert "sharedStrings.xml" in info.value.message_en

    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(11):
            zf.writestr(f"f{i}.txt", b"x")
    with pytest.raises(limits.LimitExceeded) as info:
        limits.open_archive(many.getvalue(), limits.ArchiveLimits(max_entries=10))
    assert info.value.reason == "too-many-entries"

    small = limits.ArchiveLimits(max_entry_bytes=1000, max_total_bytes=1500)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a", b"x" * 800)
        zf.writestr("b", b"x" * 800)
    with pytest.raises(limits.LimitExceeded):
        limits.open_archive(two.getvalue(), small)
    with pytest.raises(limits.UnreadableUpload):
        limits.open_archive(b"not a zip", small)


def test_a_member_is_read_with_the_cap_even_when_its_header_lies() -> None:
    data = _zip_bomb(2 * limits.MB, "big.xml")
    archive = limits.open_archive(data, limits.ArchiveLimits())
    info = archive.getinfo("big.xml")
    with pytest.raises(limits.LimitExceeded):
        limits.read_member(archive, info, limits.MB)
    info.file_size = 10  # a header that understates the size: never more than declared
    with pytest.raises(limits.UnreadableUpload):
        limits.read_member(archive, info, limits.MB)


def test_a_work_budget_stops_the_work() -> None:
    budget = limits.WorkBudget(3, "dòng", "rows")
    budget.spend(3)
    with pytest.raises(limits.LimitExceeded) as info:
        budget.spend()
    assert info.value.reason == "too-many-rows" and info.value.limit == 3


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds almost no pixels (a decompression bomb's head)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))


def test_an_image_is_refused_by_its_pixel_count_before_decoding() -> None:
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_image(_png_header(20_000, 20_000))
    assert info.value.reason == "too-many-pixels"
    with pytest.raises(limits.LimitExceeded) as info:
        limits.check_image(_png_header(10_000, 10_000))  # below Pillow's own limit, above ours
    assert "10000 × 10000" in info.value.message_en
    with pytest.raises(limits.UnreadableUpload):
        limits.check_image(b"GIF89a not really")
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    assert limits.check_image(buf.getvalue()) == limits.ImageInfo("PNG", 40, 30)


def test_json_nesting_is_limited_without_recursion() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(limits.JsonTooDeep):
        limits.load_json(deep)
    with pytest.raises(limits.JsonTooDeep):
        limits.load_json(json.dumps({"a": [[[[1]]]]}), max_depth=4)
    assert limits.load_json(json.dumps({"a": [[[1]]]}), max_depth=4) == {"a": [[[1]]]}
    assert limits.load_json("3") == 3
    assert isinstance(limits.JsonTooDeep("x"), ValueError)


def test_spreadsheet_cells_never_start_a_formula() -> None:
    assert safe_row(["=HYPERLINK(\"http://x\")", "+84 90", "-A1", "@SUM(A1)", "\tx", "\r=1"]) == [
        "'=HYPERLINK(\"http://x\")", "'+84 90", "'-A1", "'@SUM(A1)", "'\tx", "'\r=1"]
    assert safe_row([-12.5, 3, None, "-12,5", "+7", "Ruộng ông Năm", ""]) == [
        -12.5, 3, None, "-12,5", "+7", "Ruộng ông Năm", ""]
    assert safe_cell("a=b") == "a=b"
