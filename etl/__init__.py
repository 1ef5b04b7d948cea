"""Loading real files into phusong: readers, validation, CRS handling, admin matching, bulk load.

Where a survey row goes, room by room (each module answers one question):

- ``readers/`` — what is in the file? One reader per format (``delimited`` CSV, ``xlsx``, ``geo`` for GeoJSON,
  GeoPackage, KML, zipped Shapefiles); every file becomes a ``RawTable`` of text cells with row numbers
  (``readers.read_table``). ``limits`` says how big an input may be before it is read.
- ``vocabulary`` and ``validate`` — which column is which field (``map_columns``), and the cell parsers (counts,
  amounts, years, coordinates, dates, statuses); ``coords`` reads coordinates and CRSs, ``names`` folds names.
- ``models`` — the typed rows a check produces (FacilityRow, VillageRow, InspectionRow).
- ``facilities/`` — facility surveys: ``load`` (entry points), ``columns`` (cells to typed values), ``positions``
  (coordinates into WGS 84), ``placement`` (the commune and village of each point), ``writes`` (staging, upsert).
- ``villages``, ``inspections``, ``feedback_import`` (citizen reports), ``commune_groups``, ``population``
  (rasters), ``boundaries`` and ``census`` (administrative units and their population) — the other loaders;
  ``feedback`` is the citizen feedback register, ``crosscheck`` checks the crosswalk against a PyPI package.
- ``messages`` — why a row was rejected or warned: a rejected row is a ``validate.RowIssue`` with a reason
  *code* and its values; the catalogue holds an English and a Vietnamese template per code, and the CLI, the
  reject report CSV and the app render from it.
- ``lineage`` — every load's batch, its rejected rows and the reject report; ``errors`` — what a loader raises.

SQL lives in ``sql/queries/<what_it_returns>.sql`` (loaded with ``sql.queries.load``), never inside etl/.
"""
