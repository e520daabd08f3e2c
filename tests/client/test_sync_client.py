"""The sync client against the real API; it runs in a worker thread while the server runs here."""

from __future__ import annotations

import asyncio

import pytest

from meetmind.client import (
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    InvalidInputError,
    MeetMindClient,
    NotFoundError,
)
from meetmind.sdk import MeetMind
from tests.client.conftest import add_turns
from tests.conftest import ApiTenant


async def test_sessions_and_transcript(
    sync_client: MeetMindClient, meetmind: MeetMind, tenant_a: ApiTenant
) -> None:
    def create() -> list[str]:
        return [
            sync_client.create_session(f"81234567{i:03d}", wake_words=["Hey Sync"]).id
            for i in range(5)
        ]

    ids = await asyncio.to_thread(create)
    await add_turns(meetmind, tenant_a.id, ids[0], 5)

    def read() -> None:
        session = sync_client.get_session(ids[0])
        assert session.wake_words == ("Hey Sync",)
        assert session.status == "created"

        page = sync_client.list_sessions(limit=2)
        assert [s.id for s in page.items] == ids[:2:-1]
        assert [s.id for s in sync_client.iter_sessions(page_size=2)] == ids[::-1]
        assert sync_client.end_session(ids[1]).status == "ended"
        assert [s.id for s in sync_client.iter_sessions(status="ended", platform="zoom")] == [
            ids[1]
        ]

        first = sync_client.transcript(ids[0], limit=2)
        assert [t.text for t in first.items] == ["utterance 0", "utterance 1"]
        assert first.next_cursor is not None
        rest = sync_client.transcript(ids[0], after=first.next_cursor)
        assert [t.text for t in rest.items] == ["utterance 2", "utterance 3", "utterance 4"]
        texts = [t.text for t in sync_client.iter_transcript(ids[0], page_size=2)]
        assert texts == [f"utterance {i}" for i in range(5)]

        sync_client.delete_session(ids[0])
        with pytest.raises(NotFoundError):
            sync_client.get_session(ids[0])

    await asyncio.to_thread(read)


async def test_errors_are_typed(sync_client: MeetMindClient, api_url: str) -> None:
    def run() -> None:
        with pytest.raises(NotFoundError) as missing:
            sync_client.transcript("ses_missing")
        assert missing.value.code == "not_found"

        session = sync_client.create_session("81234567890")
        sync_client.end_session(session.id)
        with pytest.raises(ConflictError) as conflict:
            sync_client.end_session(session.id)
        assert conflict.value.code == "illegal_transition"

        with pytest.raises(InvalidInputError) as invalid:
            sync_client.create_session("81234567890", wake_words=["w"] * 11)
        assert invalid.value.field == "wake_words"

        with MeetMindClient(api_url, api_key="mm_wrong") as stranger:
            with pytest.raises(AuthenticationError):
                stranger.get_session(session.id)
            events = stranger.events(session.id)
        with pytest.raises(ClientClosedError):
            next(events)
        with pytest.raises(ClientClosedError):
            stranger.list_sessions()

    await asyncio.to_thread(run)
