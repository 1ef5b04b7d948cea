"""Photos attached to a KoboToolbox or ODK Central export, imported with their rows (issue 21).

Kobo's and ODK's zip downloads hold the form's CSV beside the media files (ODK: ``media/<file>``; Kobo:
``.../attachments/.../<uuid>/<file>``); the photo question's column names the file. Every row whose cell names an
image in the archive gets that photo (a JPEG or PNG that decodes, shrunk to 1600 px when over 5 MB); a named file
that is missing or no image is a warning and the inspection is kept without it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection

from etl.errors import CellRefused
from etl.lineage import LoadResult
from etl.readers import RawTable, check_archive
from etl.validate import RowIssue
from sql import queries

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_PHOTO_BYTES = 5 * 1024 * 1024  # as a photo saved in the app
LONG_SIDE_PX = 1600
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def stage_media(conn: Connection, path: Path, table: RawTable, result: LoadResult) -> int:
    """Stage the photo of each row of ``table`` that names an image of the archive ``path``; return how many."""
    conn.execute(queries.load("create_inspection_media_staging"))
    if path.suffix.lower() != ".zip":
        return 0
    media: dict[str, list[str]] = {}
    for name in check_archive(path):
        if name.lower().endswith(PHOTO_SUFFIXES) and not name.startswith("__MACOSX/"):
            media.setdefault(PurePosixPath(name).name, []).append(name)
    staged = 0
    with zipfile.ZipFile(path) as archive:
        for line, cells in table.rows:
            found = _named_photo(table.headers, cells)
            if found is None:
                continue
            header, value = found
            entries = media.get(PurePosixPath(value).name)
            if not entries:
                result.issues.append(RowIssue(line, header, value, "photo_not_in_archive", {}, "warning"))
                continue
            try:
                photo, mime = usable_photo(archive.read(_entry_of_row(entries, cells)))
            except CellRefused as exc:
                result.issues.append(RowIssue(line, header, value, exc.code, dict(exc.values), "warning"))
                continue
            conn.execute(queries.load("insert_inspection_media"), {"n": line, "photo": photo, "photo_mime": mime})
            staged += 1
    return staged


def _named_photo(headers: Sequence[str], cells: Sequence[str]) -> tuple[str, str] | None:
    """(header, file name) of the first cell of a row that names a photo file, or None."""
    for header, cell in zip(headers, cells, strict=False):
        value = (cell or "").strip()
        if value.lower().endswith(PHOTO_SUFFIXES):
            return header, value
    return None


def _entry_of_row(entries: list[str], cells: Sequence[str]) -> str:
    """Of several files with one name (Kobo keeps each submission's in a folder named by its uuid), the one
    in the folder of this row's submission, else the first."""
    if len(entries) > 1:
        ids = {c.strip().removeprefix("uuid:") for c in cells if c and len(c.strip()) >= 8}
        for entry in entries:
            if ids & set(PurePosixPath(entry).parts):
                return entry
    return entries[0]


def usable_photo(data: bytes) -> tuple[bytes, str]:
    """(photo, MIME type) of an attachment that is a JPEG or PNG that decodes, shrunk when over 5 MB."""
    mime = next((m for sig, m in _SIGNATURES.items() if data.startswith(sig)), None)
    if mime is None:
        raise CellRefused("photo_not_image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if len(data) <= MAX_PHOTO_BYTES:
                return data, mime
            small = image.convert("RGB")
            small.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CellRefused("photo_damaged") from exc
    return out.getvalue(), "image/jpeg"
