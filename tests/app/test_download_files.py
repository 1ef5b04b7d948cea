"""A download leaves nothing on the server's disk, even when the client never closes the response."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import session_as


@pytest.mark.parametrize(("user", "url"), [("taichinh", "/download/gaps.xlsx?province=11"),
                                           ("taichinh", "/download/report.pdf?province=11"),
                                           ("kiemtra", "/download/kobo-form.xlsx")])
def test_a_download_leaves_no_file_behind_when_its_response_is_never_closed(
        flask_client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, user: str, url: str) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))   # where the app makes its files, for this test only
    session_as(flask_client, user)
    answer = flask_client.get(url)   # read, never closed: call_on_close never runs
    assert answer.status_code == 200 and len(answer.get_data()) > 1000
    assert list(tmp_path.iterdir()) == []
