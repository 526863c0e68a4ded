"""Build Vietnam's administrative-unit reference files under ``src/nongso/units/data/``.

The files are generated ONCE, from the MIT-licensed PyPI package ``vietnamadminunits`` (a dev
dependency), and committed; nothing is downloaded at run time. Run from the repository root:

    .venv/bin/python scripts/build_admin_units.py

Inputs (inside the installed package, located through its import spec, i.e. without importing
it): ``data/dataset.db`` (SQLite, tables ``admin_units`` and ``admin_units_legacy``) and
``data/converter_2025.json`` (old -> new mapping keyed by normalised names).

Outputs: provinces.csv, communes.csv, legacy_units.csv, lineage.csv, province_lineage.csv and
SOURCE.md (see SOURCE.md for the column meanings). The script is deterministic: same package
version in, byte-identical files out. It stops with an error if a sanity check fails.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import sqlite3
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "vietnamadminunits"
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "nongso" / "units" / "data"

PROVINCE_TYPES = ("Tỉnh", "Thành phố")
COMMUNE_TYPES = ("Xã", "Phường", "Đặc khu")
LEGACY_DISTRICT_TYPES = ("Huyện", "Quận", "Thị xã", "Thành phố")
LEGACY_COMMUNE_TYPES = ("Xã", "Phường", "Thị trấn")

# Official counts: 34 provinces and 3,321 communes since 2025-07-01; before that 63 provinces,
# 696 districts and 10,035 communes (five island districts had no commune-level units).
EXPECTED = {
    "provinces": 34,
    "communes": 3321,
    "legacy_provinces": 63,
    "legacy_districts": 696,
    "legacy_communes": 10035,
}
EXPECTED_COMMUNES_IN = {"82": 102, "92": 103}  # Đồng Tháp, Cần Thơ (project's own province)
# Old provinces that formed the new ones above, by their own (pre-2025) GSO code.
EXPECTED_PREDECESSORS = {"82": {"82", "87"}, "92": {"92", "93", "94"}}
# Spot check of well-known pre-2025 GSO province codes (by the package's province key).
KNOWN_OLD_CODES = {
    "tinhtiengiang": "82",
    "tinhdongthap": "87",
    "thanhphocantho": "92",
    "tinhhaugiang": "93",
    "tinhsoctrang": "94",
    "tinhvinhlong": "86",
    "tinhangiang": "89",
    "tinhkiengiang": "91",
}
# Vietnam's mainland + near-shore bounding box; only the offshore archipelagos lie east of it.
LAT_RANGE = (8.0, 24.0)
LON_RANGE = (102.0, 110.0)
ARCHIPELAGO_LON_RANGE = (110.0, 118.0)
ARCHIPELAGO_COMMUNES = {"Đặc khu Hoàng Sa", "Đặc khu Trường Sa"}

BOUNDS_RE = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?) – (-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")

Row = dict[str, Any]


class BuildError(Exception):
    """A sanity check on the source data failed."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BuildError(message)


@dataclass(frozen=True)
class Source:
    version: str
    data_dir: Path
    license_text: str

    @property
    def db(self) -> Path:
        return self.data_dir / "dataset.db"

    @property
    def converter(self) -> Path:
        return self.data_dir / "converter_2025.json"


def locate_source() -> Source:
    """Find the installed package's data folder without importing (executing) the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package {PACKAGE!r} is not installed (it is a dev dependency)")
    data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
    dist = importlib.metadata.distribution(PACKAGE)
    classifiers = dist.metadata.get_all("Classifier") or []
    check("License :: OSI Approved :: MIT License" in classifiers, f"{PACKAGE} is not MIT")
    license_text = dist.read_text("licenses/LICENSE") or dist.read_text("LICENSE")
    check(license_text is not None and "MIT License" in license_text, "MIT licence text missing")
    assert license_text is not None
    source = Source(dist.version, data_dir, license_text)
    check(source.db.is_file(), f"missing {source.db}")
    check(source.converter.is_file(), f"missing {source.converter}")
    return source


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_table(db: Path, table: str) -> list[Row]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}"')]
    finally:
        conn.close()


def text(value: object) -> str:
    """A display string: NFC, surrounding spaces removed."""
    check(isinstance(value, str) and value.strip() != "", f"empty text value {value!r}")
    assert isinstance(value, str)
    return unicodedata.normalize("NFC", value.strip())


def split_type(name: str, types: Sequence[str]) -> tuple[str, str]:
    """(type, name) from a full name whose first words are the unit type.

    The type word is matched case-insensitively and rewritten in its canonical spelling, so
    "Thị Xã Buôn Hồ" becomes ("Thị xã", "Thị xã Buôn Hồ").
    """
    for unit_type in types:
        prefix = unit_type + " "
        if name.casefold().startswith(prefix.casefold()):
            return unit_type, prefix + name[len(prefix) :]
    raise BuildError(f"name {name!r} does not start with one of {types}")


def num(value: object) -> str:
    """A number for CSV: the shortest repr of the float, empty when missing."""
    if value is None or value == "":
        return ""
    check(isinstance(value, int | float), f"not a number: {value!r}")
    assert isinstance(value, int | float)
    return repr(float(value))


def parse_bounds(value: object) -> tuple[str, str, str, str]:
    """'lat1,lon1 – lat2,lon2' -> (min_lat, min_lon, max_lat, max_lon) as CSV numbers."""
    if value is None:
        return ("", "", "", "")
    match = BOUNDS_RE.fullmatch(str(value).strip())
    check(match is not None, f"unparsable bounds {value!r}")
    assert match is not None
    lat1, lon1, lat2, lon2 = (float(g) for g in match.groups())
    return (num(min(lat1, lat2)), num(min(lon1, lon2)), num(max(lat1, lat2)), num(max(lon1, lon2)))


def consistent(rows: Iterable[Row], key: str, fields: Sequence[str], what: str) -> dict[str, Row]:
    """Group denormalised rows by ``key``; every row of a group must agree on ``fields``."""
    groups: dict[str, Row] = {}
    for row in rows:
        code = row[key]
        picked = {f: row[f] for f in fields}
        if code in groups:
            check(
                groups[code] == picked,
                f"{what} {code}: inconsistent rows {groups[code]} / {picked}",
            )
        else:
            groups[code] = picked
    return groups


class Notes:
    """Data anomalies found and how they were handled (printed and written to SOURCE.md)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)


# --------------------------------------------------------------------------------- new units


def build_new_units(rows: list[Row], notes: Notes) -> tuple[list[list[str]], list[list[str]]]:
    provinces = consistent(
        rows,
        "provinceCode",
        ("province", "provinceShort", "provinceLat", "provinceLon", "provinceKey"),
        "province",
    )
    province_rows: list[list[str]] = []
    for code, p in provinces.items():
        ptype, name = split_type(text(p["province"]), PROVINCE_TYPES)
        province_rows.append(
            [
                code,
                name,
                text(p["provinceShort"]),
                ptype,
                num(p["provinceLat"]),
                num(p["provinceLon"]),
            ]
        )

    commune_rows: list[list[str]] = []
    missing_area: list[str] = []
    zero_area: list[str] = []
    for r in rows:
        name = text(r["ward"])
        ctype, name = split_type(name, COMMUNE_TYPES)
        if r["wardType"] != ctype:
            notes.add(
                f"communes.csv {r['wardCode']} {name!r} ({r['provinceShort']}): source wardType "
                f"{r['wardType']!r} contradicts the name (and its key {r['wardKey']!r}); type "
                f"taken from the name: {ctype!r}."
            )
        area = r["wardAreaKm2"]
        if area is None:
            missing_area.append(f"{r['wardCode']} {name}")
        elif area <= 0:
            zero_area.append(f"{r['wardCode']} {name} ({r['provinceShort']})")
            area = None
        check(r["wardLat"] is not None and r["wardLon"] is not None, f"{name}: no coordinates")
        commune_rows.append(
            [
                r["wardCode"],
                name,
                text(r["wardShort"]),
                ctype,
                r["provinceCode"],
                num(r["wardLat"]),
                num(r["wardLon"]),
                num(area),
            ]
        )
    if missing_area:
        notes.add(
            "communes.csv: area_km2 is missing in the source for "
            + ", ".join(missing_area)
            + " (left empty; not guessed)."
        )
    if zero_area:
        notes.add(
            "communes.csv: area_km2 is 0.0 in the source (impossible) for "
            + ", ".join(zero_area)
            + "; treated as unknown and left empty."
        )
    province_rows.sort(key=lambda r: r[0])
    commune_rows.sort(key=lambda r: r[0])
    return province_rows, commune_rows


# ------------------------------------------------------------------------------ legacy units


def build_legacy_units(rows: list[Row], notes: Notes) -> list[list[str]]:
    out: list[list[str]] = []

    provinces = consistent(
        rows,
        "provinceCode",
        (
            "province",
            "provinceShort",
            "provinceLat",
            "provinceLon",
            "provinceBounds",
            "provinceKey",
        ),
        "legacy province",
    )
    for code, p in provinces.items():
        ptype, name = split_type(text(p["province"]), PROVINCE_TYPES)
        out.append(
            ["province", code, name, text(p["provinceShort"]), ptype, "",
             num(p["provinceLat"]), num(p["provinceLon"]), *parse_bounds(p["provinceBounds"])]
        )  # fmt: skip

    districts = consistent(
        rows,
        "districtCode",
        ("provinceCode", "district", "districtShort", "districtType", "districtLat",
         "districtLon", "districtBounds"),
        "legacy district",
    )  # fmt: skip
    for code, d in districts.items():
        source_name = text(d["district"])
        dtype, name = split_type(source_name, LEGACY_DISTRICT_TYPES)
        check(
            d["districtType"] == dtype, f"district {code}: type {d['districtType']!r} vs {name!r}"
        )
        if name != source_name:
            notes.add(
                f"legacy_units.csv district {code}: type word capitalised in the source "
                f"({source_name!r}); written as {name!r}."
            )
        out.append(
            ["district", code, name, text(d["districtShort"]), dtype, d["provinceCode"],
             num(d["districtLat"]), num(d["districtLon"]), *parse_bounds(d["districtBounds"])]
        )  # fmt: skip

    codes = Counter(r["wardCode"] for r in rows if r["wardCode"] is not None)
    dupes = [c for c, n in codes.items() if n > 1]
    check(not dupes, f"duplicate legacy commune codes {dupes}")
    for r in rows:
        if r["wardCode"] is None:
            continue  # island district without commune-level units, reported by build_lineage
        source_name = text(r["ward"])
        ctype, name = split_type(source_name, LEGACY_COMMUNE_TYPES)
        if name != source_name:
            notes.add(
                f"legacy_units.csv commune {r['wardCode']}: type word capitalised in the source "
                f"({source_name!r}); written as {name!r}."
            )
        if r["wardType"] != ctype:
            notes.add(
                f"legacy_units.csv commune {r['wardCode']} {name!r} ({r['district']}): source "
                f"wardType {r['wardType']!r} contradicts the name; type taken from the name: "
                f"{ctype!r}."
            )
        out.append(
            ["commune", r["wardCode"], name, text(r["wardShort"]), ctype, r["districtCode"],
             num(r["wardLat"]), num(r["wardLon"]), *parse_bounds(r["wardBounds"])]
        )  # fmt: skip

    level_order = {"province": 0, "district": 1, "commune": 2}
    out.sort(key=lambda r: (level_order[r[0]], r[1]))
    return out


def check_old_province_codes(legacy: list[Row], converter: dict[str, Any]) -> dict[str, str]:
    """Show from the data that admin_units_legacy.provinceCode is the OLD province's own code.

    Returns old province key -> old code.
    """
    pairs = {(r["provinceKey"], r["provinceCode"]) for r in legacy}
    key_to_code = dict(pairs)
    check(len(pairs) == len(key_to_code) == len(set(key_to_code.values())),
          "legacy provinceCode is not one-to-one with the old provinces")  # fmt: skip
    # Provinces merged into the same new province keep distinct codes, so the field cannot be
    # the new province's code (that would give only 34 distinct values).
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        old_codes = [key_to_code[k] for k in old_keys]
        check(len(set(old_codes)) == len(old_codes), f"{new_key}: old codes {old_codes} repeat")
    for key, code in KNOWN_OLD_CODES.items():
        check(key_to_code.get(key) == code, f"{key}: legacy code {key_to_code.get(key)} != {code}")
    return key_to_code


# ----------------------------------------------------------------------------------- lineage


@dataclass(frozen=True)
class Lineage:
    rows: list[list[str]]
    province_rows: list[list[str]]
    islands: list[tuple[str, str, str, str]]  # old district code/name -> new code/name


def build_lineage(
    legacy: list[Row],
    new: list[Row],
    converter: dict[str, Any],
    old_province_codes: dict[str, str],
) -> Lineage:
    new_province_code = {r["provinceKey"]: r["provinceCode"] for r in new}
    new_code = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in new}
    new_name = {r["wardCode"]: text(r["ward"]) for r in new}
    check(len(new_code) == len(new), "new (province key, ward key) pairs are not unique")
    old_code: dict[str, str | None] = {}
    old_district: dict[str, tuple[str, str]] = {}
    for r in legacy:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        check(key not in old_code, f"duplicate legacy key {key}")
        old_code[key] = r["wardCode"]
        old_district[key] = (r["districtCode"], text(r["district"]))

    province_rows: list[list[str]] = []
    new_of_old_province: dict[str, str] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        code = new_province_code[new_key]
        olds = [old_province_codes[k] for k in old_keys]
        # The new province re-uses the code of one of its predecessors (the one that hosts
        # its seat), e.g. new Đồng Tháp = 82 = old Tiền Giang.
        check(code in olds, f"new province {code} does not re-use a predecessor code {olds}")
        for old in olds:
            check(old not in new_of_old_province, f"old province {old} mapped twice")
            new_of_old_province[old] = code
            province_rows.append([old, code])
    check(len(new_of_old_province) == EXPECTED["legacy_provinces"], "old provinces not all mapped")
    for code, expected in EXPECTED_PREDECESSORS.items():
        got = {o for o, n in new_of_old_province.items() if n == code}
        check(got == expected, f"predecessors of {code}: {sorted(got)} != {sorted(expected)}")

    targets: dict[str, list[tuple[str, str, bool, bool]]] = defaultdict(list)
    for new_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            code = new_code[(new_key, ward_key)]
            for old in old_keys:
                targets[old].append((code, new_province_code[new_key], False, True))
    for new_key, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in divided.items():
            for part in parts:
                code = new_code[(new_key, part["newWardKey"])]
                default = part["isDefaultNewWard"]
                check(isinstance(default, bool), f"{old}: isDefaultNewWard {default!r}")
                targets[old].append((code, new_province_code[new_key], True, default))

    unknown = sorted(set(targets) - set(old_code))
    check(not unknown, f"mapping refers to unknown old units {unknown[:5]}")
    unmapped = sorted(k for k in old_code if k not in targets)
    check(not unmapped, f"old units without a new unit: {unmapped[:5]} ({len(unmapped)})")

    rows: list[list[str]] = []
    islands: list[tuple[str, str, str, str]] = []
    for old, parts in targets.items():
        divided_flags = {p[2] for p in parts}
        check(len(divided_flags) == 1, f"{old}: both divided and not divided")
        codes = [p[0] for p in parts]
        check(len(codes) == len(set(codes)), f"{old}: repeated new unit")
        old_province = old_province_codes[old.split("_", 1)[0]]
        for part in parts:
            check(part[1] == new_of_old_province[old_province], f"{old}: crosses province lineage")
        if divided_flags == {True}:
            check(len(parts) >= 2, f"{old}: divided into a single unit")
            check(sum(p[3] for p in parts) == 1, f"{old}: not exactly one default new unit")
        else:
            check(len(parts) == 1, f"{old}: several new units but not marked divided")
        commune = old_code[old]
        if commune is None:  # island district without communes -> one special zone
            district_code, district_name = old_district[old]
            check(len(parts) == 1, f"{old}: island district split")
            islands.append((district_code, district_name, parts[0][0], new_name[parts[0][0]]))
            continue
        for code, province, divided, default in parts:
            rows.append([commune, code, province, str(int(divided)), str(int(default))])
    rows.sort(key=lambda r: (r[0], r[1]))
    province_rows.sort(key=lambda r: r[0])
    islands.sort()
    return Lineage(rows, province_rows, islands)


# ---------------------------------------------------------------------------------- checking


def in_box(lat: str, lon: str, name: str) -> bool:
    la, lo = float(lat), float(lon)
    lon_range = ARCHIPELAGO_LON_RANGE if name in ARCHIPELAGO_COMMUNES else LON_RANGE
    return LAT_RANGE[0] <= la <= LAT_RANGE[1] and lon_range[0] <= lo <= lon_range[1]


def sanity(
    provinces: list[list[str]],
    communes: list[list[str]],
    legacy: list[list[str]],
    lineage: Lineage,
) -> None:
    check(len(provinces) == EXPECTED["provinces"], f"{len(provinces)} provinces")
    check(len(communes) == EXPECTED["communes"], f"{len(communes)} communes")
    check(len({r[0] for r in provinces}) == len(provinces), "duplicate province codes")
    check(len({r[0] for r in communes}) == len(communes), "duplicate commune codes")
    per_province = Counter(r[4] for r in communes)
    for code, n in EXPECTED_COMMUNES_IN.items():
        check(per_province[code] == n, f"province {code}: {per_province[code]} communes != {n}")
    check(set(per_province) == {r[0] for r in provinces}, "communes outside the 34 provinces")

    by_level: dict[str, list[list[str]]] = defaultdict(list)
    for r in legacy:
        by_level[r[0]].append(r)
    for level in ("province", "district", "commune"):
        n = len(by_level[level])
        check(n == EXPECTED[f"legacy_{level}s"], f"{n} legacy {level} rows")
        check(len({r[1] for r in by_level[level]}) == n, f"duplicate legacy {level} codes")
    old_provinces = {r[1] for r in by_level["province"]}
    old_districts = {r[1] for r in by_level["district"]}
    old_communes = {r[1] for r in by_level["commune"]}
    check(all(r[5] in old_provinces for r in by_level["district"]), "district without province")
    check(all(r[5] in old_districts for r in by_level["commune"]), "commune without district")

    new_codes = {r[0] for r in communes}
    new_province_of = {r[0]: r[4] for r in communes}
    mapped = {r[0] for r in lineage.rows}
    check(mapped == old_communes, f"{len(old_communes - mapped)} old communes without lineage")
    for old, new, province, _divided, _default in lineage.rows:
        check(old in old_communes, f"lineage: unknown old commune {old}")
        check(new in new_codes, f"lineage: unknown new commune {new}")
        check(new_province_of[new] == province, f"lineage {old}->{new}: province {province}")
    for old, new in lineage.province_rows:
        check(old in old_provinces and new in {r[0] for r in provinces}, f"bad {old}->{new}")
    check(len(lineage.province_rows) == EXPECTED["legacy_provinces"], "province lineage count")

    # Every old commune of the provinces that formed new 82 and 92 reaches that new province.
    district_province = {r[1]: r[5] for r in by_level["district"]}
    new_of = defaultdict(set)
    for old, _new, province, _d, _i in lineage.rows:
        new_of[old].add(province)
    for new_province, olds in EXPECTED_PREDECESSORS.items():
        members = [r[1] for r in by_level["commune"] if district_province[r[5]] in olds]
        check(bool(members), f"no old communes for {new_province}")
        for m in members:
            check(new_of[m] == {new_province}, f"old commune {m} does not map into {new_province}")

    for r in provinces:
        check(in_box(r[4], r[5], r[1]), f"province {r[0]} outside Vietnam: {r[4]},{r[5]}")
    for r in communes:
        check(in_box(r[5], r[6], r[1]), f"commune {r[0]} {r[1]} outside Vietnam: {r[5]},{r[6]}")
    for r in legacy:
        check(in_box(r[6], r[7], ""), f"legacy {r[0]} {r[1]} outside Vietnam")
        check(in_box(r[8], r[9], "") and in_box(r[10], r[11], ""), f"legacy {r[1]} bounds")


# ----------------------------------------------------------------------------------- writing

HEADERS = {
    "provinces.csv": ["code", "name", "short_name", "type", "lat", "lon"],
    "communes.csv": ["code", "name", "short_name", "type", "province_code", "lat", "lon",
                     "area_km2"],
    "legacy_units.csv": ["level", "code", "name", "short_name", "type", "parent_code", "lat",
                         "lon", "min_lat", "min_lon", "max_lat", "max_lon"],
    "lineage.csv": ["old_commune_code", "new_commune_code", "new_province_code", "divided",
                    "is_default"],
    "province_lineage.csv": ["old_province_code", "new_province_code"],
}  # fmt: skip


def write_csv(name: str, rows: list[list[str]]) -> None:
    header = HEADERS[name]
    for row in rows:
        check(len(row) == len(header), f"{name}: row {row} does not fit {header}")
    with (OUT_DIR / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def source_md(
    source: Source,
    counts: dict[str, int],
    lineage: Lineage,
    notes: Notes,
    extra: dict[str, int],
) -> str:
    islands = "\n".join(f"| {d} | {dn} | {n} | {nn} |" for d, dn, n, nn in lineage.islands)
    anomalies = "\n".join(f"- {n}" for n in notes.items)
    return f"""# Administrative units of Vietnam — data source

Generated by `scripts/build_admin_units.py`; do not edit by hand.

## Origin

- Package: [`vietnamadminunits`](https://pypi.org/project/vietnamadminunits/)
  {source.version} (<https://github.com/tranngocminhhieu/vietnamadminunits>),
  © 2025 Tran Ngoc Minh Hieu, **MIT licence** — the copyright and permission notice is
  reproduced at the end of this file, as the licence requires.
- Files read from the installed package:
  - `vietnamadminunits/data/dataset.db`, sha256 `{sha256(source.db)}`
  - `vietnamadminunits/data/converter_2025.json`, sha256 `{sha256(source.converter)}`
- Sources stated by the package: the General Statistics Office list of administrative
  units (Tổng cục Thống kê, danhmuchanhchinh.gso.gov.vn); the site sapnhap.bando.com.vn,
  which presents the 2025 merger resolutions of the National Assembly Standing Committee
  (Ủy ban Thường vụ Quốc hội) on provincial- and commune-level units, effective
  **2025-07-01**; and the Google Geocoding API for coordinates.
- Nothing is downloaded at run time. The GPL package `vietnam-provinces` is not used.

## Regenerating

```sh
uv sync                                   # vietnamadminunits is a dev dependency
.venv/bin/python scripts/build_admin_units.py
```

The script reads the package files, writes every file in this folder (sorted, UTF-8, header
row, `\\n` line ends) and refuses to write if a sanity check fails (counts, unique codes,
every old commune mapped, every lineage code present, coordinates inside Vietnam).

## Files

| file | rows | content |
|---|---:|---|
| `provinces.csv` | {counts["provinces.csv"]} | the 34 provinces since 2025-07-01 |
| `communes.csv` | {counts["communes.csv"]} | the 3,321 commune-level units since 2025-07-01 |
| `legacy_units.csv` | {counts["legacy_units.csv"]} | pre-2025 provinces, districts and communes |
| `lineage.csv` | {counts["lineage.csv"]} | old commune → new commune pairs |
| `province_lineage.csv` | {counts["province_lineage.csv"]} | old province → new province |

### provinces.csv

- `code`: GSO province code since 2025-07-01 (2 digits, e.g. `82` Đồng Tháp, `92` Cần Thơ).
- `name`: full name with its type (`Tỉnh Đồng Tháp`); `short_name`: without it (`Đồng Tháp`).
- `type`: `Tỉnh` or `Thành phố` (centrally-governed city).
- `lat`, `lon`: a representative point (WGS 84), not a centroid of a boundary.

### communes.csv

- `code`: GSO commune code (5 digits); `province_code`: `provinces.code`.
- `name`, `short_name`, `type` (`Xã`, `Phường` or `Đặc khu`), `lat`, `lon` as above.
- `area_km2`: area in km² as given by the source (empty when unknown).

### legacy_units.csv

- `level`: `province`, `district` or `commune`; `code` is unique within a level.
- `code`: the unit's **own pre-2025 GSO code** (2 digits province, 3 digits district,
  5 digits commune).
- `parent_code`: empty for provinces, the old province code for districts, the district code
  for communes.
- `type`: province `Tỉnh`/`Thành phố`; district `Huyện`/`Quận`/`Thị xã`/`Thành phố`; commune
  `Xã`/`Phường`/`Thị trấn`.
- `short_name`: as in the source; where two units of the same parent share a name the source
  disambiguates it (`Yên Viên (Thị trấn)`, `Kỳ Anh (Huyện)`), numbered units keep their type
  word (`Phường 1`, `Quận 1`).
- `lat`, `lon`, `min_lat`, `min_lon`, `max_lat`, `max_lon`: geocoder point and viewport
  (from Google Geocoding via the package). These are approximations, not boundaries:
  - {extra["fallback_communes"]} communes have exactly the point of their district or province
    (the geocoder fell back to the parent);
  - the province point and viewport of Hà Nội, Hải Phòng, Huế, Đà Nẵng and Cần Thơ cover
    only the urban core;
  - old Hoàng Sa district has the point of Đà Nẵng, the old Trường Sa communes that of
    Khánh Hòa.

**Codes are scoped by epoch.** When units merged, the new unit re-used the code of one of
its predecessors, so the same string can mean two different units: province `82` is old
Tiền Giang in `legacy_units.csv` but new Đồng Tháp (Tiền Giang + old Đồng Tháp `87`) in
`provinces.csv`; commune `00004` is old Phường Trúc Bạch but new Phường Ba Đình. Always join
old codes to `legacy_units.csv` and new codes to `provinces.csv`/`communes.csv`.
In the source, `admin_units_legacy.provinceCode` is the old province's own code, not the new
one: it takes 63 distinct values, one per old province, and provinces merged together keep
different codes (Tiền Giang 82 and Đồng Tháp 87 → new 82; Cần Thơ 92, Hậu Giang 93 and Sóc
Trăng 94 → new 92), which the build script asserts. Every new province code is the code of
one of its predecessors; likewise {extra["inherited_commune_codes"]} of the
{counts["communes.csv"]} new commune codes (all but the island special zones below) are the
code of a predecessor commune.

### lineage.csv

- One row per (old commune → new commune) pair; `new_province_code` is the new commune's
  province.
- `divided=0`: the whole old commune went into one new commune (`is_default=1`).
- `divided=1`: the old commune was **split** between several new communes; there is one row
  per new commune and exactly one of them has `is_default=1` — the package's choice of
  "most appropriate" successor, a convenience, not a legal fact.
  Divided old communes: {extra["divided_old"]}.
- **Caveat:** any figure attached to an old divided commune (area, population, farms,
  statistics) cannot be moved to the new communes from this table alone; the user must
  choose the split rule — e.g. proportional to area (`communes.area_km2`), by geocoding each
  record's address into the new commune, or all to the default successor — and say which
  rule was used.
- Five old island districts had no commune-level unit, so they have no row here; each
  became one special zone (`Đặc khu`):

| old district code | old district | new commune code | new commune |
|---|---|---|---|
{islands}

### province_lineage.csv

- `old_province_code` (pre-2025, `legacy_units.csv` level province) → `new_province_code`
  (`provinces.csv`). Each old province went whole into exactly one new province.

## Anomalies found in the source and how they were handled

{anomalies}

## MIT licence of the source package

```
{source.license_text.strip()}
```
"""


def main() -> int:
    source = locate_source()
    new = read_table(source.db, "admin_units")
    legacy = read_table(source.db, "admin_units_legacy")
    converter: dict[str, Any] = json.loads(source.converter.read_text(encoding="utf-8"))
    notes = Notes()

    provinces, communes = build_new_units(new, notes)
    legacy_rows = build_legacy_units(legacy, notes)
    old_province_codes = check_old_province_codes(legacy, converter)
    lineage = build_lineage(legacy, new, converter, old_province_codes)
    sanity(provinces, communes, legacy_rows, lineage)

    # Statistics quoted in SOURCE.md.
    predecessors: dict[str, set[str]] = defaultdict(set)
    for old, new_code, *_ in lineage.rows:
        predecessors[new_code].add(old)
    fallback = sum(
        1
        for r in legacy
        if r["wardCode"] is not None
        and (
            (r["wardLat"], r["wardLon"]) == (r["districtLat"], r["districtLon"])
            or (r["wardLat"], r["wardLon"]) == (r["provinceLat"], r["provinceLon"])
        )
    )
    extra = {
        "inherited_commune_codes": sum(1 for c in communes if c[0] in predecessors[c[0]]),
        "divided_old": len({r[0] for r in lineage.rows if r[3] == "1"}),
        "fallback_communes": fallback,
    }

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    outputs = {
        "provinces.csv": provinces,
        "communes.csv": communes,
        "legacy_units.csv": legacy_rows,
        "lineage.csv": lineage.rows,
        "province_lineage.csv": lineage.province_rows,
    }
    for name, rows in outputs.items():
        write_csv(name, rows)
    counts = {name: len(rows) for name, rows in outputs.items()}
    (OUT_DIR / "SOURCE.md").write_text(
        source_md(source, counts, lineage, notes, extra), encoding="utf-8", newline="\n"
    )

    print(f"{PACKAGE} {source.version} -> {OUT_DIR.relative_to(ROOT)}")
    for name in [*outputs, "SOURCE.md"]:
        size = (OUT_DIR / name).stat().st_size
        rows_text = f"{counts[name]:>6} rows" if name in counts else " " * 11
        print(f"  {name:<22} {rows_text} {size:>9,} bytes")
    print(f"{len(notes.items)} source anomalies handled (see SOURCE.md):")
    for item in notes.items:
        print(f"  - {item}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as exc:
        print(f"build_admin_units: {exc}", file=sys.stderr)
        sys.exit(1)
