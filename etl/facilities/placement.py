"""Placement in communes: the commune and village each point lies in, a typed commune checked, a swap decided."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection

from etl.facilities.rows import _isnone, _Rows, _Text
from etl.names import fold_place_name, fold_text
from etl.validate import (
    ColumnMap,
    RowIssue,
)
from sql import queries
from sql.bulk import EWKB_POINT_HEX, ewkb_points_hex


@dataclass(frozen=True)
class _Written:
    """What a survey writes of each row: its checked values, its commune and village. The arrays are filled as
    rows are checked and placed: a row's values are there by the time its COPY chunk is formatted."""

    rows: _Rows
    communes: np.ndarray[Any, Any]  # object: the commune code of each row (filled as rows are placed)
    villages: np.ndarray[Any, Any] | None  # object: the village id of each row (None: none named or found)

    def fields(self) -> dict[str, Sequence[Any] | np.ndarray[Any, Any] | pa.Array]:
        """The facility columns of every row, as arrays; a column empty in every row is left out (it stays
        NULL), as formatting and sending it is most of what a column costs."""
        values = self.rows.values
        fields: dict[str, Sequence[Any] | np.ndarray[Any, Any] | pa.Array] = {
            "type": values["type"], "status": values["status"], "commune_code": self.communes,
        }
        for name in ("external_id", "name", "technology", "installed_year", "n_horns", "watts", "radius_m",
                     "note"):
            if name not in self.rows.blank:
                fields[name] = values[name].cells if isinstance(values[name], _Text) else values[name]
        if self.villages is not None:
            fields["village_id"] = self.villages
        if self.rows.attributes is not None:
            fields["attributes"] = self.rows.attributes
        return fields


@dataclass(frozen=True)
class _Villages:
    """The villages the survey's rows name (their typed thôn/bản, folded) among the communes near its points."""

    stored: pd.DataFrame | None  # commune_code, name_folded, id; None: no row names a stored village
    folded: np.ndarray[Any, Any]  # object: each row's typed village name, folded (None where none)

    @classmethod
    def fetch(cls, conn: Connection, rows: _Rows, communes: _Communes) -> _Villages:
        typed = rows.values["village_typed"]
        if _isnone(typed).all():
            return cls(None, typed)
        folded = np.array(_per_distinct(typed, _fold_place), dtype=object)
        stored = conn.execute(queries.load("villages_named_in_communes"), {
            "codes": communes.codes[:-1].tolist(), "names": sorted(set(folded[~_isnone(folded)].tolist())),
        }).all()
        return cls(pd.DataFrame(stored, columns=["commune_code", "name_folded", "id"]) if stored else None, folded)

    def ids(self, codes: np.ndarray[Any, Any], indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The village id of rows ``indexes`` lying in communes ``codes`` (None where none is named or found)."""
        assert self.stored is not None
        wanted = pd.DataFrame({"commune_code": codes, "name_folded": self.folded[indexes]})
        ids = wanted.merge(self.stored, how="left")["id"]
        return np.array([None if pd.isna(v) else int(v) for v in ids.tolist()], dtype=object)


_fold_place = lru_cache(maxsize=65536)(fold_place_name)


@dataclass(frozen=True)
class _Communes:
    """The 2025 communes near a survey's points, in code order; the last entry (index ``len - 1``) is "none"."""

    codes: np.ndarray[Any, Any]  # object: code, None last
    names: list[str | None]
    names_folded: list[str | None]
    provinces_folded: list[str | None]
    geoms: np.ndarray[Any, Any]  # prepared shapely polygons (no entry for "none")
    bounds: np.ndarray[Any, Any]  # xmin, ymin, xmax, ymax of each

    @property
    def none(self) -> int:
        return len(self.codes) - 1


def _communes_near(conn: Connection, rows: _Rows, placeable: np.ndarray[Any, Any]) -> _Communes:
    """The communes whose box meets the box of the ``placeable`` rows' points (a swap candidate's point taken
    swapped), fetched once as WKB and prepared for point in polygon in GEOS (shapely): ~1 µs a point, where the
    same join in PostGIS over ST_Subdivide'd communes took ~25 µs a point and 0.6 s to cut the communes
    (bench/etl.py).

    ``placeable`` may hold rows a check refuses (the box is made before the rows are checked): a commune holding
    a kept point meets the kept points' box, so each kept point finds the same commune among more."""
    import shapely

    swap = rows.swap & placeable
    xs, ys = rows.as_placed()

    def box(mask: np.ndarray[Any, Any]) -> list[float | None]:
        if not mask.any():
            return [None] * 4
        return [float(xs[mask].min()), float(ys[mask].min()), float(xs[mask].max()), float(ys[mask].max())]

    near = conn.execute(
        queries.load("communes_near_points"),
        dict(zip(("xmin", "ymin", "xmax", "ymax"), box(placeable & ~swap), strict=True))
        | dict(zip(("swap_xmin", "swap_ymin", "swap_xmax", "swap_ymax"), box(swap), strict=True)),
    ).all()
    geoms = shapely.from_wkb([bytes(c.wkb) for c in near])
    shapely.prepare(geoms)
    return _Communes(
        codes=np.array([str(c.code) for c in near] + [None], dtype=object),
        names=[c.name for c in near] + [None],
        names_folded=[c.name_folded for c in near] + [None],
        provinces_folded=[c.province_folded for c in near] + [None],
        geoms=geoms,
        bounds=shapely.bounds(geoms).reshape(-1, 4),
    )


class _Placement:
    """Where the survey's rows lie and what the location rules decide, made for some rows at a time: the
    commune each row's point lies in (a swap candidate: its swapped point), whether it is kept, its village,
    its point as hex EWKB, and the location issues."""

    def __init__(self, rows: _Rows, communes: _Communes, columns: ColumnMap, villages: _Villages) -> None:
        count = len(rows)
        self._rows, self._communes, self._columns, self._villages = rows, communes, columns, villages
        self.found = np.full(count, communes.none)
        self.keep = np.zeros(count, dtype=bool)
        self.geom = np.zeros(count, dtype=EWKB_POINT_HEX)
        self.issues: list[RowIssue] = []
        self.written = _Written(rows, np.full(count, None, dtype=object),
                                np.full(count, None, dtype=object) if villages.stored is not None else None)

    def kept(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Place rows ``indexes`` and decide their location problems; return those kept, in the same order."""
        rows, communes = self._rows, self._communes
        self.found[indexes] = _point_in_polygons(communes, *rows.as_placed(indexes))
        kept = indexes[_decide_locations(rows, communes, self.found, self._columns, indexes, self.issues)]
        self.keep[kept] = True
        self.written.communes[kept] = communes.codes[self.found[kept]]
        if self.written.villages is not None:
            self.written.villages[kept] = self._villages.ids(self.written.communes[kept], kept)
        self.geom[kept] = ewkb_points_hex(rows.lon[kept], rows.lat[kept], 4326)  # after any swap
        return kept

    def in_insert_order(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Placed rows ``indexes`` by commune, then in ~500 m strips west to east: neighbouring rows go to the same
        pages of the GiST and commune indexes."""
        lon, lat = self._rows.lon[indexes], self._rows.lat[indexes]
        return indexes[np.lexsort((lon, np.floor(lat * 200), self.found[indexes]))]


def _point_in_polygons(communes: _Communes, xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The index of the first commune holding each point (boundary included, as ST_Intersects), ``communes.none``
    for none: a point on a shared border always gets the same (lowest) code."""
    import shapely

    found = np.full(len(xs), communes.none)
    order = np.argsort(xs, kind="stable")
    sorted_xs = xs[order]
    for i, geom in enumerate(communes.geoms):
        xmin, ymin, xmax, ymax = communes.bounds[i]
        lo = int(np.searchsorted(sorted_xs, xmin, side="left"))
        hi = int(np.searchsorted(sorted_xs, xmax, side="right"))
        near = order[lo:hi]
        near = near[(found[near] == communes.none) & (ys[near] >= ymin) & (ys[near] <= ymax)]
        if len(near):
            inside = near[shapely.intersects_xy(geom, xs[near], ys[near])]
            found[inside] = i
    return found


def _per_distinct(values: np.ndarray[Any, Any], function: Callable[[str], Any]) -> list[Any]:
    """``function`` of each value (None stays None), called once per distinct value."""
    codes, distinct = pd.factorize(values)  # None: code -1
    mapped = np.empty(len(distinct) + 1, dtype=object)  # the last (index -1): None
    mapped[: len(distinct)] = [function(v) for v in distinct.tolist()]
    result: list[Any] = mapped[codes].tolist()
    return result


def _decide_locations(
    rows: _Rows,
    communes: _Communes,
    found: np.ndarray[Any, Any],
    columns: ColumnMap,
    indexes: np.ndarray[Any, Any],
    issues: list[RowIssue],
) -> np.ndarray[Any, Any]:
    """For rows ``indexes``: reject those in no commune, fix swaps the row's own commune or province confirms
    (swapping ``rows``' lon/lat in place), warn on typed commune names that are not the commune's; return the
    mask (over ``indexes``) of rows kept. The issues go to ``issues``."""
    keep = np.ones(len(rows), dtype=bool)
    typed = rows.values["commune_typed"]
    swap = rows.swap[indexes]
    for k in indexes[swap].tolist():
        issue = _decide_swap(rows, communes, int(found[k]), k)
        keep[k] = issue.severity == "warning"
        issues.append(issue)
    for k in indexes[~swap & (found[indexes] == communes.none)].tolist():
        keep[k] = False
        issues.append(RowIssue(
            int(rows.n[k]), "", "",
            "point_in_no_commune", _point(rows, k),
        ))
    named = indexes[~swap & (found[indexes] != communes.none) & ~_isnone(typed[indexes])]
    if len(named):
        commune_field = columns.header("commune") if columns.has("commune") else ""
        names, distinct_names = pd.factorize(typed[named])
        pairs, pair_of_row = np.unique(names.astype(np.int64) * (communes.none + 1) + found[named],
                                       return_inverse=True)
        differs = np.array([
            not _same_place(distinct_names[pair // (communes.none + 1)], communes.names[pair % (communes.none + 1)],
                            communes.names_folded[pair % (communes.none + 1)])
            for pair in pairs.tolist()
        ], dtype=bool)
        for k in named[differs[pair_of_row]].tolist():
            c = int(found[k])
            issues.append(RowIssue(
                int(rows.n[k]), commune_field, str(typed[k]),
                "commune_not_at_point", {"name": communes.names[c], "code": communes.codes[c]},
                "warning",
            ))
    return keep[indexes]


def _decide_swap(rows: _Rows, communes: _Communes, c: int, k: int) -> RowIssue:
    """The warning of a swap the row's own commune or province confirms (swapping its lon/lat), else the
    rejection of a point outside Viet Nam."""
    n, point = int(rows.n[k]), _point(rows, k)
    province = rows.values["province_typed"][k]
    confirmed = c != communes.none and (
        _same_place(rows.values["commune_typed"][k], communes.names[c], communes.names_folded[c])
        or (province is not None and _fold_place(province) == communes.provinces_folded[c])
    )
    if not confirmed:
        if c != communes.none:
            return RowIssue(n, "", "", "swap_elsewhere", point | {"name": communes.names[c]})
        return RowIssue(n, "", "", "swap_suspected", point)
    rows.lon[k], rows.lat[k] = rows.lat[k], rows.lon[k]
    return RowIssue(
        n, "", "",
        "swap_confirmed",
        point | {"lon2": float(rows.lon[k]), "lat2": float(rows.lat[k]), "name": communes.names[c]},
        "warning",
    )


def _point(rows: _Rows, k: int) -> dict[str, Any]:
    return {"lon": float(rows.lon[k]), "lat": float(rows.lat[k])}


@lru_cache(maxsize=65536)  # a survey names a few hundred communes; a bulk load asks again for every chunk
def _same_place(typed: str | None, name: str | None, name_folded: str | None) -> bool:
    """Whether a typed commune name names this commune, compared folded (STYLE.md §12).

    Both sides are tried with and without a leading unit word: 'Xã Xa Dung' is the commune 'Xa Dung', whose
    stored folded name lost its first word to the unit-word rule ('dung').
    """
    if not typed or not name:
        return False
    typed_forms = {fold_place_name(typed), fold_text(typed)}
    name_forms = {fold_place_name(name), fold_text(name), name_folded or ""}
    return bool(typed_forms & name_forms)
