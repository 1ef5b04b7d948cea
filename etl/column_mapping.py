"""Which column of a user's file is which field: what the loaders recognise by themselves, and the user's own
choice (the upload page's "Cột nào là Loại thiết chế?") as a mapping the loaders take (``mapping=``), without
writing a mapping file.

A choice is ``{field: header or None}``; only what differs from what the loader recognises goes into the mapping,
so a file whose columns were all recognised loads with no mapping at all (and is "already loaded" the same way
as from the command line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etl.readers import read_table
from etl.validate import map_columns
from etl.vocabulary import load_vocabulary

# The fields a user may point at a column, per kind of upload, in the order the page asks for them.
FIELDS: dict[str, tuple[str, ...]] = {
    "facilities": ("type", "name", "external_id", "status", "commune", "village", "lon", "lat", "x", "y",
                   "geopoint", "technology", "installed_year", "n_horns", "watts", "radius_m", "note"),
    "villages": ("village", "name", "commune", "province", "lon", "lat", "population", "households",
                 "village_kind"),
    "inspections": ("external_id", "facility_id", "status", "inspected_at", "inspector", "note", "lat", "lon",
                    "geopoint", "submission_id"),
}
# The fields without which a kind of file is refused: one of each group (a position is checked by the loader).
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "facilities": (("type",),),
    "villages": (("name", "village"),),
    "inspections": (("external_id", "facility_id"), ("status",)),
}


@dataclass(frozen=True)
class FileColumns:
    """A file's headers as written, and for each field of its kind the header the loader recognises (or None)."""

    headers: tuple[str, ...]
    recognised: dict[str, str | None]

    def missing(self, kind: str) -> list[str]:
        """The required fields no column was recognised for (the first field of each group left empty)."""
        return [group[0] for group in REQUIRED.get(kind, ()) if not any(self.recognised.get(f) for f in group)]


def file_columns(path: Path, kind: str, *, encoding: str | None = None, sheet: str | None = None) -> FileColumns:
    """Read ``path``'s header (as the loader will: same reader, encoding and header search) and what it means."""
    vocabulary = load_vocabulary()
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    columns = map_columns(table.headers, vocabulary)
    headers = tuple(h for h in table.headers if h)
    return FileColumns(headers=headers, recognised={
        field: columns.header(field) if columns.has(field) else None for field in FIELDS[kind]})


def mapping_from_choices(choices: Mapping[str, str | None], columns: FileColumns) -> dict[str, Any] | None:
    """The mapping (etl.vocabulary.load_vocabulary's ``columns:`` section) for the user's choices, or None when
    they are what the loader recognises anyway. A header chosen for a field is that field; a recognised column
    the user took away from its field (or moved to another) is read as no field."""
    columns_section: dict[str, str | None] = {}
    for field, header in choices.items():
        if header and header in columns.headers and columns.recognised.get(field) != header:
            columns_section[header] = field
    for field, header in columns.recognised.items():
        taken = field in choices and choices[field] != header and (not choices[field] or
                                                                   choices[field] in columns.headers)
        if header and taken and header not in columns_section:
            columns_section[header] = None
    return {"columns": columns_section} if columns_section else None
