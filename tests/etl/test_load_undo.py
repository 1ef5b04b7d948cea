"""Issue 21, "Hoàn tác lần tải này": undoing a facility load against the real database (etl/load_undo.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.load_undo import undo_load
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_THANH_NUA, VN_HEADERS, vn_row, write_csv
from tests.etl.test_cli import cli_db  # noqa: F401  (the committed-database fixture of the CLI tests)

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 26)
ROW = ("SELECT external_id, name, type, technology, commune_code, status, installed_year, n_horns, watts, "
       "radius_m, note, attributes, batch_id, round(ST_X(geom)::numeric, 6), round(ST_Y(geom)::numeric, 6) "
       "FROM facility ORDER BY external_id")


def _rows(conn: Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.execute(text(ROW))]


def _load(conn: Connection, path: Path) -> int:
    result = load_facilities(conn, path, today=TODAY)
    assert result.batch_id is not None, result.summary("en")
    return result.batch_id


def _survey(tmp_path: Path, name: str, *rows: list[object]) -> Path:
    return write_csv(tmp_path / name, VN_HEADERS, list(rows))


def test_undoing_a_load_of_new_facilities_leaves_the_table_as_before(communes: Connection, tmp_path: Path) -> None:
    first = _load(communes, _survey(tmp_path, "a.csv", vn_row(1, "U1", commune="Mường Phăng")))
    before = _rows(communes)
    path = _survey(tmp_path, "b.csv", vn_row(1, "U2", commune="Mường Phăng"),
                   vn_row(2, "U3", lonlat=IN_THANH_NUA, commune="Thanh Nưa"))
    second = _load(communes, path)
    assert len(_rows(communes)) == len(before) + 2
    done = undo_load(communes, second, actor="quantri")
    assert (done.deleted, done.restored, done.communes) == (2, 0, ["03199", "03202"])
    assert _rows(communes) == before and first != second
    marked = communes.execute(text("SELECT undone_by FROM load_batch WHERE id = :b"), {"b": second}).scalar_one()
    assert marked == "quantri"
    audited = communes.execute(text("SELECT \"user\", after FROM audit_log WHERE action = 'undo_load' "
                                    "AND entity_id = :b"), {"b": str(second)}).one()
    assert audited[0] == "quantri" and audited[1]["deleted"] == 2
    deletes = communes.execute(text("SELECT count(*) FROM audit_log WHERE action = 'delete' AND entity = 'facility'"
                                    )).scalar_one()
    assert deletes == 2  # each removed facility audited with its row
    again = load_facilities(communes, path, today=TODAY)  # the undone file is not "already loaded"
    assert again.already_loaded is None and again.loaded == 2


def test_undoing_a_load_that_updated_facilities_restores_them_exactly(communes: Connection, tmp_path: Path) -> None:
    _load(communes, _survey(tmp_path, "a.csv", vn_row(1, "R1", commune="Mường Phăng"),
                            vn_row(2, "R2", lonlat=IN_DIEN_BIEN_PHU, commune="Điện Biên Phủ")))
    before = _rows(communes)
    changed = vn_row(1, "R1", lonlat=IN_THANH_NUA, commune="Thanh Nưa", status="Hỏng")
    second = _load(communes, _survey(tmp_path, "b.csv", changed,
                                     vn_row(2, "R2", lonlat=IN_DIEN_BIEN_PHU, commune="Điện Biên Phủ"),
                                     vn_row(3, "R3", commune="Mường Phăng")))
    assert _rows(communes) != before
    done = undo_load(communes, second, actor="quantri")
    assert (done.deleted, done.restored) == (1, 1)
    assert set(done.communes) == {"03199", "03202"}  # R1 went back from Thanh Nưa to Mường Phăng, R3 left
    assert _rows(communes) == before


def test_a_load_a_later_load_changed_is_refused_until_that_one_is_undone(communes: Connection,
                                                                         tmp_path: Path) -> None:
    start = _rows(communes)
    first = _load(communes, _survey(tmp_path, "a.csv", vn_row(1, "L1", commune="Mường Phăng")))
    second = _load(communes, _survey(tmp_path, "b.csv", vn_row(1, "L1", commune="Mường Phăng", status="Hỏng")))
    with pytest.raises(LoadRefusedError) as refused:
        undo_load(communes, first, actor="quantri")
    assert refused.value.code == "undo_later_changes" and refused.value.values["later"] == [second]
    assert f"lần tải {first}" in refused.value.render("vi") and str(second) in refused.value.render("vi")
    assert len(_rows(communes)) == len(start) + 1  # the refusal changed nothing
    undo_load(communes, second, actor="quantri")
    undo_load(communes, first, actor="quantri")
    assert _rows(communes) == start
    with pytest.raises(LoadRefusedError) as twice:
        undo_load(communes, first, actor="quantri")
    assert twice.value.code == "undo_already_done"


def test_a_load_whose_facility_was_inspected_is_refused(communes: Connection, tmp_path: Path) -> None:
    batch = _load(communes, _survey(tmp_path, "a.csv", vn_row(1, "I1", commune="Mường Phăng")))
    communes.execute(text("INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, source) "
                          "SELECT id, 'kiemtra', now(), 'broken', 'app' FROM facility WHERE external_id = 'I1'"))
    count = len(_rows(communes))
    with pytest.raises(LoadRefusedError) as refused:
        undo_load(communes, batch, actor="quantri")
    assert refused.value.code == "undo_inspected"
    assert "kiểm tra" in refused.value.render("vi")
    assert len(_rows(communes)) == count


def test_unknown_loads_and_other_kinds_are_refused(communes: Connection) -> None:
    with pytest.raises(LoadRefusedError) as missing:
        undo_load(communes, 987654321, actor="quantri")
    assert missing.value.code == "undo_batch_missing"
    other = communes.execute(text("INSERT INTO load_batch (kind, file, sha256) "
                                  "VALUES ('population', 'dan_so.tif', 'x') RETURNING id")).scalar_one()
    with pytest.raises(LoadRefusedError) as kind:
        undo_load(communes, other, actor="quantri")
    assert kind.value.code == "undo_kind_unsupported"


def test_the_cli_undoes_a_load_and_refuses_it_twice(cli_db: str, tmp_path: Path,  # noqa: F811
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import create_engine

    from app.cli import main

    path = _survey(tmp_path, "cli.csv", vn_row(1, "C1", commune="Mường Phăng"))
    assert main(["load", "facilities", str(path), "--no-refresh"]) == 0
    printed = capsys.readouterr().out
    batch = int(printed.split("load number: ", 1)[1].split()[0])
    assert main(["load", "undo", str(batch), "--no-refresh"]) == 0
    assert f"load {batch} undone: 1 facilities removed" in capsys.readouterr().out
    engine = create_engine(cli_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facility WHERE batch_id = :b"), {"b": batch}).scalar_one() == 0
    engine.dispose()
    assert main(["load", "undo", str(batch)]) == 1  # already undone: one sentence, exit 1
    assert "already undone" in capsys.readouterr().err
