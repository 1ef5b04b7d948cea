"""The words of coverage freshness: what a refresh did, the stale notice, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.refresh import RefreshReport, Staleness
from app.refresh_text import refresh_cli_line, refresh_line, stale_cli_lines, stale_notice


def test_a_refresh_says_how_many_communes_in_how_long_in_each_language() -> None:
    report = RefreshReport(communes=tuple(f"{i:05d}" for i in range(37)), seconds=0.42)
    assert refresh_line(report, "vi") == "đã tính lại 37 xã trong 0,4 s"
    assert refresh_line(report, "en") == "recomputed 37 communes in 0.4 s"
    assert refresh_cli_line(report) == "coverage: đã tính lại 37 xã trong 0,4 s (recomputed 37 communes in 0.4 s)"
    assert refresh_line(RefreshReport(), "vi") == "không có xã nào cần tính lại"


def test_stale_figures_name_the_count_the_time_and_the_way_to_current() -> None:
    stale = Staleness(3, datetime(2026, 11, 27, 3, 5, tzinfo=UTC))
    web = stale_notice(stale, "vi")
    assert web == ("Số liệu phủ sóng của 3 xã đã cũ từ 27/11/2026 10:05; đang được tính lại tự động; bản đồ tự "
                   "cập nhật khi xong.")
    assert "phusong" not in web  # no CLI command for a web user
    cli = stale_cli_lines(stale)
    assert len(cli) == 2 and "phusong analyse" in cli[0] and "stale since 27/11/2026 10:05" in cli[1]
    assert stale_notice(Staleness(0, None), "vi") is None and stale_cli_lines(Staleness(0, None)) == []
