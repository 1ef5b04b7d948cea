"""The one rounding rule for percentages (issue 21): rounded toward zero, so the panel, the reasons and the PDF
never show 80,0 % for a commune the 8.3 verdict finds below 80 %."""

from __future__ import annotations

import math

from analysis.criteria import _percent as verdict_percent
from analysis.outputs.periodic import vn_percent
from app.i18n import fmt_share
from sql.percent import percent, percent_text


def test_a_share_just_below_a_threshold_never_shows_the_threshold() -> None:
    assert percent(0.79996) == 79.9  # round() would show 80.0
    assert percent_text(0.79996) == "79,9 %"
    assert fmt_share(0.79996, "vi") == "79,9 %" and fmt_share(0.79996, "en") == "79.9 %"
    assert vn_percent(0.79996) == "79,9 %"
    assert percent(0.79996, 0) == verdict_percent(0.79996) == 79


def test_binary_noise_missing_values_and_changes() -> None:
    assert percent(0.29) == 29.0 and percent(0.853) == 85.3 and percent(1.0) == 100.0
    assert percent(None) is None and percent(math.nan) is None and percent_text(None) == "–"
    assert percent(-0.2075) == -20.7  # a change in points: toward zero too
