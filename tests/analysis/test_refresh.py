"""Issue 15: coverage is never stale. Loads through the CLI leave it current without `phusong analyse` (equal to
a full recompute, bit for bit); two refreshers in parallel processes compute each stale commune once."""

from __future__ import annotations

import csv
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from analysis.refresh import bring_current
from app.cli import main

pytestmark = pytest.mark.db

DEMO = Path(__file__).resolve().parents[2] / "gis_data" / "dien_bien"
# Everything a commune's figures are; not the run that stored them, nor when.
FIGURES = ["commune_code", "area_km2", "covered_area_km2", "covered_area_share", "pop_total", "pop_covered",
           "pop_covered_share", "villages_total", "villages_reached", "station_operational", "ntm_8_3", "class",
           "reason", "reason_en", "clusters_working", "clusters_broken", "ntm_8_1", "ntm_6_3_share", "rule_version",
           "data_date", "population_method"]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _gaps(capsys: pytest.CaptureFixture[str], out: Path) -> pd.DataFrame:
    _cli(capsys, "export", "gaps", "--format", "csv", "--out", str(out))
    return pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)[FIGURES]


def _inspections(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã thiết chế", "Tình trạng", "Ngày kiểm tra"])
        writer.writerow(["DB-03127-DAI", "Hư hỏng", "20/11/2026"])
        writer.writerow(["DB-03127-L011", "Hoạt động", "20/11/2026"])
    return path


def test_loads_through_the_cli_leave_coverage_current_equal_to_a_full_analyse(
        use_database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _cli(capsys, "load", "boundaries", str(DEMO / "province_2025.geojson"), "--version", "2025",
         "--level", "province")
    first = _cli(capsys, "load", "boundaries", str(DEMO / "communes_2025.geojson"), "--version", "2025",
                 "--level", "commune")
    assert "coverage: đã tính lại 45 xã trong" in first and "(recomputed 45 communes in" in first
    _cli(capsys, "load", "villages", str(DEMO / "thon_ban_synthetic.geojson"))
    _cli(capsys, "load", "facilities", str(DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx"))
    changed = _cli(capsys, "load", "inspections", str(_inspections(tmp_path / "kiem_tra.csv")))
    assert "coverage: đã tính lại 1 xã trong" in changed  # only Điện Biên Phủ's facilities changed
    engine = create_engine(use_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar() == 0
        station = conn.execute(text(
            "SELECT station_operational FROM coverage_commune WHERE commune_code = '03127'")).scalar()
    assert station is False  # the inspection's broken station, without any `analyse`
    incremental = _gaps(capsys, tmp_path / "incremental.csv")
    assert len(incremental) == 45

    analysed = _cli(capsys, "analyse")
    assert analysed.startswith("analyse: 45 communes")
    full = _gaps(capsys, tmp_path / "full.csv")
    pd.testing.assert_frame_equal(incremental, full)  # as text: every digit the export writes
    engine.dispose()


def test_no_refresh_defers_and_every_read_says_the_figures_are_stale(
        use_database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _cli(capsys, "load", "boundaries", str(DEMO / "communes_2025.geojson"), "--version", "2025",
         "--level", "commune")
    deferred = _cli(capsys, "load", "inspections", str(_inspections(tmp_path / "kiem_tra.csv")), "--no-refresh")
    assert "coverage: đã tính lại" not in deferred  # no facility of that id yet: nothing to say
    out = _cli(capsys, "load", "facilities", str(DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx"),
               "--no-refresh")
    assert "Số liệu phủ sóng của 45 xã đã cũ từ" in out and "Coverage figures of 45 communes are stale" in out
    assert "phusong analyse" in out
    status = _cli(capsys, "status")
    assert "45 xã từ" in status and "11 " in status
    exported = _cli(capsys, "export", "gaps", "--format", "xlsx", "--out", str(tmp_path / "g.xlsx"))
    assert "45 xã đã cũ" in exported
    from openpyxl import load_workbook
    meta = {r[0].value: r[1].value for r in load_workbook(tmp_path / "g.xlsx")["Tham số"].iter_rows()}
    assert meta["Số xã có số liệu cần tính lại"] == 45 and meta["Cần tính lại từ"]  # the "Tham số" sheet says it
    current = _cli(capsys, "load", "villages", str(DEMO / "thon_ban_synthetic.geojson"))
    assert "coverage: đã tính lại 45 xã" in current  # the next load without --no-refresh catches up
    assert "không (none)" in _cli(capsys, "status")


def _refresh_in_process(url: str, codes: list[str], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = create_engine(url)
    report = bring_current(engine, communes=codes, batch=5)
    queue.put(list(report.communes))
    engine.dispose()


def test_two_processes_refreshing_overlapping_communes_compute_each_once_and_match_a_serial_run(
        use_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, "load", "boundaries", str(DEMO / "communes_2025.geojson"), "--version", "2025",
         "--level", "commune", "--no-refresh")
    _cli(capsys, "load", "villages", str(DEMO / "thon_ban_synthetic.geojson"), "--no-refresh")
    _cli(capsys, "load", "facilities", str(DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx"), "--no-refresh")
    engine = create_engine(use_database)
    with engine.connect() as conn:
        codes = list(conn.execute(text("SELECT commune_code FROM coverage_stale ORDER BY 1")).scalars())
    assert len(codes) == 45
    # Overlapping sets: the first 30 and the last 30 (15 in both), and a third process over all of them.
    sets = [codes[:30], codes[15:], codes]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_refresh_in_process, args=(use_database, s, queue)) for s in sets]
    for p in processes:
        p.start()
    done = [queue.get(timeout=240) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0  # no deadlock, no error
    computed = [code for part in done for code in part]
    assert sorted(computed) == codes  # every commune once, none twice
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar() == 0
        parallel = pd.read_sql(text("SELECT * FROM coverage_commune ORDER BY commune_code"), conn)
        runs = conn.execute(text("SELECT count(DISTINCT run_id) FROM coverage_commune")).scalar()
    assert runs >= 2  # the work was shared

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO coverage_stale (commune_code) SELECT code FROM commune"))
    serial = bring_current(engine)
    assert serial.communes == tuple(codes)
    with engine.connect() as conn:
        again = pd.read_sql(text("SELECT * FROM coverage_commune ORDER BY commune_code"), conn)
    engine.dispose()
    same = [c for c in parallel.columns if c not in ("run_id", "computed_at", "geom")]
    pd.testing.assert_frame_equal(parallel[same], again[same])
    assert (parallel["geom"].fillna("") == again["geom"].fillna("")).all()  # the covered areas, as stored (EWKB)
