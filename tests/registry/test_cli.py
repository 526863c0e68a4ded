"""``nongso registry …`` commands on the test database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from nongso.cli import app
from nongso.core.platform import Platform
from nongso.core.settings import get_settings
from nongso.registry.models import Infrastructure
from tests.registry.shapes import TAN_PHUOC_1
from tests.registry.test_features_api import count


@pytest.fixture
def cli(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("NONGSO_DATABASE_URL", platform.settings.database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_import_station_and_lists(cli: CliRunner, platform: Platform, tmp_path: Path) -> None:
    lon, lat = TAN_PHUOC_1
    data = tmp_path / "tram.csv"
    data.write_text("Tên,Mã,Loại,Loại trạm,lat,lon,Mã xã\n"
                    f"Trạm đo mặn Tân Phước,MAN-TP,monitoring_station,salinity,{lat},{lon},28321\n"
                    f"Trạm hỏng,MAN-X,monitoring_station,salinity,{lon},{lat},28321\n",
                    encoding="utf-8")
    refused = cli.invoke(app, ["registry", "import", str(data), "--collection", "infrastructure"])
    assert refused.exit_code == 1 and "đổi chỗ" in refused.output
    assert count(platform, Infrastructure) == 0
    done = cli.invoke(app, ["registry", "import", str(data), "--collection", "infrastructure",
                            "--only-valid"])
    assert done.exit_code == 0, done.output
    # Long work says when it starts and, at the end, what it did and in how long.
    assert done.output.startswith("Đang nhập / importing tram.csv (")
    assert re.search(r"^Đã nhập: 1/2 dòng .* imported: 1/2 rows.*\(\d+\.\d s\)$",
                     done.output, re.MULTILINE), done.output
    shown = cli.invoke(app, ["registry", "station", "MAN-TP"])
    assert '"subtype": "salinity"' in shown.output
    assert cli.invoke(app, ["registry", "station", "NOPE"]).exit_code == 1
    out = tmp_path / "msvt.xlsx"
    listed = cli.invoke(app, ["registry", "planting-areas", str(out)])
    assert listed.exit_code == 0
    assert listed.output.startswith("Đang xuất mã số vùng trồng / exporting planting areas")
    assert re.search(r"Đã ghi / written .*msvt\.xlsx \(\d+\.\d kB\) \(\d+\.\d s\)",
                     listed.output), listed.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet["B1"].value == "Mã số vùng trồng"
    boundaries = cli.invoke(app, ["registry", "boundaries", "synthesize", "--province", "82"])
    assert "102 mô phỏng" in boundaries.output
