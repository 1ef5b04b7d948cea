"""The one rounding rule for every percentage phusong shows (issue 21: panel, table, reasons, PDF, exports).

A share is shown ROUNDED DOWN (toward zero, for a change in points too) to the digits asked (0.7996 -> 79.9 %,
79 % with no decimals), never up: a
percentage on screen never reaches a threshold the figure did not reach, so "79,9 %" and the 8.3 verdict
"below 80 %" always agree (analysis/criteria.py judges on the floored whole percent). A tiny epsilon keeps
binary noise (0.29 * 100 = 28.999...) from losing a digit. Lives in sql/ so every layer may import it.
"""

from __future__ import annotations

import math
from typing import Any

EPSILON = 1e-9


def percent(share: Any, digits: int = 1) -> float | None:
    """A share (0..1) as a percentage rounded down to ``digits`` decimals; None for a missing or non-finite one."""
    if share is None:
        return None
    value = float(share)
    if not math.isfinite(value):
        return None
    scale = 10 ** digits
    scaled = abs(value) * 100 * scale
    return math.copysign(math.floor(scaled + EPSILON) / scale, value) if scaled >= EPSILON else 0.0


def percent_text(share: Any, digits: int = 1, *, decimal: str = ",", missing: str = "–") -> str:
    """'79,9 %' (Vietnamese decimal comma by default, '.' for English) under the same rule."""
    value = percent(share, digits)
    if value is None:
        return missing
    return f"{value:.{digits}f}".replace(".", decimal) + " %"
