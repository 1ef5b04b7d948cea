"""GIS files into a RawTable: GeoJSON, GeoPackage, KML, zipped Shapefiles or ODK Central zips (checked first)."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa

from etl.errors import LoadRefusedError
from etl.limits import check_zip_directory
from etl.readers.delimited import _read_csv
from etl.readers.table import RawTable, _cell_text, _first_line
from etl.vocabulary import Vocabulary

# Arrow's default allocator (mimalloc) maps fresh pages for a first big file: a cold 200,000-row read and check
# took 0.34-0.63 s with it, 0.37 s steadily with the C library's allocator, which reuses what the process has.
pa.set_memory_pool(pa.system_memory_pool())


# --- GIS files ----------------------------------------------------------------------------------------------


def check_archive(path: Path) -> list[str]:
    """Check a zip before unpacking (etl.limits: entries, names, inflated size, ratio); return its names."""
    return [entry.filename for entry in check_zip_directory(path)]


def _read_zip(path: Path, encoding: str | None, vocabulary: Vocabulary | None) -> RawTable:
    """A zipped Shapefile, or an ODK Central "all data" download (its form's CSV beside the repeats' CSVs and the
    media): checked before anything is unpacked."""
    names = check_archive(path)
    shapefiles = [n for n in names if n.lower().endswith(".shp")]
    tables = sorted((n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")),
                    key=lambda n: (len(PurePosixPath(n).stem), n))
    if not shapefiles and not tables:
        raise LoadRefusedError(code="archive_no_table", path=path)
    with tempfile.TemporaryDirectory(prefix="phusong-zip-") as tmp:
        with zipfile.ZipFile(path) as archive:
            if shapefiles:
                archive.extractall(tmp)
                return _read_ogr(Path(tmp) / shapefiles[0], path, "shapefile")
            # ODK Central names the form's table <form>.csv and each repeat <form>-<repeat>.csv: the shortest.
            main = tables[0]
            unpacked = archive.extract(main, tmp)
            try:
                table = _read_csv(Path(unpacked), encoding, vocabulary)
            except LoadRefusedError as exc:  # named by the archive the user gave, not our temporary copy
                if exc.code is None:
                    raise LoadRefusedError(str(exc).replace(unpacked, f"{path} ({main})")) from exc
                raise LoadRefusedError(code=exc.code, path=f"{path} ({main})", cli_hint=exc.cli_hint,
                                       **exc.values) from exc  # type: ignore[arg-type]
    others = f"; not read: {', '.join(tables[1:])}" if len(tables) > 1 else ""
    table.file, table.notes = str(path), [*table.notes, f"{main} from the archive{others}"]
    return table


def _read_geo(path: Path, layer: str | None = None) -> RawTable:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        try:
            json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise LoadRefusedError(code="json_invalid", path=path, cli_hint=_first_line(exc)) from exc
    fmt = {".gpkg": "gpkg", ".shp": "shapefile", ".kml": "kml"}.get(suffix, "geojson")
    return _read_ogr(path, path, fmt, layer)


def _layer(shown: Path, layers: list[tuple[str, str]], asked: str | None) -> str | None:
    """The layer to read: the one asked for (--sheet), else of several the first of points (surveys are points;
    a GeoPackage often carries the communes beside them), else the first."""
    names = [name for name, _ in layers]
    if asked is not None:
        if asked not in names:
            raise LoadRefusedError(code="no_such_layer", path=shown, layer=asked, layers=names)
        return asked
    points = [name for name, kind in layers if "point" in kind.lower()]
    return (points or names)[0] if names else None


# How Google Earth draws a placemark, and the id it gives it: never a facility's data (its own code is in its
# ExtendedData, e.g. "ma", or its name).
_KML_STYLE_FIELDS = {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                     "drawOrder", "icon", "snippet"}


def _read_ogr(source: Path, shown: Path, fmt: str, layer: str | None = None) -> RawTable:
    import pyogrio

    try:
        layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
        chosen = _layer(shown, layers, layer)
        gdf = pyogrio.read_dataframe(source, layer=chosen)
    except LoadRefusedError:
        raise
    except Exception as exc:
        raise LoadRefusedError(code="gis_unreadable", path=shown, cli_hint=_first_line(exc)) from exc
    skipped = _KML_STYLE_FIELDS if fmt == "kml" else set()
    headers = [str(c) for c in gdf.columns if c != "geometry" and c not in skipped]
    cells = [_attribute_texts(gdf[header]) for header in headers] or [pa.array([""] * len(gdf), type=pa.string())]
    crs = gdf.crs.to_string() if gdf.crs is not None else None
    return RawTable(file=str(shown), format=fmt, headers=headers or ["geometry"],
                    lines=np.arange(1, len(gdf) + 1, dtype=np.int64), cells=cells,
                    geometries=list(gdf.geometry.values), crs=crs)


def _attribute_texts(values: Any) -> pa.Array:
    """A GIS attribute column as text (:func:`_cell_text`, "" where missing), each distinct value made once."""
    import pandas as pd

    codes, distinct = pd.factorize(values.astype(object).where(values.notna(), None))  # missing: code -1
    texts = np.array([_cell_text(value) for value in distinct] + [""], dtype=object)
    return pa.array(texts[codes], type=pa.string())
