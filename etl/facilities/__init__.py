"""Facility surveys (any format) into the facility table: checked rows, rejects, idempotent upsert.

One room per question a newcomer asks of a survey load:
- ``load``: the entry points (:func:`load_facilities`, :func:`preview_facilities`) and one batch of writes;
- ``rows``: a survey's rows held as columns, and the column helpers;
- ``columns``: cells to typed values column by column (types, statuses, counts, years), rows kept or rejected;
- ``positions``: coordinates (lon/lat, X/Y, geopoints, drawn points), their CRS, WGS 84;
- ``placement``: the commune (and village) each point lies in, typed communes checked, lon/lat swaps decided;
- ``writes``: staging, which rows are new/changed/unchanged, and the bulk writes of the facility table.
Reject reasons are codes of etl/messages.py.
"""

from etl.facilities.load import load_facilities, preview_facilities
from etl.facilities.writes import BULK_INSERT_REBUILDS_INDEXES_FROM

__all__ = ["BULK_INSERT_REBUILDS_INDEXES_FROM", "load_facilities", "preview_facilities"]
