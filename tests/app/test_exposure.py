"""What the app lets out (issue 14 items 5, 7, 10): security headers on every response, errors as one sentence
with a reference (details in the log only), uploads refused by name and never left behind."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.pages.admin_upload import PREVIEW_OUTPUTS
from sql.settings import get_settings
from tests.app.test_auth import _as, _dash, _output

pytestmark = pytest.mark.db


def test_every_response_carries_the_security_headers_and_the_page_runs_only_hashed_inline_scripts(
        flask_client: Any) -> None:
    answers = [flask_client.get("/login"), flask_client.get("/download/gaps.csv")]  # a page, a refusal
    _as(flask_client, "quantri")
    index = flask_client.get("/")
    answers += [index, flask_client.get("/download/nothing.xlsx"), flask_client.get("/assets/phusong.css")]
    for answer in answers:
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["Permissions-Policy"].startswith("geolocation=(self), camera=(self)")
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
        scripts = policy.split("script-src")[1].split(";")[0]
        assert scripts.startswith(" 'self'") and "'unsafe-inline'" not in scripts
    page = index.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", page, re.S)
    assert inline, "Dash's index page starts its renderer inline"
    policy = index.headers["Content-Security-Policy"]
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy, script[:80]


def test_a_budget_officer_saving_feedback_is_refused_not_a_server_error(flask_client: Any) -> None:
    _as(flask_client, "taichinh")
    answer = _dash(flask_client, [("fb-new-result", "children"), ("fb-version", "data"), ("fb-new-commune", "value"),
                                  ("fb-new-lon", "value"), ("fb-new-lat", "value"), ("fb-new-facility", "value"),
                                  ("fb-new-text", "value"), ("fb-new-contact", "value")],
                   [("fb-new-save", "n_clicks", 1)],
                   [("fb-new-channel", "value", "hotline"), ("fb-new-category", "value", "other"),
                    ("fb-new-commune", "value", "03160"), ("fb-new-lon", "value", None),
                    ("fb-new-lat", "value", None), ("fb-new-facility", "value", None),
                    ("fb-new-text", "value", "loa hỏng"), ("fb-new-contact", "value", None),
                    ("fb-version", "data", 0)])
    assert answer.status_code == 403  # was 500 (PermissionError)


def test_an_unexpected_failure_shows_one_sentence_and_a_reference_and_logs_the_details(
        flask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.exports

    secret = "/srv/phusong/.pgdata/base/16384 facility id 987654"

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(secret)

    monkeypatch.setattr(app.exports, "gaps_for_user", broken)
    _as(flask_client, "taichinh")
    answer = flask_client.get("/download/gaps.csv?province=11")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 500 and answer.mimetype == "text/html" and "Content-Disposition" not in answer.headers
    ref = re.search(r"Mã lỗi: ([0-9A-F]{8})", body).group(1)  # type: ignore[union-attr]
    assert "/srv" not in body and "987654" not in body and "Traceback" not in body
    log = (get_settings().out_dir / "phusong-error.log").read_text(encoding="utf-8")
    assert f"ref {ref} GET /download/gaps.csv" in log and secret in log.split(f"ref {ref}")[1]
    # The same in a callback: the page shows the sentence in the frame's alert, the log keeps the rest.
    coverage = sys.modules["pages.coverage_map"]
    monkeypatch.setattr(coverage, "rows", broken)
    answer = _dash(flask_client, [("map-search-hits", "children")], [("map-search", "value", "muong")])
    shown = json.dumps(answer.get_json(), ensure_ascii=False)
    assert answer.status_code == 200 and "/srv" not in shown and "987654" not in shown
    ref = re.search(r"Mã lỗi: ([0-9A-F]{8})", shown).group(1)  # type: ignore[union-attr]
    log = (get_settings().out_dir / "phusong-error.log").read_text(encoding="utf-8")
    assert '"app-error"' in shown and f"ref {ref} callback" in log


UPLOAD = [_output(name) for name in PREVIEW_OUTPUTS]  # the upload preview's outputs (app/pages/admin_upload.py)


def _upload(client: Any, name: str, data: bytes, previous: str | None = None) -> Any:
    contents = "data:text/csv;base64," + base64.b64encode(data).decode()
    return _dash(client, UPLOAD, [("admin-upload", "contents", contents)],
                 [("admin-upload", "filename", name), ("admin-kind", "value", "facilities"),
                  ("admin-encoding", "value", ""), ("admin-upload-token", "data", previous)])


def test_uploads_are_refused_by_name_and_never_left_behind(flask_client: Any) -> None:
    uploads = get_settings().out_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stale = uploads / ("f" * 32)
    stale.mkdir(exist_ok=True)
    (stale / "old.csv").write_text("x", encoding="utf-8")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    before = {p.name for p in uploads.iterdir()}
    _as(flask_client, "quantri")
    refused = _upload(flask_client, "khao_sat.csv", b"\x00\x01binary")
    text = json.dumps(refused.get_json(), ensure_ascii=False)
    assert "khao_sat.csv" in text and str(uploads) not in text  # named as the user named it
    assert not stale.exists(), "an upload older than a day is swept"
    assert {p.name for p in uploads.iterdir()} == before - {stale.name}, "a refused upload is not kept"
    survey = "Tên thiết chế,Loại thiết chế,Kinh độ,Vĩ độ\nĐài xã,Đài truyền thanh xã,103.1,22.2\n".encode()
    first = _upload(flask_client, "a.csv", survey).get_json()["response"]["admin-upload-token"]["data"]
    assert (uploads / first).is_dir() and oct((uploads / first).stat().st_mode)[-3:] == "700"
    second = _upload(flask_client, "b.csv", survey, previous=first).get_json()["response"]["admin-upload-token"]["data"]
    assert not (uploads / first).exists() and (uploads / second).is_dir()  # the replaced preview is deleted
    assert not Path(uploads).resolve().is_relative_to(Path(flask_client.application.root_path) / "assets")
    served = flask_client.get(f"/out/uploads/{second}/b.csv")  # not a file the server hands out
    assert "Đài truyền thanh xã" not in served.get_data(as_text=True)
