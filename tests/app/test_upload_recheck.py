"""Issue 21 (Administrator → Uploads): changing the type re-checks the file already chosen, as the new type."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from app.pages.admin_upload import PREVIEW_OUTPUTS
from tests.app.test_auth import _as

pytestmark = pytest.mark.db

OUTPUTS = [tuple(name.split(".")) for name in PREVIEW_OUTPUTS]
SURVEY = "Tên thiết chế,Loại thiết chế,Kinh độ,Vĩ độ\nĐài xã,Đài truyền thanh xã,103.1,22.2\n".encode()


def _recheck(client: Any, kind: str, survey: bytes = SURVEY) -> Any:
    """POST the re-check callback (the one whose outputs are duplicates, keyed with '@')."""
    wanted = [f"{i}.{p}" for i, p in OUTPUTS]
    key = next(k for k in client.dash_app.callback_map if "@" in k
               and [part.split("@")[0] for part in k.strip(".").split("...")] == wanted)
    contents = "data:text/csv;base64," + base64.b64encode(survey).decode()
    state = [("admin-upload", "contents", contents), ("admin-upload", "filename", "a.csv"),
             ("admin-upload-token", "data", None)]
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
        "inputs": [{"id": "admin-kind", "property": "value", "value": kind},
                   {"id": "admin-encoding", "property": "value", "value": ""}],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": ["admin-kind.value"]})


def test_changing_the_type_previews_the_same_file_again_as_that_type(flask_client: Any) -> None:
    _as(flask_client, "quantri")
    as_facilities = _recheck(flask_client, "facilities")
    as_villages = _recheck(flask_client, "villages")
    assert as_facilities.status_code == 200 and as_villages.status_code == 200
    first = json.dumps(as_facilities.get_json()["response"]["admin-preview"], ensure_ascii=False)
    second = json.dumps(as_villages.get_json()["response"]["admin-preview"], ensure_ascii=False)
    assert first != second, "the same file checked as villages is previewed differently than as facilities"
    _as(flask_client, "kiemtra")  # only an admin
    assert _recheck(flask_client, "villages").status_code == 403
