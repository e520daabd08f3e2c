"""Ids sort by creation, even within one millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetmind.ids import new_id


def test_ids_in_one_millisecond_still_increase() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    ids = [new_id("ses", now) for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    assert all(len(i) == len("ses_") + 32 for i in ids)


def test_later_time_sorts_after() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    first = new_id("ses", now)
    assert new_id("ses", now + timedelta(milliseconds=5)) > first
