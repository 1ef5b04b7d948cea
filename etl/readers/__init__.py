"""Readers per file format: every survey file becomes a RawTable of text cells with spreadsheet row numbers.

CSV (`,` `;` tab; UTF-8 with or without BOM, UTF-16, cp1258 on request), XLSX (header found below title rows,
the data sheet picked), GeoJSON, GeoPackage and zipped Shapefiles (checked before unpacking). Any failure of a
parser becomes a LoadRefusedError with one sentence: no input may escape as another exception.

One room per format: ``delimited`` (CSV), ``xlsx``, ``geo`` (GIS files and zips); ``table`` holds RawTable and
the helpers they share, ``read`` picks the reader by the file's suffix (:func:`read_table`).
"""

from etl.readers.delimited import _csv_by_columns, _csv_by_rows, _without_blank_rows
from etl.readers.geo import check_archive
from etl.readers.read import read_table
from etl.readers.table import GEO_SUFFIXES, RawTable

__all__ = ["GEO_SUFFIXES", "RawTable", "_csv_by_columns", "_csv_by_rows", "_without_blank_rows", "check_archive",
           "read_table"]
