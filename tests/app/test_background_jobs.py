"""Background jobs (a plan run, an admin's upload) keep each ask's result for the page that asked
(app/app.py OneJobPerAsk). Dash keyed a job by its callback and inputs: two asks with the same inputs shared one
result, the first page to poll took it — perhaps another user's, of a scope they may not read — and the other
page waited forever (a plan run in the suite never answered)."""

from __future__ import annotations

from pathlib import Path

import diskcache

from app.app import OneJobPerAsk


def _plan(province: str, budget: int, years: str) -> str:
    return f"{province} {budget} {years}"


def test_two_asks_with_the_same_inputs_each_read_their_own_result(tmp_path: Path) -> None:
    manager = OneJobPerAsk(diskcache.Cache(str(tmp_path)))
    same = ["11", 400_000_000, "2027-2028"]
    planner_a = manager.build_cache_key(_plan, same, [], None)
    planner_b = manager.build_cache_key(_plan, same, [], None)
    assert planner_a != planner_b
    manager.handle.set(planner_a, "the plan of planner A's scope")  # what each job writes under its key
    manager.handle.set(planner_b, "the plan of planner B's scope")
    assert manager.get_result(planner_a, None) == "the plan of planner A's scope"
    assert manager.get_result(planner_b, None) == "the plan of planner B's scope"  # not taken by A's page
    assert manager.get_result(planner_a, None) is manager.UNDEFINED  # read once by its page, then gone
