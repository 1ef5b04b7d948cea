"""The web app handles the error root in one place (app/errors.py, issue 16): an error raised on purpose that no
page caught is shown as its own sentence with its branch's status and nothing logged; anything else keeps its
reference and log entry (tests/app/test_exposure.py)."""

from __future__ import annotations

import json
import sys
from typing import Any

import flask
import pytest

from sql.errors import Conflict, InputRefused, NotAllowed, NotFound, PhusongError, SetupError
from sql.settings import get_settings
from tests.app.test_auth import _as, _dash

pytestmark = pytest.mark.db


def _log_size() -> int:
    log = get_settings().out_dir / "phusong-error.log"
    return log.stat().st_size if log.exists() else 0


def test_an_uncaught_refusal_in_a_route_is_its_sentence_with_its_status_and_not_a_500(
        flask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.exports

    sentence = "Không có xã 99999 trong phạm vi của bạn."

    def missing(*_: Any, **__: Any) -> Any:
        raise NotFound(sentence)

    monkeypatch.setattr(app.exports, "gaps_for_user", missing)
    _as(flask_client, "taichinh")
    before = _log_size()
    answer = flask_client.get("/download/gaps.csv?province=11")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 404 and answer.mimetype == "text/html"  # was 500 with "Mã lỗi"
    assert sentence in body and "Mã lỗi" not in body and "Content-Disposition" not in answer.headers
    assert _log_size() == before  # a refusal is not a crash: nothing for the administrator to grep


def test_an_uncaught_refusal_in_a_callback_shows_its_sentence_in_the_frame(
        flask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    coverage = sys.modules["pages.coverage_map"]
    sentence = "Từ khóa tìm kiếm quá dài."

    def refused(*_: Any, **__: Any) -> Any:
        raise InputRefused(sentence)

    monkeypatch.setattr(coverage, "rows", refused)
    _as(flask_client, "taichinh")
    before = _log_size()
    answer = _dash(flask_client, [("map-search-hits", "children")], [("map-search", "value", "muong")])
    shown = json.dumps(answer.get_json(), ensure_ascii=False)
    assert answer.status_code == 200 and '"app-error"' in shown and sentence in shown
    assert "Mã lỗi" not in shown and _log_size() == before


def test_each_branch_of_the_root_has_its_status_and_the_sentence_is_in_the_page_language(
        flask_client: Any, tmp_path: Any) -> None:
    from app.errors import error_text, status_of

    class Both(InputRefused):
        vi = "Tệp quá lớn."

    assert [status_of(e) for e in (InputRefused("x"), NotFound("x"), NotAllowed("x"), Conflict("x"),
                                   SetupError("x"), PhusongError("x"))] == [400, 404, 403, 409, 503, 400]
    upload = tmp_path / "a1b2" / "khao_sat.csv"
    with flask_client.dash_app.server.test_request_context("/"):
        assert error_text(Both(f"{upload}: too big")) == "Tệp quá lớn."  # Vietnamese is the default language
        assert error_text(InputRefused(f"{upload}: unreadable"), "khao_sat.csv", upload) == "khao_sat.csv: unreadable"
        flask.session["lang"] = "en"
        assert error_text(Both("the file is too big")) == "the file is too big"
