"""Rule sets as data (issue 18): the schema names the line, sets in force by date, verdicts per group."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis.rules import (
    RULES_DIR,
    RulesFileError,
    compare_verdicts,
    judge_communes,
    parse_rule_set,
    rule_set_in_force,
    shipped_rule_sets,
)
from app.cli import main

SHIPPED_2026 = (RULES_DIR / "ntm_2026_2030.yaml").read_text(encoding="utf-8")


def _set_with(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth - 1]


def test_shipped_sets_are_valid_and_2026_is_provisional_without_invented_numbers() -> None:
    sets = shipped_rule_sets()
    assert set(sets) == {"ntm_2021_2025", "ntm_2026_2030"}
    old, new = sets["ntm_2021_2025"], sets["ntm_2026_2030"]
    assert not old.provisional and old.radio.number == "8.3"
    assert old.model.version == "NTM 2021–2025, QĐ 318/QĐ-TTg"  # what coverage_commune.rule_version stored
    assert all(i.provisional for i in new.model.indicators)
    # The annex rows were not found (DOMAIN.md §1.3): no indicator of 2026-2030 may carry a number.
    assert all(i.number is None for i in new.model.indicators)
    measures = {i.measure for i in new.model.indicators}
    assert measures == {"radio_villages_reached_share", "commune_culture_houses", "village_culture_place_share",
                        "people_reached_share"}
    assert len(old.sha256) == 64 and old.sha256 != new.sha256


def test_set_in_force_switches_on_15_february_2026() -> None:
    sets = shipped_rule_sets()
    assert rule_set_in_force(sets, date(2026, 2, 14)).name == "ntm_2021_2025"
    assert rule_set_in_force(sets, date(2026, 2, 15)).name == "ntm_2026_2030"
    assert rule_set_in_force(sets, date(2020, 1, 1)).name == "ntm_2021_2025"


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ("thresholds: {1: 1.0, 2: 1.0, 3: 1.0}\n    provisional: true\n    note: \"Giả định: như chỉ tiêu 8.3",
         "thresholds: {1: 1.0, 2: 1.0}\n    provisional: true\n    note: \"Giả định: như chỉ tiêu 8.3",
         "thresholds: {1: 1.0, 2: 1.0}", "needs a threshold for each of the groups 1, 2 and 3"),
        ("thresholds: {1: 1.0, 2: 1.0, 3: 1.0}", "thresholds: {1: 1.0, 2: 1.0, 3: 85}",
         "3: 85}", "is a share between 0 and 1"),
        ("    provisional: true\n    note: \"Giả định: như chỉ tiêu 6.1", "    provisional: maybe\n    note: "
         "\"Giả định: như chỉ tiêu 6.1", "provisional: maybe", "valid boolean"),
        ("in_force_from: 2026-02-15", "in_force_from: 15/02/2026", "in_force_from", "in_force_from"),
        ("    measure: commune_culture_houses", "    measure: culture_hall", "measure: culture_hall", "measure"),
        ("    wording: \"Xã có nhà văn hóa", "    colour: red\n    wording: \"Xã có nhà văn hóa", "colour: red",
         "Extra inputs are not permitted"),
    ],
)
def test_malformed_rules_file_is_refused_with_the_line_named(old: str, new: str, needle: str, expected: str) -> None:
    text = _set_with(SHIPPED_2026, old, new)
    with pytest.raises(RulesFileError) as caught:
        parse_rule_set(text, source="tinh.yaml")
    message = str(caught.value)
    assert message.startswith("tinh.yaml: 1 problem(s)")
    assert f"line {_line_of(text, needle)}" in message
    assert expected in message


def test_yaml_syntax_and_repeated_keys_are_refused_with_the_line() -> None:
    broken = _set_with(SHIPPED_2026, "short: \"QĐ 51\"", "short: [\"QĐ 51\"")
    with pytest.raises(RulesFileError, match=r"line \d+: not valid YAML"):
        parse_rule_set(broken, source="tinh.yaml")
    twice = _set_with(SHIPPED_2026, "    provisional: true\n", "    provisional: true\n    provisional: false\n")
    with pytest.raises(RulesFileError) as caught:
        parse_rule_set(twice, source="tinh.yaml")
    assert f"line {_line_of(twice, '    provisional: false')}: key 'provisional' appears twice" in str(caught.value)


def test_rules_check_command_names_the_line_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "tinh.yaml"
    typo = _set_with(SHIPPED_2026, "thresholds: {1: 1.0, 2: 1.0, 3: 1.0}", "thresholds: {1: 1.0, 2: x, 3: 1.0}")
    bad.write_text(typo, encoding="utf-8")
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"line {_line_of(bad.read_text(encoding='utf-8'), '2: x')}, field 'indicators.0.thresholds.2'" in err
    assert "Traceback" not in err
    good = tmp_path / "ok.yaml"
    good.write_text(SHIPPED_2026, encoding="utf-8")
    assert main(["rules", "check", str(good)]) == 0
    assert "is valid (4 indicators, provisional" in capsys.readouterr().out


def _province_2026() -> str:
    """A province's entered 2026-2030 set: group 1 must reach 90 % of people; radio 80 % of villages in group 3."""
    text = SHIPPED_2026.replace("provisional: true", "provisional: false")
    text = _set_with(text, "thresholds: {1: 1.0, 2: 1.0, 3: 1.0}", "thresholds: {1: 1.0, 2: 1.0, 3: 0.8}")
    return _set_with(text, "thresholds: {1: null, 2: null, 3: null}\n    provisional: false",
                     "thresholds: {1: 0.9, 2: null, 3: null}\n    provisional: false")


def _commune(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {"station_operational": True, "villages_total": 10, "villages_reached": 10,
                              "commune_culture_houses": 1, "ntm_6_3_share": 1.0, "pop_covered_share": 0.85,
                              "commune_group": None}
    return row | changes


def test_a_commune_passing_one_set_and_failing_the_other_shows_both_with_reasons() -> None:
    old = shipped_rule_sets()["ntm_2021_2025"]
    new = parse_rule_set(_province_2026(), source="tinh.yaml")
    vi, en = compare_verdicts(_commune(commune_group=1), [old, new])
    assert vi[0] == "đạt theo QĐ 318"  # QĐ 318 has no groups
    assert vi[1] == "chưa đạt theo QĐ 51 nhóm 1: dân số được phủ sóng: 85 %, cần 90 %"
    assert en[1] == "fails under QĐ 51 group 1: people reached: 85 %, needs 90 %"
    # The other way round: 8 of 10 villages fail QĐ 318 but pass the province's group-3 threshold.
    vi, _ = compare_verdicts(_commune(commune_group=3, villages_reached=8), [old, new])
    assert vi[0] == "chưa đạt theo QĐ 318: đài và loa đến thôn (8.3): 8/10 thôn có loa, cần 100 % thôn"
    assert vi[1] == "đạt theo QĐ 51 nhóm 3"
    # Without a loaded group the commune is judged as group 2 and says the group is not known.
    vi, _ = compare_verdicts(_commune(), [shipped_rule_sets()["ntm_2026_2030"]])
    assert vi[0] == "đạt theo QĐ 51 nhóm chưa xác định (tính như nhóm 2) (tạm tính)"


def test_verdicts_per_indicator_and_overall() -> None:
    new = parse_rule_set(_province_2026(), source="tinh.yaml")
    frame = pd.DataFrame([_commune(commune_group=1), _commune(commune_group=2),
                          _commune(commune_group=None, station_operational=False)])
    verdicts = judge_communes(frame, new)
    assert verdicts["verdict_people_reached"].tolist() == [False, None, None]
    assert verdicts["verdict_radio_loudspeakers"].tolist() == [True, True, False]
    assert verdicts["passes"].tolist() == [False, True, False]
