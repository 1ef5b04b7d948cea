"""Uploaded files the pages load through the ETL: kept on the server behind a token we made, previewed row by row."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from app.components.common import small_table
from app.i18n import current_lang, fmt_int, t
from app.reasons import field_text, reason_text, summary_text
from etl.lineage import LoadResult
from etl.validate import RowIssue
from sql.settings import get_settings

MAX_UPLOAD_BYTES = 30 * 1024 * 1024
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class UploadError(ValueError):
    """An upload that cannot be kept: wrong kind of file, or gone."""


def keep_upload(contents: str, filename: str, suffixes: tuple[str, ...]) -> tuple[str, Path]:
    """Write a dcc.Upload's file under a fresh token; return the token and the path (the name made safe).

    The suffix is a first filter; the ETL's readers then check the content (magic bytes, structure).
    """
    if Path(filename).suffix.lower() not in suffixes:
        raise UploadError(f"{filename}: {', '.join(suffixes)}")
    data = base64.b64decode(contents.split(",", 1)[1])
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{filename}: {len(data) / 1e6:.0f} MB > {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    token = uuid.uuid4().hex
    folder = _upload_dir() / token
    folder.mkdir()
    path = folder / _safe_name(filename)
    path.write_bytes(data)
    return token, path


def kept_upload(token: str | None) -> Path:
    """The uploaded file behind a token (a hex id we made: never a path from the browser)."""
    if not token or not _TOKEN.match(token):
        raise UploadError("no upload")
    found = sorted((_upload_dir() / token).glob("*"))
    if not found:
        raise UploadError("the upload is gone; upload the file again")
    return found[0]


def _upload_dir() -> Path:
    path = get_settings().out_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name, flags=re.UNICODE).strip("._") or "upload"
    return stem[:120]


def as_uploaded(result: LoadResult, filename: str) -> LoadResult:
    """The result named by the file the user chose, not by where the server keeps it."""
    return replace(result, file=Path(filename).name)


def _issue_rows(issues: list[RowIssue]) -> list[list[Any]]:
    """The first 200 issues as table rows: row, field, value, reason (the reason in the user's language)."""
    return [[i.row, field_text(i.field), i.value, reason_text(i.reason)] for i in issues[:200]]


def preview_view(result: LoadResult, id_prefix: str) -> Any:
    """What loading a file would do: counts, then every rejected row and warning with its reason."""
    en = current_lang() == "en"
    by_row = sorted(result.issues, key=lambda issue: issue.row)  # as the file reads, like the reject report
    rejects = [i for i in by_row if i.severity == "reject"]
    warnings = [i for i in by_row if i.severity != "reject"]
    fine = result.rows - result.rejected - result.warned
    badges = html.Div([
        dbc.Badge(f"{fmt_int(result.rows)} " + ("rows" if en else "dòng"), color="secondary", className="me-1"),
        dbc.Badge(f"{fmt_int(fine)} " + ("fine" if en else "hợp lệ"), color="success", className="me-1",
                  id=f"{id_prefix}-preview-fine"),
        dbc.Badge(f"{fmt_int(result.warned)} " + ("with warnings" if en else "cảnh báo"), color="warning",
                  className="me-1", id=f"{id_prefix}-preview-warned"),
        dbc.Badge(f"{fmt_int(result.rejected)} " + ("rejected" if en else "bị loại"), color="danger",
                  id=f"{id_prefix}-preview-rejected"),
    ], className="mb-2")
    header = ["Dòng" if not en else "Row", "Trường" if not en else "Field", "Giá trị" if not en else "Value",
              t("reason")]
    parts: list[Any] = [badges, html.Div(summary_text(result), className="small text-muted mb-2")]
    if rejects:
        parts += [html.H6("Dòng bị loại" if not en else "Rejected rows"),
                  small_table(header, _issue_rows(rejects), id=f"{id_prefix}-preview-rejects")]
    if warnings:
        parts += [html.H6("Cảnh báo" if not en else "Warnings"),
                  small_table(header, _issue_rows(warnings), id=f"{id_prefix}-preview-warnings")]
    return html.Div(parts)
