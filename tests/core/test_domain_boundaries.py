"""DESIGN: domains talk through each other's services or events, never through each other's
tables. No module of one domain imports another domain's ``models`` (the demo generator, the
models' registry and the migrations excepted)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "nongso"
IMPORT = re.compile(r"^\s*(?:from nongso\.(\w+)\.models import|from nongso\.(\w+) import models"
                    r"|import nongso\.(\w+)\.models)", re.MULTILINE)
EXEMPT = {"all_models.py"}


def _offenders() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in EXEMPT or rel.startswith(("demo/", "migrations/")):
            continue
        owner = rel.split("/")[0]
        for m in IMPORT.finditer(path.read_text(encoding="utf-8")):
            domain = next(g for g in m.groups() if g)
            if domain != owner:
                found.append(f"{rel}: nongso.{domain}.models")
    return found


def test_no_domain_reads_another_domains_tables() -> None:
    assert _offenders() == []


def test_the_check_sees_an_offending_import() -> None:
    text = "from nongso.registry.models import Farmer\nfrom nongso.diary import models\n"
    assert [m.group(1) or m.group(2) for m in IMPORT.finditer(text)] == ["registry", "diary"]
