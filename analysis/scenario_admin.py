"""Saved scenarios kept in order by their users (issue 21): rename, duplicate and delete one, and the totals a
budget officer reads (by commune and action type, cost per person reached).

Rules: anyone who may read a scenario (its province in their scope: the caller checks) may duplicate it; the copy
is theirs. Only its owner may rename or delete a scenario, or an administrator (``may_change_others``). Names are
unique per owner. Every write goes through the audited ``scenario`` table (the caller sets the actor).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection

from sql import queries
from sql.errors import Conflict, InputRefused, NotAllowed, NotFound

NAME_MAX = 120


class ScenarioNameRefused(InputRefused):
    """A scenario name that is empty or too long."""


class ScenarioMissing(NotFound):
    """No saved scenario has this id."""


class ScenarioNotYours(NotAllowed):
    """Renaming or deleting another user's scenario."""


class ScenarioNameTaken(Conflict):
    """The owner already has a scenario of this name."""


@dataclass(frozen=True)
class ScenarioRow:
    """The parts of a saved scenario the rules read."""

    id: int
    name: str
    owner: str
    province_code: str | None


def clean_name(name: str | None) -> str:
    """The name as stored: NFC, trimmed, inner runs of spaces as one; refused when empty or too long."""
    cleaned = " ".join(unicodedata.normalize("NFC", name or "").split())
    if not cleaned:
        raise ScenarioNameRefused("Đặt tên cho phương án (a scenario needs a name).")
    if len(cleaned) > NAME_MAX:
        raise ScenarioNameRefused(f"Tên phương án dài quá {NAME_MAX} ký tự (a name has at most {NAME_MAX} "
                                  "characters).")
    return cleaned


def scenario_row(conn: Connection, scenario_id: int) -> ScenarioRow:
    row = conn.execute(queries.load("scenario_by_id"), {"id": int(scenario_id)}).first()
    if row is None:
        raise ScenarioMissing(f"Không có phương án số {scenario_id} (no scenario {scenario_id}).")
    return ScenarioRow(int(row.id), str(row.name), str(row.owner), row.province_code)


def _check_owner(row: ScenarioRow, actor: str, may_change_others: bool) -> None:
    if row.owner != actor and not may_change_others:
        raise ScenarioNotYours(f"Phương án «{row.name}» là của {row.owner}: chỉ người tạo mới được đổi tên hoặc "
                               f"xoá (only its owner may rename or delete it).")


def _check_free(conn: Connection, owner: str, name: str, scenario_id: int | None) -> None:
    taken = conn.execute(queries.load("scenario_name_taken"),
                         {"owner": owner, "name": name, "id": scenario_id}).scalar_one()
    if taken:
        raise ScenarioNameTaken(f"Đã có phương án tên «{name}» của {owner} (that name is already used).")


def rename_scenario(conn: Connection, scenario_id: int, name: str | None, *, actor: str,
                    may_change_others: bool = False) -> ScenarioRow:
    """Give scenario ``scenario_id`` the name ``name``; its owner's other scenarios keep theirs."""
    row = scenario_row(conn, scenario_id)
    _check_owner(row, actor, may_change_others)
    new_name = clean_name(name)
    _check_free(conn, row.owner, new_name, row.id)
    conn.execute(queries.load("rename_scenario"), {"id": row.id, "name": new_name})
    return ScenarioRow(row.id, new_name, row.owner, row.province_code)


def duplicate_scenario(conn: Connection, scenario_id: int, name: str | None, *, actor: str) -> ScenarioRow:
    """A copy of scenario ``scenario_id`` with all its actions, owned by ``actor``, named ``name`` (default:
    "<name> (bản sao)", numbered when that is taken)."""
    row = scenario_row(conn, scenario_id)
    new_name = clean_name(name) if (name or "").strip() else _free_copy_name(conn, actor, row.name)
    _check_free(conn, actor, new_name, None)
    new_id = int(conn.execute(queries.load("duplicate_scenario"),
                              {"id": row.id, "name": new_name, "owner": actor}).scalar_one())
    conn.execute(queries.load("copy_scenario_actions"), {"source": row.id, "target": new_id})
    conn.execute(queries.load("copy_scenario_budget"), {"source": row.id, "target": new_id})
    return ScenarioRow(new_id, new_name, actor, row.province_code)


def _free_copy_name(conn: Connection, owner: str, name: str) -> str:
    for n in range(1, 100):
        candidate = f"{name} (bản sao)" if n == 1 else f"{name} (bản sao {n})"
        candidate = candidate[-NAME_MAX:]
        taken = conn.execute(queries.load("scenario_name_taken"),
                             {"owner": owner, "name": candidate, "id": None}).scalar_one()
        if not taken:
            return candidate
    raise ScenarioNameTaken("Quá nhiều bản sao (too many copies): đặt tên khác (give another name).")


def delete_scenario(conn: Connection, scenario_id: int, *, actor: str, may_change_others: bool = False) -> ScenarioRow:
    """Delete scenario ``scenario_id`` and its actions (the audit log keeps what was deleted)."""
    row = scenario_row(conn, scenario_id)
    _check_owner(row, actor, may_change_others)
    conn.execute(queries.load("delete_scenario_by_id"), {"id": row.id})
    return row


def cost_per_person(cost_vnd: float, people: float) -> float | None:
    """Cost (đồng) per person newly reached; None when nobody is reached (never a division by zero)."""
    if not people or not math.isfinite(float(people)) or float(people) <= 0:
        return None
    return float(cost_vnd) / float(people)


def totals_by_commune_and_action(actions: pd.DataFrame) -> pd.DataFrame:
    """One row per (commune, action type): number of actions, cost, people and villages newly reached and the cost
    per person reached; the most expensive first. ``actions`` has PLAN_COLUMNS (analysis.planning)."""
    columns = ["commune_code", "commune_name", "action", "actions", "cost_vnd", "added_population",
               "added_villages", "cost_per_person"]
    if actions.empty:
        return pd.DataFrame(columns=columns)
    frame = actions.assign(commune_name=actions["commune_name"].fillna(actions["commune_code"]))
    grouped = (frame.groupby(["commune_code", "commune_name", "action"], dropna=False)
               .agg(actions=("action", "size"), cost_vnd=("cost_vnd", "sum"),
                    added_population=("added_population", "sum"), added_villages=("added_villages", "sum"))
               .reset_index())
    grouped["cost_per_person"] = pd.Series([cost_per_person(c, p) for c, p in  # None stays None (no NaN)
                                            zip(grouped["cost_vnd"], grouped["added_population"], strict=True)],
                                           index=grouped.index, dtype=object)
    return grouped.sort_values(["cost_vnd", "commune_code"], ascending=[False, True], ignore_index=True)[columns]


def totals_by_action(actions: pd.DataFrame) -> pd.DataFrame:
    """One row per action type: number, cost, people reached, cost per person reached."""
    if actions.empty:
        return pd.DataFrame(columns=["action", "actions", "cost_vnd", "added_population", "cost_per_person"])
    grouped = (actions.groupby("action").agg(actions=("action", "size"), cost_vnd=("cost_vnd", "sum"),
                                             added_population=("added_population", "sum")).reset_index())
    grouped["cost_per_person"] = pd.Series([cost_per_person(c, p) for c, p in  # None stays None (no NaN)
                                            zip(grouped["cost_vnd"], grouped["added_population"], strict=True)],
                                           index=grouped.index, dtype=object)
    return grouped.sort_values("cost_vnd", ascending=False, ignore_index=True)
