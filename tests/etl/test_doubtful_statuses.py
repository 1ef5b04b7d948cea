"""Issue 15: a doubtful status ('ok?', 'tốt (?)', 'hỏng?', 'không rõ') never passes as a fact."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from analysis.refresh import bring_current
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from sql import queries
from tests.etl.conftest import IN_MUONG_PHANG, VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db

DOUBTFUL = ("ok?", "tốt (?)", "hỏng?", "không rõ")


def _survey(tmp_path: Path) -> Path:
    rows = [vn_row(1, "HT-01034", status="Hoạt động", kind="Đài truyền thanh cấp xã")]
    rows += [vn_row(i + 2, f"HT-0103{i + 5}", status=s) for i, s in enumerate(DOUBTFUL)]
    return write_csv(tmp_path / "khao_sat.csv", VN_HEADERS, rows)


def test_a_doubtful_status_is_rejected_naming_the_value_and_the_accepted_ones(
    communes: Connection, tmp_path: Path
) -> None:
    result = load_facilities(communes, _survey(tmp_path), report_dir=tmp_path)
    assert result.loaded == 1 and result.rejected == len(DOUBTFUL)
    messages = result.messages("reject")
    for value in DOUBTFUL:
        message = next(m for m in messages if f"'{value}'" in m)
        assert "field 'Tình trạng'" in message and "unknown_status" in message
        assert "Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến" in message
    stored = communes.execute(text("SELECT external_id, status FROM facility ORDER BY 1")).all()
    assert [tuple(r) for r in stored] == [("HT-01034", "operational")]  # 'ok?' did not load as operational


def test_doubtful_as_unknown_loads_them_as_not_working_and_first_in_the_inspection_queue(
    communes: Connection, tmp_path: Path
) -> None:
    result = load_facilities(communes, _survey(tmp_path), report_dir=tmp_path, doubtful_as="unknown")
    assert result.loaded == 1 + len(DOUBTFUL) and result.rejected == 0
    assert sum("loaded as Chưa rõ (unknown)" in m for m in result.messages("warning")) == len(DOUBTFUL)
    statuses = dict(communes.execute(text("SELECT external_id, status FROM facility")).all())
    assert statuses["HT-01034"] == "operational"
    assert {statuses[f"HT-0103{i + 5}"] for i in range(len(DOUBTFUL))} == {"unknown"}

    bring_current(communes)
    row = communes.execute(text(
        "SELECT clusters_working, clusters_broken FROM coverage_commune WHERE commune_code = '03199'")).one()
    assert (row.clusters_working, row.clusters_broken) == (0, len(DOUBTFUL))  # unknown counts as not working

    listed = communes.execute(
        queries.load("inspection_queue"),
        {"whole_country": True, "scope": [], "commune": None, "lon": IN_MUONG_PHANG[0], "lat": IN_MUONG_PHANG[1],
         "limit": 10, "offset": 0, "folded": None, "types": None, "statuses": None}).mappings().all()
    assert [r["status"] for r in listed][: len(DOUBTFUL)] == ["unknown"] * len(DOUBTFUL)


def test_an_inspection_with_a_doubtful_status_is_rejected_or_recorded_as_unknown(
    communes: Connection, tmp_path: Path
) -> None:
    load_facilities(communes, _survey(tmp_path), report_dir=tmp_path)
    inspections = write_csv(tmp_path / "kiem_tra.csv", ["Mã thiết chế", "Tình trạng", "Ngày kiểm tra"],
                            [["HT-01034", "ok?", "20/11/2026"]])
    refused = load_inspections(communes, inspections, report_dir=tmp_path)
    assert refused.loaded == 0 and "unknown_status" in refused.messages("reject")[0]
    kept = load_inspections(communes, inspections, report_dir=tmp_path, doubtful_as="unknown")
    assert kept.loaded == 1
    status = communes.execute(text("SELECT status FROM facility WHERE external_id = 'HT-01034'")).scalar()
    assert status == "unknown"
