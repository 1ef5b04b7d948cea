"""`phusong load facilities|villages|population|inspections`: one summary, exit 0/1/2, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.cli import main
from etl.names import fold_place_name
from tests.etl.conftest import COMMUNES, VN_HEADERS, _square, vn_row, write_csv, write_workbook

pytestmark = pytest.mark.db


@pytest.fixture()
def cli_db(use_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test database with committed communes (the CLI commits), cleaned afterwards."""
    monkeypatch.setenv("PHUSONG_OUT_DIR", str(tmp_path / "out"))
    from sql.settings import get_settings

    get_settings.cache_clear()
    engine = create_engine(use_database)
    with engine.begin() as conn:
        marks = conn.execute(text("SELECT coalesce((SELECT max(id) FROM load_batch), 0), "
                                  "coalesce((SELECT max(id) FROM audit_log), 0)")).one()
        codes = []
        for code, name, lon, lat in COMMUNES:
            codes += conn.execute(text(
                "INSERT INTO admin_unit (version, level, code, name, name_folded, province_code, geom) "
                "VALUES ('2025', 'commune', :c, :n, :f, '11', ST_GeomFromText(:w, 4326)) "
                "ON CONFLICT DO NOTHING RETURNING code"),
                {"c": code, "n": name, "f": fold_place_name(name), "w": _square(lon, lat)}).scalars().all()
    try:
        yield use_database
    finally:
        # Only what this test committed: other test modules may keep committed rows in the session database.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM facility WHERE batch_id > :b"), {"b": marks[0]})
            conn.execute(text("DELETE FROM load_batch WHERE id > :b"), {"b": marks[0]})
            conn.execute(text("DELETE FROM audit_log WHERE id > :a"), {"a": marks[1]})
            conn.execute(text("DELETE FROM coverage_stale WHERE commune_code = ANY(:c)"), {"c": codes})
            conn.execute(text("DELETE FROM admin_unit WHERE version = '2025' AND level = 'commune' "
                              "AND code = ANY(:c)"), {"c": codes})
        engine.dispose()


def test_load_facilities_prints_one_summary_and_exits_0_with_rejects(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_workbook(
        tmp_path / "khao_sat.xlsx", VN_HEADERS, [vn_row(1, "A", year=2019), vn_row(2, "B", status="???")]
    )
    assert main(["load", "facilities", str(path)]) == 0
    out = capsys.readouterr().out
    summary = out.splitlines()[0]
    assert "2 rows read, loaded 1, updated 0, unchanged 0, warned 0, rejected 1; reject report:" in summary
    assert Path(summary.rsplit("reject report: ", 1)[1]).is_file()
    assert main(["load", "facilities", str(path)]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_strict_refusal_exits_1_and_writes_nothing(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "s.csv", VN_HEADERS, [vn_row(1, "A"), vn_row(2, "B", status="???")])
    assert main(["load", "facilities", str(path), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "row 3, field 'Tình trạng'" in err and "Traceback" not in err
    engine = create_engine(cli_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facility")).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"Ma,Loai\n", b"PK\x03\x04broken"])
def test_refused_files_exit_1_without_traceback(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / ("bad.xlsx" if content.startswith(b"PK") else "bad.csv")
    path.write_bytes(content)
    assert main(["load", "facilities", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("phusong: ") and "Traceback" not in err and "unexpected" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["load", "facilities"],
        ["load", "facilities", "x.csv", "--bogus"],
        ["load", "villages"],
        ["load", "population"],
        ["load", "inspections"],
    ],
)
def test_wrong_usage_exits_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2


@pytest.mark.parametrize("kind", ["facilities", "villages", "population", "inspections"])
def test_every_load_command_has_help_with_an_example(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["load", kind, "--help"])
    assert "Example:" in capsys.readouterr().out


def test_dry_run_writes_nothing(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "d.csv", VN_HEADERS, [vn_row(1, "A")])
    assert main(["load", "facilities", str(path), "--dry-run"]) == 0
    assert "dry run, nothing written: would load 1" in capsys.readouterr().out
    engine = create_engine(cli_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM load_batch")).scalar_one() == 0
    engine.dispose()
