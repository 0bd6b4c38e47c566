"""Callback windows at their edges (`work/callback_window.py`): a tenant without a zone, a
request at the very moment a window closes, and a host whose own time zone is not UTC."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.work.callback_window import callback_due, zone


def test_a_tenant_without_a_time_zone_reads_windows_in_utc() -> None:
    assert zone(None).key == "UTC" and zone("").key == "UTC"


def test_a_request_at_the_very_moment_the_window_closes_goes_to_tomorrow() -> None:
    utc = ZoneInfo("UTC")
    closing = datetime(2026, 12, 1, 12, 0, tzinfo=utc).timestamp()
    due = callback_due("morning", closing, timedelta(minutes=15), utc)
    tomorrow = datetime(2026, 12, 2, 8, 0, tzinfo=utc).timestamp()
    assert (due.not_before, due.due_at) == (tomorrow, tomorrow + 15 * 60)


def test_the_machines_own_time_zone_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows are read in the tenant's zone from an instant: the host's TZ plays no part."""
    stockholm = zone("Europe/Stockholm")
    at = datetime(2026, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC")).timestamp()  # 07:00 in Stockholm
    expected = callback_due("morning", at, timedelta(minutes=15), stockholm)
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert callback_due("morning", at, timedelta(minutes=15), stockholm) == expected
    finally:
        monkeypatch.undo()
        time.tzset()
    assert expected.not_before == datetime(2026, 12, 1, 7, 0, tzinfo=ZoneInfo("UTC")).timestamp()
