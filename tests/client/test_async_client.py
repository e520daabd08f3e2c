"""The async client against the real API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from meetmind import NewTranscriptTurn
from meetmind.client import (
    ApiError,
    AsyncMeetMindClient,
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    InvalidInputError,
    MeetMindClientError,
    NotFoundError,
    Page,
    Session,
    TranscriptTurn,
)
from meetmind.sdk import MeetMind
from tests.client.conftest import add_turns
from tests.conftest import ApiTenant


async def test_create_get_end_delete(client: AsyncMeetMindClient, tenant_a: ApiTenant) -> None:
    created = await client.create_session(
        "812 3456 7890",
        meeting_url="https://zoom.us/j/81234567890?pwd=x",
        agent_name="Scribe",
        wake_words=["Hey Scribe"],
        record_audio=True,
    )
    assert isinstance(created, Session)
    assert created.id.startswith("ses_")
    assert created.platform == "zoom"
    assert created.meeting_id == "81234567890"
    assert created.meeting_url == "https://zoom.us/j/81234567890?pwd=x"
    assert created.agent_name == "Scribe"
    assert created.wake_words == ("Hey Scribe",)
    assert created.record_audio is True
    assert created.status == "created"
    assert isinstance(created.created_at, datetime)
    assert created.created_at.tzinfo is not None
    assert created.ended_at is None
    assert created.rtms_start_requested_at is None

    # The same record as the raw API shows it.
    raw = (await tenant_a.http.get(f"/api/v1/sdk/sessions/{created.id}")).json()
    assert datetime.fromisoformat(raw["created_at"]) == created.created_at
    assert await client.get_session(created.id) == created

    ended = await client.end_session(created.id)
    assert ended.status == "ended"
    assert ended.ended_at is not None
    assert ended.ended_at >= created.created_at

    await client.delete_session(created.id)
    with pytest.raises(NotFoundError):
        await client.get_session(created.id)


async def test_defaults_come_from_the_server(client: AsyncMeetMindClient) -> None:
    session = await client.create_session("81234567890")
    assert session.agent_name == "MeetMind"
    assert session.wake_words == ("MeetMind", "Hey MeetMind")
    assert session.record_audio is False
    assert session.meeting_url is None


async def test_list_pages_filters_and_iterates(client: AsyncMeetMindClient) -> None:
    ids = [(await client.create_session(f"81234567{i:03d}")).id for i in range(5)]
    await client.end_session(ids[0])

    first = await client.list_sessions(limit=2)
    assert isinstance(first, Page)
    assert [s.id for s in first.items] == ids[:2:-1]
    assert first.next_cursor is not None
    second = await client.list_sessions(limit=2, cursor=first.next_cursor)
    assert [s.id for s in second.items] == ids[2:0:-1]

    assert [s.id async for s in client.iter_sessions(page_size=2)] == ids[::-1]
    assert [s.id async for s in client.iter_sessions(status="ended")] == [ids[0]]
    assert [s.id async for s in client.iter_sessions(status="created", platform="zoom")] == ids[
        :0:-1
    ]
    everything = await client.list_sessions()
    assert everything.next_cursor is None
    assert len(everything.items) == 5


async def test_transcript_pages_and_iterates(
    client: AsyncMeetMindClient, meetmind: MeetMind, tenant_a: ApiTenant
) -> None:
    session = await client.create_session("81234567890")
    assert (await client.transcript(session.id)).items == ()
    await add_turns(meetmind, tenant_a.id, session.id, 7)

    page = await client.transcript(session.id, limit=3)
    assert [t.text for t in page.items] == ["utterance 0", "utterance 1", "utterance 2"]
    turn = page.items[0]
    assert isinstance(turn, TranscriptTurn)
    assert (turn.speaker_name, turn.speaker_id, turn.role) == ("Alice", "16778240", "participant")
    assert (turn.start_ms, turn.end_ms, turn.language) == (
        1_700_000_000_000,
        1_700_000_000_800,
        "en",
    )
    assert isinstance(turn.created_at, datetime)
    rest = await client.transcript(session.id, after=page.next_cursor, limit=100)
    assert [t.text for t in rest.items] == [f"utterance {i}" for i in range(3, 7)]
    assert rest.next_cursor is None

    texts = [t.text async for t in client.iter_transcript(session.id, page_size=2)]
    assert texts == [f"utterance {i}" for i in range(7)]
    # Polling a growing transcript: resume from where the last read ended.
    assert rest.position is not None
    await add_turns_after(meetmind, tenant_a.id, session.id)
    new = [t.text async for t in client.iter_transcript(session.id, after=rest.position)]
    assert new == ["late 1", "late 2"]


async def add_turns_after(meetmind: MeetMind, tenant_id: str, session_id: str) -> None:
    late = [
        NewTranscriptTurn(
            idempotency_key=f"late{i}",
            text=f"late {i}",
            start_ms=1_800_000_000_000 + i,
            end_ms=1_800_000_000_000 + i,
        )
        for i in (1, 2)
    ]
    await meetmind.tenant(tenant_id).append_transcript(session_id, late)


async def test_errors_are_typed(client: AsyncMeetMindClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        await client.get_session("ses_doesnotexist")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert missing.value.message
    assert isinstance(missing.value, LookupError)
    for call in (
        client.end_session("ses_x"),
        client.delete_session("ses_x"),
        client.transcript("ses_x"),
    ):
        with pytest.raises(NotFoundError):
            await call

    session = await client.create_session("81234567890")
    await client.end_session(session.id)
    with pytest.raises(ConflictError) as conflict:
        await client.end_session(session.id)
    assert conflict.value.status == 409
    assert conflict.value.code == "illegal_transition"
    assert conflict.value.details == {"from": "ended", "to": "ended"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"meeting_id": "123"}, "meeting_id"),
        ({"meeting_id": "81234567890", "platform": "teams"}, "platform"),
        ({"meeting_id": "81234567890", "wake_words": ["x" * 65]}, "wake_words[0]"),
        ({"meeting_id": "81234567890", "agent_name": ""}, "agent_name"),
        ({"meeting_id": "81234567890", "meeting_url": "zoom.us/j/1"}, "meeting_url"),
    ],
)
async def test_invalid_input_names_the_field(
    client: AsyncMeetMindClient, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await client.create_session(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.status == 422
    assert caught.value.code == "invalid_input"
    assert isinstance(caught.value, ValueError)


async def test_invalid_listing_parameters(client: AsyncMeetMindClient) -> None:
    with pytest.raises(InvalidInputError) as status:
        await client.list_sessions(status="sleeping")
    assert status.value.field == "status"
    with pytest.raises(InvalidInputError) as limit:
        await client.list_sessions(limit=0)
    assert limit.value.field == "limit"
    with pytest.raises(InvalidInputError) as cursor:
        await client.list_sessions(cursor="garbage")
    assert cursor.value.field == "cursor"
    session = await client.create_session("81234567890")
    with pytest.raises(InvalidInputError) as after:
        await client.transcript(session.id, after="x")
    assert after.value.field == "after"


async def test_bad_or_missing_key_is_authentication_error(
    api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETMIND_API_KEY", raising=False)
    for key in (None, "mm_nope"):
        async with AsyncMeetMindClient(api_url, api_key=key) as anonymous:
            with pytest.raises(AuthenticationError) as caught:
                await anonymous.list_sessions()
        assert caught.value.status == 401
        assert caught.value.code == "unauthorized"
        assert isinstance(caught.value, ApiError)
        assert isinstance(caught.value, MeetMindClientError)


async def test_url_and_key_from_the_environment(
    api_url: str, tenant_a: ApiTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETMIND_URL", api_url + "/")
    monkeypatch.setenv("MEETMIND_API_KEY", tenant_a.key)
    async with AsyncMeetMindClient() as mm:
        assert mm.base_url == api_url
        assert (await mm.list_sessions()).items == ()


async def test_an_injected_http_client_is_used_and_left_open(
    api_url: str, tenant_a: ApiTenant
) -> None:
    seen: list[str] = []

    async def log(request: httpx.Request) -> None:
        seen.append(f"{request.method} {request.url.path}")

    async with httpx.AsyncClient(base_url=api_url, event_hooks={"request": [log]}) as http:
        async with AsyncMeetMindClient(api_key=tenant_a.key, http_client=http) as mm:
            assert mm.base_url == api_url
            session = await mm.create_session("81234567890")
        assert seen == ["POST /api/v1/sdk/sessions"]
        assert not http.is_closed
        assert (await http.get(f"/api/v1/sdk/sessions/{session.id}")).status_code == 401

    with pytest.raises(ValueError, match="not both"):
        AsyncMeetMindClient(transport=httpx.AsyncHTTPTransport(), http_client=httpx.AsyncClient())


async def test_a_closed_client_refuses_requests(client: AsyncMeetMindClient) -> None:
    await client.aclose()
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.list_sessions()
    with pytest.raises(ClientClosedError):
        async with client:
            pass
    with pytest.raises(ClientClosedError):
        await anext(aiter(client.events("ses_x")))
