"""DESIGN: domains talk through each other's services, schemas and events, never through each
other's tables, adapters or internals; core knows no domain. The rules are import-linter
contracts in ``pyproject.toml`` (``[tool.importlinter]``); these tests run them on the code,
and on copies of the code with one forbidden import added, to show that each rule bites."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
CONTRACTS = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"][
    "contracts"]
NAMES = {c["id"]: c["name"] for c in CONTRACTS}


def _lint(src: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts on the ``nongso`` package under ``src``."""
    only = [arg for cid in contract_ids for arg in ("--contract", cid)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--no-cache", "--no-logo", *only, str(PYPROJECT)],
        cwd=src, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_contracts_cover_the_domain_rules() -> None:
    assert set(NAMES) == {"core", "domains", "web", "root"}
    domains = next(c for c in CONTRACTS if c["id"] == "domains")
    assert set(domains["modules"]) == {
        f"nongso.{d}" for d in ("units", "accounts", "registry", "diary", "monitor", "alerts",
                                "trace", "stats", "opendata", "market", "remote", "vision")}


def test_the_code_keeps_every_import_contract() -> None:
    run = _lint(ROOT / "src")
    assert run.returncode == 0, run.stdout + run.stderr
    for name in NAMES.values():
        assert f"{name} KEPT" in run.stdout
    assert f"Contracts: {len(NAMES)} kept, 0 broken." in run.stdout


# (contract, module that gets the import, the forbidden import, what the report names)
VIOLATIONS = [
    ("core", "core/uow.py", "from nongso.accounts import services",
     "nongso.core.uow -> nongso.accounts.services"),
    ("core", "core/deps.py", "import nongso.wiring",
     "nongso.core.deps -> nongso.wiring"),
    ("domains", "monitor/sta_write.py", "from nongso.registry import geo",
     "nongso.monitor.sta_write -> nongso.registry.geo"),
    ("domains", "alerts/worker.py", "from nongso.monitor import runtime",
     "nongso.alerts.worker -> nongso.monitor.runtime"),
    ("domains", "alerts/services/__init__.py", "from nongso.monitor.cli import app",
     "nongso.alerts.services -> nongso.monitor.cli"),
    ("domains", "diary/exports.py", "from nongso.trace.models import Lot",
     "nongso.diary.exports -> nongso.trace.models"),
    ("domains", "trace/handlers.py", "from nongso.registry.api import router",
     "nongso.trace.handlers -> nongso.registry.api"),
    ("web", "web/trace.py", "from nongso.trace import models",
     "nongso.web.trace -> nongso.trace.models"),
    ("root", "diary/cli.py", "from nongso.wiring import register_handlers",
     "nongso.diary.cli -> nongso.wiring"),
]


@pytest.mark.parametrize(("contract", "module", "line", "reported"), VIOLATIONS,
                         ids=[f"{v[0]}:{v[3]}" for v in VIOLATIONS])
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, contract: str, module: str,
                                                line: str, reported: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "nongso", src / "nongso",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "data"))
    target = src / "nongso" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n",
                      encoding="utf-8")
    run = _lint(src, contract)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{NAMES[contract]} BROKEN" in run.stdout
    assert reported in run.stdout
