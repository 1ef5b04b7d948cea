"""Issue 23: the inspection plan the app's tests share on the demo database (committed, made once)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, text

from analysis.inspection_plans import InspectionPlanExists, create_plan, find_plan

PROVINCE, PERIOD = "11", "2026-Q4"
OVERDUE_ON = date(2026, 10, 15)  # one of the demo inspector's tasks is made overdue (before any test's today)


def demo_plan(url: str) -> int:
    """The id of province 11's plan for 2026-Q4, made when missing: the demo inspector (kiemtra) holds its
    communes 03160 and 03162, and the first of their open tasks is overdue."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            try:
                plan_id = create_plan(conn, PROVINCE, PERIOD, every_days=90, created_by="pytest").plan_id
            except InspectionPlanExists:
                return int(find_plan(conn, PROVINCE, PERIOD)["id"])
            conn.execute(text("UPDATE inspection_assignment SET inspector = 'kiemtra', unassigned_reason = NULL "
                              "WHERE plan_id = :p AND commune_code IN ('03160', '03162')"), {"p": plan_id})
            conn.execute(text(
                "UPDATE inspection_assignment SET due_date = :d WHERE id = (SELECT min(id) FROM "
                "inspection_assignment WHERE plan_id = :p AND inspector = 'kiemtra' AND status = 'open')"),
                {"p": plan_id, "d": OVERDUE_ON})
            return plan_id
    finally:
        engine.dispose()
