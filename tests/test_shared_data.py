"""The national-data tests find ../shared/data from a clean clone and from a worktree, and say why they skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import find_shared_data, require_shared_data


def test_the_shared_data_is_found_beside_a_clone_or_above_a_worktree(tmp_path: Path) -> None:
    (tmp_path / "shared" / "data" / "admin_2025").mkdir(parents=True)
    clone, worktree = tmp_path / "ci-clone", tmp_path / "wt" / "branch"
    assert find_shared_data(clone, {}) == tmp_path / "shared" / "data"
    assert find_shared_data(worktree, {}) == tmp_path / "shared" / "data"
    assert find_shared_data(worktree, {"PHUSONG_SHARED_DATA": "/elsewhere"}) == Path("/elsewhere")
    assert find_shared_data(tmp_path / "lonely", {}) == tmp_path / "shared" / "data"  # the nearest, to name it


def test_without_the_data_a_national_test_skips_with_its_reason_and_fails_where_it_is_required(
        tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match="national-data test not run: no .*admin_2025"):
        require_shared_data(tmp_path / "nothing", {})
    with pytest.raises(pytest.fail.Exception, match="national-data test not run"):
        require_shared_data(tmp_path / "nothing", {"PHUSONG_REQUIRE_SHARED_DATA": "1"})
    (tmp_path / "shared" / "admin_2025").mkdir(parents=True)
    assert require_shared_data(tmp_path / "shared", {"PHUSONG_REQUIRE_SHARED_DATA": "1"}) == tmp_path / "shared"
