"""Issue 23: the pure parts of inspection plans: balancing communes among inspectors, counting progress."""

from __future__ import annotations

from datetime import date

import pytest

from analysis.inspection_plans import InspectionPlanError, assign_communes, parse_every, summarise_progress


def test_each_commune_goes_to_an_inspector_who_holds_it_and_the_load_is_balanced() -> None:
    due = {"A": 10, "B": 8, "C": 7, "D": 3, "E": 2, "X": 4}
    holders = {"A": ["an", "binh"], "B": ["an", "binh"], "C": ["an", "binh"], "D": ["an", "binh"],
               "E": ["binh"]}  # nobody holds X
    chosen = assign_communes(due, holders)
    assert chosen["X"] is None
    assert chosen["E"] == "binh"  # its only inspector
    assert all(chosen[c] in holders[c] for c in holders)
    loads = {name: sum(n for c, n in due.items() if chosen[c] == name) for name in ("an", "binh")}
    # balanced within one commune (a commune stays with one inspector): here 17 / 13, never 28 / 2
    assert sum(loads.values()) == 30 and abs(loads["an"] - loads["binh"]) <= max(due.values()), loads
    assert min(loads.values()) >= 10, loads


def test_progress_counts_done_due_and_overdue_per_commune_and_inspector() -> None:
    rows = [
        {"status": "done", "due_date": date(2027, 3, 31), "inspector": "an", "commune_code": "1", "commune_name": "A"},
        {"status": "open", "due_date": date(2027, 2, 1), "inspector": "an", "commune_code": "1", "commune_name": "A"},
        {"status": "open", "due_date": date(2027, 3, 31), "inspector": "binh", "commune_code": "2",
         "commune_name": "B"},
        {"status": "open", "due_date": date(2027, 1, 5), "inspector": None, "commune_code": "3", "commune_name": "C"},
        {"status": "removed", "due_date": date(2027, 1, 5), "inspector": "an", "commune_code": "1",
         "commune_name": "A"},
    ]
    today = date(2027, 2, 15)
    (total,) = summarise_progress(rows, today, by="plan")
    assert (total.due, total.done, total.overdue, total.open, total.unassigned) == (4, 1, 2, 1, 1)
    by_commune = {p.key: p for p in summarise_progress(rows, today, by="commune")}
    assert (by_commune["1"].due, by_commune["1"].done, by_commune["1"].overdue) == (2, 1, 1)
    by_inspector = {p.key: p for p in summarise_progress(rows, today, by="inspector")}
    assert by_inspector[""].unassigned == 1 and by_inspector["binh"].open == 1
    assert by_inspector["an"].done_share == 0.5
    names = [p.name for p in summarise_progress(
        [{**rows[0], "commune_code": str(i), "commune_name": n} for i, n in enumerate(["Xa Dung", "Điện Biên Phủ",
                                                                                      "Chà Tở"])],
        today, by="commune")]
    assert names == ["Chà Tở", "Điện Biên Phủ", "Xa Dung"]  # dictionary order, Đ among the D's


def test_intervals() -> None:
    assert parse_every("90d") == 90 and parse_every("13w") == 91 and parse_every(30) == 30
    for bad in ("0d", "soon", "-5d"):
        with pytest.raises(InspectionPlanError):
            parse_every(bad)
