"""NTM rule sets as data: read and check a YAML rule set, find the set in force, judge communes under a set.

A rule set (analysis/rules/*.yaml shipped with phusong, or one a province adds with ``phusong rules add``) lists
the indicators phusong can assess, each with its legal source, Vietnamese wording, a threshold per commune group
(1, 2, 3; QĐ 51/2025/QĐ-TTg) and whether that threshold is provisional. The measures themselves are fixed here
(:data:`MEASURES`); a file only chooses thresholds. Verdicts are a pure function of a commune's stored measures
(coverage_commune columns), its group and a set, so any set can be judged without recomputing coverage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection

from sql import queries
from sql.bulk import set_actor
from sql.errors import InputRefused
from sql.percent import percent

RULES_DIR = Path(__file__).with_name("rules")
GROUPS = (1, 2, 3)
#: Without a loaded group a commune is judged as group 2 ("all others", QĐ 51/2025/QĐ-TTg) and says so.
DEFAULT_GROUP = 2
GROUP_UNKNOWN_VI = "nhóm chưa xác định"
GROUP_UNKNOWN_EN = "group not determined"

Measure = Literal[
    "radio_villages_reached_share",  # a working commune station AND share of villages with a working cluster
    "commune_culture_houses",  # working cultural houses / multi-purpose halls not tied to a village
    "village_culture_place_share",  # share of villages with a working cultural house
    "people_reached_share",  # share of people within a working cluster's audible radius
]
#: The coverage_commune column each measure reads, and whether its threshold is a share (0-1) or a count.
MEASURES: dict[str, tuple[str, str]] = {
    "radio_villages_reached_share": ("villages_reached", "share"),
    "commune_culture_houses": ("commune_culture_houses", "count"),
    "village_culture_place_share": ("ntm_6_3_share", "share"),
    "people_reached_share": ("pop_covered_share", "share"),
}
_LABELS = {
    "radio_villages_reached_share": ("đài và loa đến thôn", "radio and loudspeakers to villages"),
    "commune_culture_houses": ("nhà văn hóa / hội trường xã", "commune cultural house / hall"),
    "village_culture_place_share": ("nhà văn hóa thôn", "village cultural houses"),
    "people_reached_share": ("dân số được phủ sóng", "people reached"),
}
_EPS = 1e-12  # a share equal to its threshold passes (as the 2021–2025 8.3 always did)


class RulesFileError(InputRefused):
    """A rule set file breaks the schema; ``problems`` name the line of each (nothing was stored)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__(f"{source}: {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    measure: Measure
    number: str | None  # the indicator's number in the decision; null when it is not known
    source: str = Field(min_length=3)  # legal source, or what is known of it: never an invented citation
    wording: str = Field(min_length=3)  # Vietnamese, as in the decision
    thresholds: dict[int, float | None]  # per commune group; null: reported, not judged
    provisional: bool
    note: str = ""

    @field_validator("thresholds")
    @classmethod
    def _three_groups_in_range(cls, value: dict[int, float | None], info: ValidationInfo) -> dict[int, float | None]:
        if sorted(value) != list(GROUPS):
            raise ValueError(f"needs a threshold for each of the groups 1, 2 and 3 (got {sorted(value)})")
        kind = MEASURES[info.data["measure"]][1] if "measure" in info.data else "share"
        for group, t in value.items():
            if t is None:
                continue
            if kind == "share" and not 0.0 <= t <= 1.0:
                raise ValueError(f"threshold of group {group} is a share between 0 and 1 (1.0 = 100 %), not {t}")
            if kind == "count" and (t < 0 or t != int(t)):
                raise ValueError(f"threshold of group {group} is a whole number of facilities, not {t}")
        return value


class RuleSetModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=3)  # stored as coverage_commune.rule_version
    short: str = Field(min_length=2)  # how outputs name the set: "QĐ 318"
    title: str
    legal_basis: str
    in_force_from: date
    in_force_until: date | None
    by_group: bool  # whether the decision sets thresholds per commune group (QĐ 51/2025 does, QĐ 318 does not)
    note: str = ""
    indicators: list[Indicator] = Field(min_length=1)

    @field_validator("indicators")
    @classmethod
    def _one_radio_and_unique(cls, value: list[Indicator]) -> list[Indicator]:
        ids = [i.id for i in value]
        if len(set(ids)) != len(ids):
            raise ValueError(f"indicator ids must be unique: {ids}")
        if [i.measure for i in value].count("radio_villages_reached_share") != 1:
            raise ValueError("needs exactly one indicator with measure radio_villages_reached_share")
        return value

    @model_validator(mode="after")
    def _same_thresholds_without_groups(self) -> RuleSetModel:
        for i in self.indicators:
            if not self.by_group and len(set(i.thresholds.values())) > 1:
                raise ValueError(f"indicator {i.id}: by_group is false, so the three groups' thresholds must be equal")
        return self


@dataclass(frozen=True)
class RuleSet:
    """A checked rule set and the sha256 of its text (stored with every result judged under it)."""

    model: RuleSetModel
    sha256: str
    origin: str  # "shipped" or "added by <user> <when>"

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def provisional(self) -> bool:
        return any(i.provisional for i in self.model.indicators)

    @property
    def radio(self) -> Indicator:
        return next(i for i in self.model.indicators if i.measure == "radio_villages_reached_share")


# ------------------------------------------------------------------------------------------------ reading
@lru_cache(maxsize=32)
def parse_rule_set(text: str, *, source: str, origin: str = "shipped") -> RuleSet:
    """Check a rule set's YAML text; raise :class:`RulesFileError` naming the line of every problem.

    Cached by text: PyYAML takes ~0.1 s per set, and the write path judges one commune in well under 0.2 s.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise RulesFileError(source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if root is None:
        raise RulesFileError(source, ["line 1: the file is empty"])
    duplicates = _duplicate_keys(root)
    if duplicates:
        raise RulesFileError(source, duplicates)
    data = yaml.SafeLoader(text).get_single_data()
    try:
        model = RuleSetModel.model_validate(data)
    except ValidationError as exc:
        raise RulesFileError(source, [_problem(root, e) for e in exc.errors()]) from None
    return RuleSet(model, hashlib.sha256(text.encode("utf-8")).hexdigest(), origin)


def read_rule_set_file(path: Path) -> RuleSet:
    """Read and check a rule set file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RulesFileError(str(path), [f"not UTF-8 text (byte {exc.start})"]) from None
    return parse_rule_set(text, source=str(path), origin=f"file {path}")


def _duplicate_keys(node: yaml.Node) -> list[str]:
    # PyYAML keeps the last of two equal keys silently: a threshold typed twice must not pass unnoticed.
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(f"line {key.start_mark.line + 1}: key '{key.value}' appears twice")
            seen.add(key.value)
            problems += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems += _duplicate_keys(item)
    return problems


def _problem(root: yaml.Node, error: Mapping[str, Any]) -> str:
    """One pydantic error as "line N, field 'a.0.b': 'value' message" (the deepest node the path reaches)."""
    node, path = root, [str(p) for p in error["loc"] if p not in ("function-after",)]
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    field = ".".join(path)
    value = error.get("input")
    shown = f" {value!r}" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"line {node.start_mark.line + 1}, field '{field}':{shown} {message}"


def _child(node: yaml.Node, part: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if str(k.value) == part), None)
    if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        child: yaml.Node = node.value[int(part)]
        return child
    return None


def shipped_rule_sets() -> dict[str, RuleSet]:
    """The rule sets shipped with phusong (analysis/rules/*.yaml), by name."""
    sets = [parse_rule_set(p.read_text(encoding="utf-8"), source=str(p)) for p in sorted(RULES_DIR.glob("*.yaml"))]
    return {s.name: s for s in sets}


def rule_sets(conn: Connection | None) -> dict[str, RuleSet]:
    """Every rule set by name: the shipped ones, replaced or joined by those added to the database."""
    sets = shipped_rule_sets()
    if conn is not None:
        for row in conn.execute(queries.load("rule_sets_added")):
            origin = f"added by {row.added_by} on {row.added_at:%Y-%m-%d}"
            sets[row.name] = parse_rule_set(row.content, source=f"rule set {row.name!r}", origin=origin)
    return sets


def add_rule_set(conn: Connection, path: Path, *, actor: str) -> RuleSet:
    """Check ``path`` and store it (replacing a stored set of the same name; audited). Return the set."""
    rule_set = read_rule_set_file(path)
    set_actor(conn, actor)
    conn.execute(
        queries.load("upserted_rule_set"),
        {"name": rule_set.name, "content": path.read_text(encoding="utf-8"), "sha256": rule_set.sha256},
    )
    return rule_set


def find_rule_set(conn: Connection | None, name: str) -> RuleSet:
    """The set called ``name`` (a stored or shipped name, or the path of a rule set file)."""
    sets = rule_sets(conn)
    if name in sets:
        return sets[name]
    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        return read_rule_set_file(path)
    raise RulesFileError(name, [f"no rule set called {name!r}; known: {', '.join(sorted(sets))}"])


def rule_set_in_force(sets: Mapping[str, RuleSet], on: date) -> RuleSet:
    """The set in force on ``on`` (the latest to come into force by then; the earliest before any)."""
    ordered = sorted(sets.values(), key=lambda s: (s.model.in_force_from, s.name))
    started = [s for s in ordered if s.model.in_force_from <= on]
    return started[-1] if started else ordered[0]


def rule_set_for_data(conn: Connection | None, data_dates: pd.Series) -> RuleSet:
    """The set in force on the data date: the latest date of these facilities' data (today when none)."""
    # ISO dates (strings or dates) order as text; to_datetime would guess the format of every value (slow).
    latest = data_dates.dropna().astype(str).max() if data_dates.notna().any() else None
    on = date.fromisoformat(str(latest)[:10]) if latest else date.today()
    return rule_set_in_force(rule_sets(conn), on)


# ------------------------------------------------------------------------------------------------ judging
def commune_groups(groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(group judged by, whether the group is known) from a nullable group column (unknown: group 2)."""
    known = groups.notna().to_numpy()
    group = np.asarray(groups.fillna(DEFAULT_GROUP).to_numpy(), dtype=np.int64)
    return group, known


def judge_indicator(frame: pd.DataFrame, indicator: Indicator, group: np.ndarray) -> np.ndarray:
    """Verdict of each commune (rows of coverage_commune columns) on one indicator: True, False or None.

    None where the set judges nothing for the commune's group (threshold null).
    """
    thresholds = np.array([np.nan if indicator.thresholds[g] is None else indicator.thresholds[g] for g in group],
                          dtype=float)
    if indicator.measure == "radio_villages_reached_share":
        total = frame["villages_total"].to_numpy(np.int64)
        reached = frame["villages_reached"].to_numpy(np.int64)
        share = np.divide(reached, total, out=np.zeros(len(total)), where=total > 0)
        # A commune with no village loaded cannot show its loudspeakers reach the villages: it does not pass.
        passed = frame["station_operational"].to_numpy(bool) & (total > 0) & (share >= thresholds - _EPS)
    else:
        value = pd.to_numeric(frame[MEASURES[indicator.measure][0]], errors="coerce").to_numpy(float)
        passed = np.nan_to_num(value, nan=-1.0) >= thresholds - _EPS
    verdicts = np.asarray(passed, dtype=object)
    verdicts[np.isnan(thresholds)] = None
    return verdicts


def judge_communes(frame: pd.DataFrame, rule_set: RuleSet) -> pd.DataFrame:
    """Verdict per indicator (columns ``verdict_<id>``) and overall (``passes``: every judged indicator passes).

    ``frame`` has coverage_commune's measure columns and ``commune_group`` (null: not known, judged as 2).
    """
    group, _ = commune_groups(frame["commune_group"])
    out = pd.DataFrame(index=frame.index)
    for indicator in rule_set.model.indicators:
        out[f"verdict_{indicator.id}"] = judge_indicator(frame, indicator, group)
    judged = out.to_numpy(dtype=object)
    out["passes"] = [all(v is not False for v in row) for row in judged] if len(out) else []
    return out


def failed_reasons(row: Mapping[str, Any], rule_set: RuleSet) -> tuple[list[str], list[str]]:
    """Why one commune (a coverage_commune row with commune_group) fails under a set, in vi and en."""
    group = DEFAULT_GROUP if row.get("commune_group") is None or pd.isna(row["commune_group"]) else int(
        row["commune_group"])
    frame = pd.DataFrame([dict(row)])
    vi: list[str] = []
    en: list[str] = []
    for indicator in rule_set.model.indicators:
        if judge_indicator(frame, indicator, np.array([group]))[0] is not False:
            continue
        t = float(indicator.thresholds[group] or 0.0)
        what_vi, what_en = _shortfall(row, indicator.measure, t)
        label_vi, label_en = _LABELS[indicator.measure]
        number = f" ({indicator.number})" if indicator.number else ""
        vi.append(f"{label_vi}{number}: {what_vi}")
        en.append(f"{label_en}{number}: {what_en}")
    return vi, en


def _shortfall(row: Mapping[str, Any], measure: str, t: float) -> tuple[str, str]:
    if measure == "radio_villages_reached_share":
        total, reached = int(row["villages_total"]), int(row["villages_reached"])
        need_vi, need_en = f"cần {_pct(t)} % thôn", f"needs {_pct(t)} % of villages"
        if not bool(row["station_operational"]):
            return f"không có đài truyền thanh hoạt động; {need_vi}", f"no working radio station; {need_en}"
        return f"{reached}/{total} thôn có loa, {need_vi}", f"{reached}/{total} villages reached, {need_en}"
    if measure == "commune_culture_houses":
        n = int(row.get("commune_culture_houses") or 0)
        return f"{n} đang hoạt động, cần {int(t)}", f"{n} working, needs {int(t)}"
    value = row.get(MEASURES[measure][0])
    shown = "chưa có số liệu" if value is None or pd.isna(value) else f"{_pct(float(value))} %"
    shown_en = "no figure" if value is None or pd.isna(value) else f"{_pct(float(value))} %"
    return f"{shown}, cần {_pct(t)} %", f"{shown_en}, needs {_pct(t)} %"


def _pct(share: float) -> int:
    # Rounded down, as the class reasons do: 99.6 % never reads as 100 %.
    return int(percent(share, 0) or 0)  # the one rounding rule (sql/percent.py): toward zero


def group_label(group: Any) -> tuple[str, str]:
    """How outputs name a commune's group: "nhóm 1", or "nhóm chưa xác định" (judged as group 2)."""
    if group is None or pd.isna(group):
        return (f"{GROUP_UNKNOWN_VI} (tính như nhóm {DEFAULT_GROUP})",
                f"{GROUP_UNKNOWN_EN} (judged as group {DEFAULT_GROUP})")
    return f"nhóm {int(group)}", f"group {int(group)}"


def compare_verdicts(row: Mapping[str, Any], sets: Sequence[RuleSet]) -> tuple[list[str], list[str]]:
    """One line per set: "đạt theo QĐ 318" / "chưa đạt theo QĐ 51 nhóm 1 (tạm tính): <why>", in vi and en."""
    vi: list[str] = []
    en: list[str] = []
    for rule_set in sets:
        group_vi, group_en = group_label(row.get("commune_group")) if rule_set.model.by_group else ("", "")
        why_vi, why_en = failed_reasons(row, rule_set)
        tag_vi = " (tạm tính)" if rule_set.provisional else ""
        tag_en = " (provisional)" if rule_set.provisional else ""
        short = " ".join(filter(None, (rule_set.model.short, group_vi)))
        short_en = " ".join(filter(None, (rule_set.model.short, group_en)))
        if why_vi:
            vi.append(f"chưa đạt theo {short}{tag_vi}: {'; '.join(why_vi)}")
            en.append(f"fails under {short_en}{tag_en}: {'; '.join(why_en)}")
        else:
            vi.append(f"đạt theo {short}{tag_vi}")
            en.append(f"passes under {short_en}{tag_en}")
    return vi, en


def read_rule_measures(conn: Connection, binds: Mapping[str, Any]) -> pd.DataFrame:
    """The stored measures of the analysed communes (query coverage_rule_measures: scope, province, code)."""
    result = conn.execute(queries.load("coverage_rule_measures"), dict(binds))
    return measures_frame(result.fetchall(), list(result.keys()))


def measures_frame(found: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows of query coverage_rule_measures as the frame read_rule_measures gives."""
    frame = pd.DataFrame.from_records([tuple(r) for r in found], columns=list(columns))  # tuples: no dict per row
    return frame.reindex(columns=[
        "commune_code", "province_code", "station_operational", "villages_total", "villages_reached",
        "commune_culture_houses", "ntm_6_3_share", "pop_covered_share", "commune_group"])


def count_passing(frame: pd.DataFrame, sets: Sequence[RuleSet]) -> pd.DataFrame:
    """Province summary: per set, communes judged, passing overall and per indicator (coverage_commune rows)."""
    rows = []
    for rule_set in sets:
        verdicts = judge_communes(frame, rule_set)
        row: dict[str, Any] = {"rules_name": rule_set.name, "short": rule_set.model.short,
                               "provisional": rule_set.provisional, "communes": len(frame),
                               "passing": int(verdicts["passes"].sum()) if len(frame) else 0}
        for indicator in rule_set.model.indicators:
            row[f"passing_{indicator.id}"] = int((verdicts[f"verdict_{indicator.id}"] == True).sum())  # noqa: E712
        rows.append(row)
    return pd.DataFrame(rows)
