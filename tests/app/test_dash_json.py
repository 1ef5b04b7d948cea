"""Issue 22, session 31: Dash's answers encoded by orjson without plotly's Python walk (app/dash_json.py) — the
same bytes as plotly's encoder for every kind of value, and the walk skipped for plain answers."""

from __future__ import annotations

import datetime
import decimal
import enum
import math
from collections import defaultdict
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import pytest
from dash import html
from plotly.io._json import to_json_plotly

from app import dash_json


class _Colour(enum.Enum):
    RED = "red"


def _panel() -> Any:
    return html.Div([html.H5("Mường Nhé </script>", id="x", className="mb-1"), dbc.Badge("Phục vụ", color="warning"),
                     html.Td(html.Div("a"), **{"data-label": "Loại"}), None, "\u2028 & <b>", 3, 2.5, True,
                     dbc.Table([html.Tbody([html.Tr([html.Td(str(i)), html.Td(None)]) for i in range(3)])],
                               size="sm", striped=True)])


VALUES: list[Any] = [
    defaultdict(dict, {"map-panel": {"children": _panel()}, "map-main": {"viewport": {"bounds": [[1, 2], [3, 4]]}}}),
    {"a": (1, 2), "b": (), "c": [], "d": math.nan, "e": None, 1: "non-str key"},
    {"decimal": decimal.Decimal("1.25"), "np": np.array([1.5, 2.5]), "f32": np.float32(0.1), "i64": np.int64(7)},
    {"date": datetime.date(2026, 12, 5), "dt": datetime.datetime(2026, 12, 5, 1, 2, 3, 456789),
     "ts": pd.Timestamp("2026-12-05 01:02:03.123456789"), "nat": pd.NaT, "series": pd.Series([1, 2])},
    {"enum": _Colour.RED, "text": "</script><!-- \u2029"},
    _panel(),
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_same_bytes_as_plotlys_encoder(value: Any) -> None:
    assert dash_json.to_json(value) == to_json_plotly(value)


def test_a_plain_answer_never_walks_through_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    def walked(*_: Any, **__: Any) -> Any:
        raise AssertionError("plotly's Python walk")

    monkeypatch.setattr(dash_json, "to_json_plotly", walked)
    assert '"namespace":"dash_html_components"' in dash_json.to_json(VALUES[0])


def test_installed_where_dash_encodes_answers() -> None:
    dash_json.install()
    assert dash._callback.to_json is dash_json.to_json  # type: ignore[attr-defined]
    assert dash.dash.to_json is dash_json.to_json  # type: ignore[attr-defined]
