"""Uploaded files the pages load through the ETL: kept on the server behind a token we made, previewed row by row.

An upload is checked for size before it is decoded (etl.limits, the same limits as the CLI), kept in a private
folder outside anything the server serves (out/uploads, mode 0700), and deleted when its preview is confirmed,
replaced or refused, or when it is older than a day.
"""

from __future__ import annotations

import base64
import re
import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from app.components.common import small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_int, t
from etl.errors import LoadRefusedError
from etl.limits import MAX_UPLOAD_BYTES, UPLOAD_MAX_AGE_S, check_size
from etl.lineage import LoadResult
from etl.messages import field_text
from etl.validate import RowIssue
from sql.errors import InputRefused
from sql.settings import get_settings

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class UploadError(InputRefused):
    """An upload that cannot be kept: wrong kind of file, or gone."""


def keep_upload(contents: str, filename: str, suffixes: tuple[str, ...]) -> tuple[str, Path]:
    """Write a dcc.Upload's file under a fresh token; return the token and the path (the name made safe).

    The suffix is a first filter; the ETL's readers then check the content (magic bytes, structure).
    """
    if Path(filename).suffix.lower() not in suffixes:
        raise UploadError(f"{filename}: {', '.join(suffixes)}")
    encoded = contents.split(",", 1)[1]
    check_size(Path(_safe_name(filename)), len(encoded) * 3 // 4, MAX_UPLOAD_BYTES)  # before decoding
    data = base64.b64decode(encoded)
    sweep_uploads()
    token = uuid.uuid4().hex
    folder = _upload_dir() / token
    folder.mkdir(mode=0o700)
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


def discard_upload(token: str | None) -> None:
    """Delete an upload (confirmed, replaced or refused); a token that is not ours, or gone, is nothing to do."""
    if token and _TOKEN.match(token):
        shutil.rmtree(_upload_dir() / token, ignore_errors=True)


def sweep_uploads(*, max_age_s: float = UPLOAD_MAX_AGE_S) -> int:
    """Delete the uploads older than ``max_age_s`` (a preview nobody confirmed); return how many."""
    cutoff = time.time() - max_age_s
    old = [folder for folder in _upload_dir().iterdir() if folder.is_dir() and folder.stat().st_mtime < cutoff]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return len(old)


# The readers' refusals as a user reads them: (part of the reader's English, Vietnamese, English), without the
# server's path or CLI flags (an encoding is chosen on the page, not typed as --encoding).
def refusal_text(exc: Exception, filename: str, path: Path | None = None) -> str:
    """What the user reads when their file is refused: one sentence in the page's language, never the server's
    path of the upload (the file is named as the user named it) nor a command-line flag. A reader's refusal is a
    code of etl/messages.py, rendered in the page's language."""
    lang = current_lang()
    if isinstance(exc, LoadRefusedError) and exc.code == "no_data_rows":
        return f"{filename}: {_no_rows_text(path, lang == 'vi')}"
    if isinstance(exc, LoadRefusedError) and exc.code is not None:
        return f"{filename}: {exc.render(lang)}"
    return error_text(exc, filename, path)


def _no_rows_text(path: Path | None, vi: bool) -> str:
    """A header with nothing under it, or with one row that reads as column numbers (1, 2, 3 ...), said as such."""
    lines = 0
    if path is not None and path.suffix.lower() in (".csv", ".txt") and path.is_file():
        lines = sum(1 for line in path.read_bytes().splitlines() if line.strip())
    if lines > 1:
        return ("Dòng duy nhất dưới tiêu đề chỉ gồm số hoặc chữ cái đánh thứ tự cột (1, 2, 3 …) nên được bỏ qua: "
                "tệp không còn dòng dữ liệu nào." if vi else
                "The only row under the header holds column numbers or letters (1, 2, 3 …) and is skipped: "
                "no data row is left.")
    return ("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào." if vi else
            "The file has a header but no data rows.")


def _upload_dir() -> Path:
    path = get_settings().out_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name, flags=re.UNICODE).strip("._") or "upload"
    return stem[:120]


def as_uploaded(result: LoadResult, filename: str) -> LoadResult:
    """The result named by the file the user chose, not by where the server keeps it."""
    return replace(result, file=Path(filename).name)


def _issue_rows(issues: list[RowIssue]) -> list[list[Any]]:
    """The first 200 issues as table rows: row, field, value, reason (the reason in the user's language)."""
    lang = current_lang()
    return [[i.row, field_text(i.field, lang), i.value, i.text(lang)] for i in issues[:200]]


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
    parts: list[Any] = [badges, html.Div(result.summary(current_lang()), className="small text-muted mb-2")]
    if rejects:
        parts += [html.H6("Dòng bị loại" if not en else "Rejected rows"),
                  small_table(header, _issue_rows(rejects), id=f"{id_prefix}-preview-rejects", stacked=True)]
    if warnings:
        parts += [html.H6("Cảnh báo" if not en else "Warnings"),
                  small_table(header, _issue_rows(warnings), id=f"{id_prefix}-preview-warnings", stacked=True)]
    return html.Div(parts)
