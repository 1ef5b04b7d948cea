"""Periodic report figures: periods, snapshots kept as of their date, and two quarters compared."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection

from analysis.reports import ReportError, build_report, parse_period, refresh_running_snapshots, take_snapshot
from tests.feedback_seed import seed_two_quarters, set_coverage


def test_periods_parse_and_step_back() -> None:
    q3 = parse_period("2026-Q3")
    assert (q3.start, q3.end, q3.label_vi, q3.review_vi) == (date(2026, 7, 1), date(2026, 10, 1), "Quý III/2026",
                                                            "Sơ kết")
    assert parse_period("2026-Q1").previous().key == "2025-Q4"
    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2026-12").end == date(2027, 1, 1)
    year = parse_period("2026")
    assert (year.label_vi, year.review_vi, year.previous().key) == ("Năm 2026", "Tổng kết", "2025")
    with pytest.raises(ReportError, match="is not a period"):
        parse_period("2026-Q5")


@pytest.mark.db
def test_two_quarters_compared_match_the_figures_counted_by_hand(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    report = build_report(db_conn, "91", "2026-Q3", "2026-Q2")
    now, before = report.current, report.previous
    assert before is not None
    # Classes: Q2 {underserved 91001, unserved 91002, served 91003}; Q3 {underserved 91001, 91003; served 91002}.
    assert before.by_class == {"unserved": 1, "underserved": 1, "served": 1}
    assert now.by_class == {"unserved": 0, "underserved": 2, "served": 1}
    assert report.class_change == {"unserved": -1, "underserved": 1, "served": 0}
    assert (now.ntm_8_3_passed, before.ntm_8_3_passed) == (1, 1)
    # People: Q2 2,000 + 0 + 5,000 = 7,000; Q3 2,600 + 4,500 + 3,000 = 10,100; newly reached 600 + 4,500.
    assert (before.pop_covered, now.pop_covered) == (7000, 10100)
    assert report.people_reached_change == 3100
    assert report.people_newly_reached == 5100
    # Clusters at Q3's snapshot: 3 FM operational (after the repair inspection) and 1 planned IP.
    assert now.clusters == {("operational", "fm_wireless"): 3, ("planned", "ip"): 1}
    assert before.clusters == {("operational", "fm_wireless"): 2, ("broken", "fm_wireless"): 1}
    assert (now.inspections, now.facilities_inspected) == (3, 2)
    assert (before.inspections, before.facilities_inspected) == (1, 1)
    fb = now.feedback
    assert (fb.received, fb.received_answered_on_time, fb.answered, fb.overdue_at_end) == (5, 2, 4, 1)
    assert fb.by_category == {"inaudible": 3, "loudspeaker_broken": 1, "content": 1}
    assert now.feedback_by_commune == {"91001": 1, "91002": 2, "91003": 2}
    assert (before.feedback.received, before.feedback.overdue_at_end) == (1, 1)
    changed = {r.now.code for r in report.rows if r.class_changed}
    assert changed == {"91002", "91003"}
    assert set(report.geometries) == {"91001", "91002", "91003"}


@pytest.mark.db
def test_a_snapshot_keeps_its_figures_after_later_analyses(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    first = build_report(db_conn, "91", "2026-Q3")
    set_coverage(db_conn, "91001", "served", pop_covered=5000, ntm_8_3=True)
    again = build_report(db_conn, "91", "2026-Q3")
    assert again.current.by_class == first.current.by_class and again.current.pop_covered == 10100
    with pytest.raises(ReportError, match="already has a snapshot .* give --replace"):
        take_snapshot(db_conn, "2026-Q3")
    assert take_snapshot(db_conn, "2026-Q3", replace=True).replaced
    assert build_report(db_conn, "91", "2026-Q3").current.pop_covered == 12500
    with pytest.raises(ReportError, match="2026-Q1 has no coverage snapshot"):
        build_report(db_conn, "91", "2026-Q3", "2026-Q1")


@pytest.mark.db
def test_analyse_refreshes_the_running_periods_and_leaves_ended_ones(db_conn: Connection) -> None:
    seed_two_quarters(db_conn)
    kept = refresh_running_snapshots(db_conn, today=date(2026, 11, 26))
    assert [(r.period, r.replaced) for r in kept] == [("2026-11", False), ("2026-Q4", False), ("2026", False)]
    set_coverage(db_conn, "91001", "served", pop_covered=5000, ntm_8_3=True)
    assert [r.replaced for r in refresh_running_snapshots(db_conn, today=date(2026, 11, 27))] == [True] * 3
    assert build_report(db_conn, "91", "2026-Q4").current.pop_covered == 12500
    assert build_report(db_conn, "91", "2026-Q3").current.pop_covered == 10100   # ended: untouched
