"""Downloads (exports, reports, standalone map) as Flask routes under /download/, each checked for role and scope;
and how a downloaded file is named: an ASCII name (Vietnamese letters without their marks, đ/Đ as d/D) in
``filename`` and the full UTF-8 name in ``filename*`` (RFC 6266 / 5987), so "Điện Biên" never becomes "ien_Bien".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import IO
from urllib.parse import quote

import flask


def install(server: flask.Flask) -> None:
    """Register the download routes (filled in by app/exports.py)."""
    from app import audit_export, export_jobs, exports, inspection_files, upload_files

    exports.register_routes(server)
    export_jobs.register_routes(server)  # long exports made by `phusong worker` (issue 22)
    inspection_files.register_routes(server)  # an inspection's photo, the Kobo/ODK form (issue 21)
    upload_files.register_routes(server)  # a load's rejected rows as XLSX (issue 21)
    audit_export.register_routes(server)  # the filtered audit log as XLSX, administrators only (issue 21)


def ascii_name(text: str) -> str:
    """``text`` as an ASCII file name: marks dropped, đ -> d, Đ -> D, anything else but letters, digits, '.',
    '-' and '_' -> '_'."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9.\-_]+", "_", plain)).strip("_") or "phusong"


def file_word(text: str) -> str:
    """A part of a file name: Vietnamese letters kept, spaces and anything a file name cannot hold -> '_'."""
    return re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_")[:60] or "phusong"


def content_disposition(name: str) -> str:
    """``attachment; filename="<ascii>"; filename*=UTF-8''<utf-8>``."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def opened_and_unlinked(path: Path) -> IO[bytes]:
    """The file open for reading and already gone from the directory: its space is freed when the response is
    closed, or when the handle is collected if a client or a test never closes it (no export left in /tmp)."""
    handle = path.open("rb")
    path.unlink(missing_ok=True)
    return handle
