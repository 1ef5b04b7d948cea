"""Dash's JSON encoder for callback answers and pages, without plotly's pure-Python walk (issue 22, session 31).

Dash encodes every callback answer with plotly's ``to_json_plotly``: orjson is tried on the answer as it is, which
fails at the first component, and then ``clean_to_json_compatible`` walks the whole tree in Python before orjson
encodes the copy it made — a third of the commune panel's CPU under bench.mixed_load (~1,500 calls for one panel).
Here orjson encodes the tree itself, asking ``to_plotly_json`` of each component as it meets it: the same bytes,
since plotly's path ends in the same orjson call with the same options on the same plain values. Anything else
that is not a plain JSON value (numpy, pandas, Decimal, dates and times, plotly figures) goes the way it went,
through plotly's encoder, so no value is written differently. Subclasses of dict, list, str and int (Dash's
answer is a defaultdict) are what plotly's walk leaves them: orjson writes them as the plain type either way.
"""

from __future__ import annotations

from typing import Any

import dash._callback
import dash._utils
import dash._validate
import dash.dash
import orjson
from dash.development.base_component import Component
from plotly.io._json import _safe, _swap_orjson, to_json_plotly

# plotly's options; datetimes (pandas' Timestamp is one) go to ``_component``, hence the way plotly writes them.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _component(value: Any) -> Any:
    if isinstance(value, Component):
        return value.to_plotly_json()
    raise TypeError(type(value).__name__)


def to_json(value: Any) -> str:
    """``dash._utils.to_json``'s answer for ``value``, encoded by orjson alone when every value is plain."""
    try:
        return _safe(orjson.dumps(value, default=_component, option=_OPTIONS).decode("utf8"), _swap_orjson)
    except TypeError:
        return str(to_json_plotly(value))


def install() -> None:
    """Every module of Dash that imported ``to_json`` by name encodes with this one."""
    for module in (dash._utils, dash._callback, dash._validate, dash.dash):
        module.to_json = to_json  # type: ignore[attr-defined]
