"""NTM criteria 8.3 / 8.1 / 6.3 and the served / underserved / unserved class, with reasons in vi and en."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from sql.percent import percent

DEFAULT_RULE_VERSION = "NTM 2021–2025, QĐ 318/QĐ-TTg"


@dataclass(frozen=True)
class CriteriaRule:
    """One versioned set of thresholds (DESIGN.md §5; DOMAIN.md §1). Stored with every result."""

    version: str = DEFAULT_RULE_VERSION
    # The NTM indicators (8.3 and the others) and their thresholds per commune group are data: analysis/rules.py.
    # Classes (issue 4): unserved under 50 % of people reached, underserved under 90 %.
    unserved_below_pop_share: float = 0.5
    underserved_below_pop_share: float = 0.9

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


RULES: dict[str, CriteriaRule] = {DEFAULT_RULE_VERSION: CriteriaRule()}


def rule_for(version: str | None) -> CriteriaRule:
    """Return the rule set named ``version`` (the default 2021–2025 set when None)."""
    if version is None:
        return RULES[DEFAULT_RULE_VERSION]
    if version not in RULES:
        raise KeyError(f"unknown criteria rule {version!r}; known: {', '.join(RULES)}")
    return RULES[version]


def share_with_cultural_house(
    villages_total: NDArray[np.int64], villages_with_house: NDArray[np.int64]
) -> NDArray[np.float64]:
    """6.3: share of villages with a working cultural house (NaN where no village is loaded)."""
    return np.divide(
        villages_with_house,
        villages_total,
        out=np.full(len(villages_total), np.nan),
        where=villages_total > 0,
    )


def classify_communes(
    station_working: NDArray[np.bool_],
    pop_covered_share: NDArray[np.float64],
    villages_total: NDArray[np.int64],
    villages_reached: NDArray[np.int64],
    *,
    rule: CriteriaRule,
) -> tuple[list[str], list[str], list[str]]:
    """Return (class, reason in Vietnamese, reason in English) per commune.

    unserved: no working station, or under 50 % of people reached; underserved: under 90 %, or a village not
    reached; served otherwise. The reason lists every condition that decided it, then the share of people.
    """
    classes, reasons_vi, reasons_en = [], [], []
    for station, share, total, reached in zip(
        station_working, pop_covered_share, villages_total, villages_reached, strict=True
    ):
        vi: list[str] = []
        en: list[str] = []
        if not station:
            vi.append("Không có đài truyền thanh hoạt động")
            en.append("No working radio station")
        missing = int(total) - int(reached)
        if missing > 0:
            vi.append(f"{missing}/{int(total)} thôn chưa có loa")
            en.append(f"{missing}/{int(total)} villages not reached")
        pct = _percent(float(share))
        vi.append(f"{pct} % dân số được phủ sóng")
        en.append(f"{pct} % of people reached")
        if not station or share < rule.unserved_below_pop_share:
            klass = "unserved"
        elif share < rule.underserved_below_pop_share or missing > 0:
            klass = "underserved"
        else:
            klass = "served"
        classes.append(klass)
        reasons_vi.append("; ".join(vi))
        reasons_en.append("; ".join(en))
    return classes, reasons_vi, reasons_en


def _percent(share: float) -> int:
    # Rounded down, so that a commune just under a threshold never reads as reaching it (89.6 % -> "89 %").
    return int(percent(share, 0) or 0)  # the one rounding rule (sql/percent.py): toward zero
