"""Issue 21, "Hoàn tác lần tải này" for a villages load and an inspections load (etl/load_undo.py), against the
real database: the rows come back as they were, inspections are withdrawn (never deleted), refusals change nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from etl.load_undo import undo_load
from etl.villages import load_villages
from tests.etl.conftest import VN_HEADERS, vn_row, write_csv
from tests.etl.test_cli import cli_db  # noqa: F401  (the committed-database fixture of the CLI tests)

pytestmark = pytest.mark.db
VILLAGE_HEADER = ["Mã", "Tên thôn", "Kinh độ", "Vĩ độ", "Dân số"]
VILLAGES = ("SELECT id, external_id, commune_code, name, name_folded, kind, population, households, batch_id, "
            "ST_AsGeoJSON(geom, 6) FROM village ORDER BY id")
INSPECTION_HEADER = ["Mã thiết chế", "Ngày kiểm tra", "Người kiểm tra", "Tình trạng"]
STATUSES = "SELECT external_id, status, last_inspected_at FROM facility ORDER BY external_id"


def _all(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.execute(text(sql))]


def _villages(conn: Connection, path: Path, *rows: list[object]) -> int:
    result = load_villages(conn, write_csv(path, VILLAGE_HEADER, list(rows)))
    assert result.batch_id is not None, result.summary("en")
    return result.batch_id


def _inspections(conn: Connection, path: Path, *rows: list[object]) -> int:
    result = load_inspections(conn, write_csv(path, INSPECTION_HEADER, list(rows)))
    assert result.batch_id is not None and result.loaded == len(rows), result.summary("en")
    return result.batch_id


def test_undoing_a_villages_load_leaves_the_villages_exactly_as_before(communes: Connection,
                                                                      tmp_path: Path) -> None:
    _villages(communes, tmp_path / "v1.csv", ["T1", "Bản Một", 103.051, 21.451, 300],
              ["T2", "Bản Hai", 103.052, 21.452, 400])
    before = _all(communes, VILLAGES)
    second = _villages(communes, tmp_path / "v2.csv", ["T1", "Bản Một", 103.151, 21.451, 320],  # moved commune
                       ["T2", "Bản Hai", 103.052, 21.452, 400], ["T3", "Bản Ba", 103.053, 21.453, 90])
    assert _all(communes, VILLAGES) != before
    done = undo_load(communes, second, actor="quantri")
    assert (done.kind, done.deleted, done.restored) == ("villages", 1, 1)
    assert len(done.communes) == 2 and "03199" in done.communes  # T1 went back, T3 left Mường Phăng
    assert _all(communes, VILLAGES) == before
    deletes = communes.execute(text("SELECT count(*) FROM audit_log WHERE action = 'delete' AND entity = 'village'"))
    assert deletes.scalar_one() == 1
    audited = communes.execute(text("SELECT after FROM audit_log WHERE action = 'undo_load' AND entity_id = :b"),
                               {"b": str(second)}).scalar_one()
    assert audited["kind"] == "villages" and audited["restored"] == 1
    stale = communes.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = ANY(:c)"),
                             {"c": done.communes}).scalar_one()
    assert stale >= 1  # the communes are to be recomputed


def test_a_villages_load_changed_later_or_with_facilities_in_its_villages_is_refused(communes: Connection,
                                                                                  tmp_path: Path) -> None:
    first = _villages(communes, tmp_path / "v1.csv", ["T1", "Bản 1", 103.051, 21.451, 300])
    second = _villages(communes, tmp_path / "v2.csv", ["T1", "Bản 1", 103.051, 21.451, 350])
    with pytest.raises(LoadRefusedError) as changed:
        undo_load(communes, first, actor="quantri")
    assert changed.value.code == "undo_villages_changed" and changed.value.values["later"] == [second]
    assert "thôn" in changed.value.render("vi")
    undo_load(communes, second, actor="quantri")
    load_facilities(communes, write_csv(tmp_path / "f.csv", VN_HEADERS, [vn_row(1, "VF1")]), today=date(2026, 1, 1))
    count = len(_all(communes, VILLAGES))
    with pytest.raises(LoadRefusedError) as used:
        undo_load(communes, first, actor="quantri")
    assert used.value.code == "undo_villages_used" and used.value.values["count"] == 1
    assert len(_all(communes, VILLAGES)) == count  # nothing changed


def _facilities(conn: Connection, tmp_path: Path) -> None:
    load_facilities(conn, write_csv(tmp_path / "f.csv", VN_HEADERS, [
        vn_row(1, "K1"), vn_row(2, "K2"), vn_row(3, "K3")]), today=date(2026, 11, 26))


def test_undoing_an_inspections_load_withdraws_them_and_gives_the_statuses_back(communes: Connection,
                                                                                tmp_path: Path) -> None:
    _facilities(communes, tmp_path)
    _inspections(communes, tmp_path / "i1.csv", ["K2", "20/11/2026", "An", "Xuống cấp"])
    before = _all(communes, STATUSES)
    batch = _inspections(communes, tmp_path / "i2.csv", ["K1", "21/11/2026", "An", "Hỏng"],
                         ["K1", "22/11/2026", "An", "Xuống cấp"], ["K2", "22/11/2026", "An", "Hỏng"],
                         ["K3", "19/11/2026", "An", "Hỏng"])
    assert _all(communes, STATUSES) != before
    done = undo_load(communes, batch, actor="quantri")
    assert (done.kind, done.withdrawn, done.communes) == ("inspections", 4, ["03199"])
    assert _all(communes, STATUSES) == before  # K1, K3 as surveyed, K2 as its earlier inspection found
    kept = communes.execute(text("SELECT count(*), count(withdrawn_at), min(withdrawn_by) FROM inspection "
                                 "WHERE batch_id = :b"), {"b": batch}).one()
    assert tuple(kept) == (4, 4, "quantri")  # withdrawn, not deleted
    marked = communes.execute(text("SELECT undone_by FROM load_batch WHERE id = :b"), {"b": batch}).scalar_one()
    assert marked == "quantri"
    with pytest.raises(LoadRefusedError) as twice:
        undo_load(communes, batch, actor="quantri")
    assert twice.value.code == "undo_already_done"


def test_an_inspections_load_under_a_later_inspection_or_a_withdrawal_is_refused(communes: Connection,
                                                                               tmp_path: Path) -> None:
    _facilities(communes, tmp_path)
    first = _inspections(communes, tmp_path / "i1.csv", ["K1", "20/11/2026", "An", "Hỏng"])
    second = _inspections(communes, tmp_path / "i2.csv", ["K1", "18/11/2026", "Bình", "Xuống cấp"])
    statuses = _all(communes, STATUSES)
    with pytest.raises(LoadRefusedError) as later:
        undo_load(communes, first, actor="quantri")
    assert later.value.code == "undo_inspections_later" and later.value.values["count"] == 1
    assert "kiểm tra" in later.value.render("vi") and _all(communes, STATUSES) == statuses
    undo_load(communes, second, actor="quantri")
    undo_load(communes, first, actor="quantri")  # in order: now allowed
    third = _inspections(communes, tmp_path / "i3.csv", ["K3", "21/11/2026", "An", "Hỏng"])
    communes.execute(text("UPDATE inspection SET withdrawn_at = now(), withdrawn_by = 'kiemtra' WHERE batch_id = :b"),
                     {"b": third})  # as a correction would
    with pytest.raises(LoadRefusedError) as withdrawn:
        undo_load(communes, third, actor="quantri")
    assert withdrawn.value.code == "undo_inspections_withdrawn"


def test_an_inspections_load_that_completed_a_plan_assignment_reopens_it(communes: Connection,
                                                                         tmp_path: Path) -> None:
    _facilities(communes, tmp_path)
    plan = communes.execute(text(
        "INSERT INTO inspection_plan (province_code, period, period_start, period_end, every_days, created_by) "
        "VALUES ('11', '2026-Q4', '2026-10-01', '2026-12-31', 90, 'quantri') RETURNING id")).scalar_one()
    communes.execute(text("INSERT INTO inspection_assignment (plan_id, facility_id, commune_code, unassigned_reason, "
                          "due_date) SELECT :p, id, commune_code, 'thử', '2026-12-31' FROM facility "
                          "WHERE external_id = 'K2'"), {"p": plan})
    batch = _inspections(communes, tmp_path / "i.csv", ["K2", "21/11/2026", "An", "Hỏng"])
    status = "SELECT status FROM inspection_assignment WHERE plan_id = :p"
    assert communes.execute(text(status), {"p": plan}).scalar_one() == "done"
    undo_load(communes, batch, actor="quantri")
    assert communes.execute(text(status), {"p": plan}).scalar_one() == "open"


def test_the_cli_undoes_a_villages_load_and_an_inspections_load(cli_db: str, tmp_path: Path,  # noqa: F811
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    def batch_of(printed: str) -> int:
        return int(printed.split("load number: ", 1)[1].split()[0])

    villages = write_csv(tmp_path / "thon.csv", VILLAGE_HEADER, [["CLI-T1", "Bản Cli", 103.051, 21.451, 10]])
    assert main(["load", "villages", str(villages), "--no-refresh"]) == 0
    batch = batch_of(capsys.readouterr().out)
    assert main(["load", "undo", str(batch), "--no-refresh"]) == 0
    assert f"load {batch} undone: 1 villages removed, 0 restored" in capsys.readouterr().out
    survey = write_csv(tmp_path / "f.csv", VN_HEADERS, [vn_row(1, "CLI-K1")])
    assert main(["load", "facilities", str(survey), "--no-refresh"]) == 0
    capsys.readouterr()
    found = write_csv(tmp_path / "i.csv", INSPECTION_HEADER, [["CLI-K1", "21/11/2026", "An", "Hỏng"]])
    assert main(["load", "inspections", str(found), "--no-refresh"]) == 0
    batch = batch_of(capsys.readouterr().out)
    assert main(["load", "undo", str(batch), "--no-refresh"]) == 0
    assert f"load {batch} undone: 1 inspections withdrawn" in capsys.readouterr().out
    assert main(["load", "undo", str(batch)]) == 1
    assert "already undone" in capsys.readouterr().err
    from sqlalchemy import create_engine

    engine = create_engine(cli_db)  # inspections are append-only: this test's own go with the triggers set aside
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("DELETE FROM inspection WHERE batch_id = :b"), {"b": batch})
    engine.dispose()
