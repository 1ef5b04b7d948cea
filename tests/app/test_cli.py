"""The command line: every command has help with an example; errors are one clean line, never a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, main
from sql.settings import PROJECT_ROOT


def _all_parsers(parser: argparse.ArgumentParser, prefix: str = "phusong") -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _all_parsers(sub, f"{prefix} {name}")
    return found


def test_every_command_has_help_with_an_example() -> None:
    parsers = _all_parsers(build_parser())
    assert len(parsers) >= 10
    for name, parser in parsers:
        assert parser.format_help(), name
        assert "Example" in (parser.epilog or ""), f"`{name}` has no example in its help"


def test_wrong_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["load", "boundaries"])
    assert exit_info.value.code == 2


@pytest.mark.db
def test_a_missing_file_is_one_line_and_exit_1(use_database: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "app.cli", "load", "boundaries", str(tmp_path / "nope.gpkg"),
                           "--version", "2025"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env={"PHUSONG_DATABASE_URL": use_database, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"phusong: {tmp_path / 'nope.gpkg'}: no such file"


def test_plan_and_export_help_list_actions_formats_and_columns() -> None:
    """Issue 17: `phusong plan --help` lists the action values; `phusong export gaps --help` formats and columns."""
    plan = subprocess.run([sys.executable, "-m", "app.cli", "plan", "--help"], capture_output=True, text=True,
                          timeout=120)
    for action in ("repair_cluster", "new_ip_cluster", "new_fm_cluster", "upgrade_station_ip", "build_station"):
        assert action in plan.stdout
    assert "Sửa chữa cụm loa" in plan.stdout and "Dự toán" in plan.stdout
    export = subprocess.run([sys.executable, "-m", "app.cli", "export", "gaps", "--help"], capture_output=True,
                            text=True, timeout=120)
    for word in ("csv-excel", "gpkg", "geojson", "commune_code", "pop_covered_share", "Tỷ lệ dân số được phủ sóng"):
        assert word in export.stdout
