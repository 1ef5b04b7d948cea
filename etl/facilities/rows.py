"""A survey's rows as columns (numpy arrays), and the small column helpers every step uses."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.models import FacilityRow

# --- reading rows -------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """A survey's rows, column by column: element i is one row (those a check refused too; see
    :class:`etl.facilities.columns._Survey` for which rows passed).

    Made from whole columns (numpy arrays; object arrays hold the cells' Python values), without a Python
    object per row; :class:`FacilityRow` is built only for the rows the upload page looks at
    (``result.accepted``, see :class:`_AcceptedRows`) and for a row whose vocabulary codes it must check.
    """

    n: np.ndarray[Any, Any]  # row numbers (int)
    lon: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    swap: np.ndarray[Any, Any]  # lon/lat outside Viet Nam but inside it when swapped
    values: dict[str, Any]  # FacilityRow field -> object array of its values (ids and names: _Text)
    attributes: np.ndarray[Any, Any] | None  # object: the cells of unmapped columns as JSON text; None: no such column
    source_crs: str
    blank: frozenset[str] = frozenset()  # fields no row has a value of (left out of the writes: they stay NULL)

    def __len__(self) -> int:
        return len(self.n)

    def as_placed(self, which: Any = slice(None)) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The points of rows ``which`` as they are placed: a swap candidate (in Viet Nam only with lon and lat
        swapped) taken swapped."""
        swap, lon, lat = self.swap[which], self.lon[which], self.lat[which]
        return np.where(swap, lat, lon), np.where(swap, lon, lat)

    def typed(self, i: int) -> dict[str, Any]:
        """Row ``i`` as the fields of a :class:`FacilityRow`."""
        out = {name: column[i] for name, column in self.values.items()}
        out.update(
            row=int(self.n[i]),
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            swap_candidate=bool(self.swap[i]),
            source_crs=self.source_crs,
            attributes=json.loads(self.attributes[i]) if self.attributes is not None else {},
        )
        return out


class _AcceptedRows(Sequence[FacilityRow]):
    """``result.accepted`` of a facility load: the typed rows, each made the first time it is asked for.

    A load of 200,000 rows only counts them; the upload page's preview reads a few.
    """

    def __init__(self, rows: _Rows, indexes: np.ndarray[Any, Any]) -> None:
        self._rows = rows
        self._indexes = indexes.tolist()
        self._made: dict[int, FacilityRow] = {}

    def __len__(self) -> int:
        return len(self._indexes)

    @overload
    def __getitem__(self, index: int) -> FacilityRow: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[FacilityRow]: ...

    def __getitem__(self, index: int | slice) -> FacilityRow | Sequence[FacilityRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = self._indexes[index]
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = FacilityRow.model_validate(self._rows.typed(i))
        return made


def _isnone(values: np.ndarray[Any, Any] | _Text) -> np.ndarray[Any, Any]:
    if isinstance(values, _Text):
        return values.isnone()
    return np.asarray(pd.isna(values), dtype=bool)


class _Text:
    """A text column of a survey's rows kept in arrow (null where empty): picked from like a numpy array (an
    index, an index array, a mask), without a Python string per row until one is asked for.

    The ids and names of a 200,000-row survey are 200,000 distinct strings each: made into Python objects and
    back into arrow for COPY they cost ~0.2 s of CPU per load (bench/etl.py, 04/12/2026)."""

    __slots__ = ("cells",)

    def __init__(self, cells: pa.Array) -> None:
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    @overload
    def __getitem__(self, index: int | np.integer[Any]) -> str | None: ...

    @overload
    def __getitem__(self, index: np.ndarray[Any, Any]) -> _Text: ...

    def __getitem__(self, index: int | np.integer[Any] | np.ndarray[Any, Any]) -> str | None | _Text:
        if isinstance(index, int | np.integer):
            value: str | None = self.cells[int(index)].as_py()
            return value
        if index.dtype == bool:
            return _Text(self.cells.filter(pa.array(index)))
        return _Text(self.cells.take(pa.array(index, type=pa.int64())))

    def isnone(self) -> np.ndarray[Any, Any]:
        return np.asarray(self.cells.is_null().to_numpy(zero_copy_only=False), dtype=bool)

    def tolist(self) -> list[str | None]:
        values: list[str | None] = self.cells.to_pylist()
        return values


def _or_none(cells: pa.Array, repeats: bool) -> np.ndarray[Any, Any] | _Text:
    """The cells, None (null) where empty. A column whose values ``repeats`` (place names, notes) is an object
    array made from its distinct values (one Python string per value, not one per row); any other (ids, names)
    stays in arrow (:class:`_Text`)."""
    if repeats:
        encoded = cells.dictionary_encode()
        distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
        distinct[distinct == ""] = None
        return distinct[encoded.indices.to_numpy(zero_copy_only=False)]
    return _Text(pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells))


def _empty(cells: pa.Array) -> np.ndarray[Any, Any]:
    """Which cells are empty, as a bool array."""
    return np.asarray(pc.equal(cells, "").to_numpy(zero_copy_only=False), dtype=bool)


_Columns = Callable[[str], pa.Array]  # field name -> the stripped cell of each row ("" where none)
