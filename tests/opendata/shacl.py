"""Validate a catalogue against the official DCAT-AP 3.0.1 shapes (pyshacl, offline)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Namespace
from rdflib.namespace import RDF

SHAPES_DIR = Path(__file__).parent / "data" / "dcat-ap-3.0.1"
SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Finding:
    severity: str
    focus: str
    path: str
    message: str


@cache
def shapes(name: str) -> Graph:
    return Graph().parse(SHAPES_DIR / name, format="turtle")


def findings(data: Graph, shapes_file: str) -> list[Finding]:
    """Every result pyshacl reports (violations and warnings), none filtered out."""
    _, report, _ = validate(data, shacl_graph=shapes(shapes_file), inference="none",
                            allow_warnings=True)
    assert isinstance(report, Graph)
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        out.append(Finding(
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            focus=str(report.value(result, SH.focusNode)),
            path=str(report.value(result, SH.resultPath)),
            message=str(report.value(result, SH.resultMessage)),
        ))
    return out


def violations(data: Graph, shapes_file: str) -> list[Finding]:
    return [f for f in findings(data, shapes_file) if f.severity == "Violation"]
