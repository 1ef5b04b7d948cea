"""The coverage map's answers for a scope assembled from per-province parts, each kept under its own province's
version (issue 22, session 31).

Under bench.mixed_load the national coverage version (migration 0255) moved ~1.3 times a second (every save
recomputed at once, all in one province), and the answers keyed on it — the NTM summary above the map, the
scope's classes JSON — were made again nearly every time they were asked: the country's 3,321 communes read
and judged under each NTM rule set for a change in one commune. Now a part holds, for one province and the
user's scope in it, each commune's class, share and verdict per rule set, and per rule set the communes passing
and judged; it is kept under the province's version (sql/queries/province_answer_versions.sql, migration 0310:
the hashes of what the parts show of its communes' stored coverage), the boundaries' version (which communes a
province holds) and the rows of no province (a TRUNCATE, a rule set or commune group changed: every part). A
recompute in one province makes that province's part again; the other 33 are kept.

A part is made from one REPEATABLE READ snapshot that reads the versions and the rows together, and is kept
under the versions that snapshot saw: a province's version is a sum of content hashes (it can come back to an
earlier value when the content does), so a part must never hold data newer than its key. ``Parts.tag`` names
the parts an answer was assembled from (an ETag: the same tag, the same answer).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from analysis.rules import RuleSet, judge_communes, rule_sets
from app.auth import User, scope_binds
from sql import queries
from sql.engine import get_engine
from sql.settings import get_settings

EVERYWHERE, BOUNDARIES = "", "*"  # the versions every part depends on (province_answer_versions.sql)
PARTS_KEPT = 2048  # parts this process keeps (a province's part of one scope: a few kB to ~100 kB), and of each
# province and scope only the part last made: a province recomputed all day leaves no trail of older parts
SETS_KEPT = 16  # rule sets by version kept (a new version leaves the older ones unused)
# The columns judge_communes reads, in the order of analysis.rules.read_rule_measures.
RULE_MEASURES = ["commune_code", "province_code", "station_operational", "villages_total", "villages_reached",
                 "commune_culture_houses", "ntm_6_3_share", "pop_covered_share", "commune_group"]
Versions = dict[str, int]


@dataclass(frozen=True)
class Part:
    """One province's communes of one scope: ``by_code`` code -> {class, share, pass_<set>...} and ``counts``
    set name -> (communes passing, communes judged)."""
    by_code: dict[str, dict[str, Any]]
    counts: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Parts:
    """What an answer for a scope is assembled from: the rule sets (in rule_sets' order), the parts in province
    order, and ``tag``, a digest of the keys they were kept under."""
    sets: list[RuleSet]
    parts: list[Part]
    tag: str


_parts: OrderedDict[Hashable, Part] = OrderedDict()
_last: dict[Hashable, Hashable] = {}  # (database, province, scope) -> the key of its part last made
_sets: dict[Hashable, list[RuleSet]] = {}
_provinces: OrderedDict[Hashable, list[str]] = OrderedDict()
_lock = threading.Lock()     # the dictionaries above
_making = threading.Lock()   # one thread of the process makes missing parts; the others then find them


def versions(conn: Connection) -> Versions:
    """Province -> version, with EVERYWHERE and BOUNDARIES, as ``conn``'s snapshot sees them."""
    found = {str(p): int(v) for p, v in conn.execute(queries.load("province_answer_versions"))}
    return {EVERYWHERE: 0, **found}


def scope_parts(user: User, province: str | None = None) -> Parts:
    """The parts of ``user``'s scope (of ``province`` only, when given), each kept or made now."""
    with get_engine().connect() as conn:
        seen = versions(conn)
        conn.rollback()
    provinces = _scope_provinces(user, seen)
    if province is not None:
        provinces = [p for p in provinces if p == province]
    found = _kept(user, provinces, seen)
    if found is None:
        with _making:
            found = _kept(user, provinces, seen)  # made by another thread meanwhile
            if found is None:
                found = _make(user, provinces)
    return found


def sets_kept(conn: Connection) -> list[RuleSet]:
    """Every rule set (analysis.rules.rule_sets, in its order) as ``conn`` sees them, parsed once per version of
    the rows of no province (every write to rule_set moves it)."""
    key = (_database(), versions(conn)[EVERYWHERE])
    with _lock:
        sets = _sets.get(key)
    if sets is None:
        sets = list(rule_sets(conn).values())
        with _lock:
            if len(_sets) > SETS_KEPT:
                _sets.clear()
            _sets[key] = sets
    return sets


def current_tag(user: User) -> tuple[int, str]:
    """(the boundaries' version, the tag of ``user``'s scope's parts) as the versions committed now say (the
    parts themselves not made): the classes' URL changes when, and only when, a province of the scope changed."""
    with get_engine().connect() as conn:
        seen = versions(conn)
        conn.rollback()
    return seen.get(BOUNDARIES, 0), _tag([_part_key(user, p, seen) for p in _scope_provinces(user, seen)], seen)


def _database() -> str:
    return get_settings().sqlalchemy_url  # parts of two databases (tests) are never mixed


def _part_key(user: User, province: str, seen: Versions) -> Hashable:
    """Whose communes of ``province`` (all of them, or the scope's communes) under which versions."""
    whole = user.whole_country or province in user.scope_codes
    return (_database(), province, () if whole else tuple(sorted(user.scope_codes)),
            seen.get(BOUNDARIES, 0), seen[EVERYWHERE], seen.get(province, 0))


def _kept(user: User, provinces: Sequence[str], seen: Versions) -> Parts | None:
    keys = [_part_key(user, p, seen) for p in provinces]
    with _lock:
        sets = _sets.get((_database(), seen[EVERYWHERE]))
        if sets is None or any(k not in _parts for k in keys):
            return None
        for k in keys:
            _parts.move_to_end(k)
        return Parts(sets, [_parts[k] for k in keys], _tag(keys, seen))


def _tag(keys: Sequence[Hashable], seen: Versions) -> str:
    return hashlib.sha256(repr((keys, seen[EVERYWHERE])).encode()).hexdigest()[:32]


def _make(user: User, provinces: Sequence[str]) -> Parts:
    """The parts missing made from one snapshot (REPEATABLE READ: the versions and the rows it reads agree),
    and kept under the versions that snapshot saw."""
    with get_engine().connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        seen = versions(conn)
        sets_key = (_database(), seen[EVERYWHERE])
        with _lock:
            sets = _sets.get(sets_key)
        if sets is None:
            sets = list(rule_sets(conn).values())
        keys = {p: _part_key(user, p, seen) for p in provinces}
        with _lock:
            missing = [p for p in provinces if keys[p] not in _parts]
        made = _read_parts(conn, user, missing, sets) if missing else {}
    with _lock:
        if len(_sets) > SETS_KEPT:
            _sets.clear()
        _sets[sets_key] = sets
        for p, part in made.items():
            _parts[keys[p]] = part
            older = _last.get(keys[p][:3])
            if older is not None and older != keys[p]:
                _parts.pop(older, None)
            _last[keys[p][:3]] = keys[p]
        parts = [made[p] if p in made else _parts[keys[p]] for p in provinces]
        while len(_parts) > PARTS_KEPT:
            _parts.popitem(last=False)
    return Parts(sets, parts, _tag([keys[p] for p in provinces], seen))


def _read_parts(conn: Connection, user: User, provinces: Sequence[str], sets: Sequence[RuleSet]) -> dict[str, Part]:
    """Each province's part, from one query per kind of scope (the whole province, or the scope's communes)."""
    made: dict[str, Part] = {}
    whole = [p for p in provinces if user.whole_country or p in user.scope_codes]
    scoped = [p for p in provinces if p not in whole]
    for binds, group in (({"whole_country": True, "scope": []}, whole), (scope_binds(user), scoped)):
        if not group:
            continue
        result = conn.execute(queries.load("province_answer_rows"), {**binds, "provinces": list(group)})
        by_province: dict[str, list[tuple[Any, ...]]] = {p: [] for p in group}
        for row in result:
            by_province[row.province_code].append(tuple(row))
        for p, found in by_province.items():
            made[p] = _part_of(found, sets)
    return made


def _part_of(found: list[tuple[Any, ...]], sets: Sequence[RuleSet]) -> Part:
    """One province's part: judged as analysis.rules.count_passing and the map's verdicts judge (each row on its
    own: a province's rows give the verdicts the whole scope would)."""
    measures = pd.DataFrame.from_records([r[:len(RULE_MEASURES)] for r in found], columns=RULE_MEASURES)
    passes = {s.name: judge_communes(measures, s)["passes"].tolist() for s in sets}
    by_code = {row[0]: {"class": row[-2], "share": row[-1],
                        **{f"pass_{name}": None if v[i] is None else bool(v[i]) for name, v in passes.items()}}
               for i, row in enumerate(found)}
    counts = {name: (int(sum(bool(x) for x in v)), len(found)) for name, v in passes.items()}
    return Part(by_code, counts)


def _scope_provinces(user: User, seen: Versions) -> list[str]:
    """The provinces whose communes the scope may hold: every province with stored coverage for the whole
    country, else those of the scope (kept per scope and boundaries' version)."""
    if user.whole_country:
        return sorted(p for p in seen if p not in (EVERYWHERE, BOUNDARIES))
    key = (_database(), tuple(sorted(user.scope_codes)), seen.get(BOUNDARIES, 0))
    with _lock:
        found = _provinces.get(key)
    if found is None:
        with get_engine().connect() as conn:
            found = sorted(str(r.code) for r in conn.execute(queries.load("scope_provinces"), scope_binds(user)))
            conn.rollback()
        with _lock:
            _provinces[key] = found
            while len(_provinces) > PARTS_KEPT:
                _provinces.popitem(last=False)
    return found


def classes(parts: Parts) -> dict[str, Any]:
    """{"fields": the property names, "by_code": code -> {class, share, pass_<set>...}} of the parts' scope."""
    by_code: dict[str, dict[str, Any]] = {}
    for part in parts.parts:
        by_code.update(part.by_code)
    return {"fields": ["class", "share", *(f"pass_{s.name}" for s in parts.sets)], "by_code": by_code}


def passing(parts: Parts) -> list[tuple[RuleSet, int, int]]:
    """(rule set, communes passing, communes judged) per set, oldest set first; [] when no commune is analysed."""
    judged = sum(next(iter(p.counts.values()), (0, 0))[1] for p in parts.parts)
    if not judged:
        return []
    ordered = sorted(parts.sets, key=lambda s: s.model.in_force_from)
    return [(s, sum(p.counts[s.name][0] for p in parts.parts), judged) for s in ordered]
