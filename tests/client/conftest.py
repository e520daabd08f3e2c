"""Fixtures for the HTTP client: clients of the real API, and the simulator stack for RTMS."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from meetmind import NewTranscriptTurn
from meetmind.client import AsyncMeetMindClient, MeetMindClient
from meetmind.local import LocalStack, local_stack
from meetmind.sdk import MeetMind
from tests.conftest import ApiTenant


@pytest.fixture
async def client(api_url: str, tenant_a: ApiTenant) -> AsyncIterator[AsyncMeetMindClient]:
    """The async client, as tenant A, against the API on a real socket."""
    async with AsyncMeetMindClient(api_url, api_key=tenant_a.key, timeout=10) as mm:
        yield mm


@pytest.fixture
def sync_client(api_url: str, tenant_a: ApiTenant) -> Iterator[MeetMindClient]:
    """The sync client, as tenant A; call it through ``asyncio.to_thread`` (the server is here)."""
    with MeetMindClient(api_url, api_key=tenant_a.key, timeout=10) as mm:
        yield mm


async def add_turns(meetmind: MeetMind, tenant_id: str, session_id: str, count: int) -> None:
    """Store ``count`` turns, alternating Alice and Bob, one second apart."""
    turns = [
        NewTranscriptTurn(
            idempotency_key=f"t{i}",
            text=f"utterance {i}",
            start_ms=1_700_000_000_000 + i * 1000,
            end_ms=1_700_000_000_000 + i * 1000 + 800,
            speaker_id=str(16778240 + i % 2),
            speaker_name=["Alice", "Bob"][i % 2],
            language="en",
        )
        for i in range(count)
    ]
    await meetmind.tenant(tenant_id).append_transcript(session_id, turns)


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[LocalStack]:
    """Simulator (time x20) plus MeetMind on the test database, over real sockets."""
    async with local_stack(database_url=database_url, time_scale=20) as running:
        yield running


@dataclass
class StackTenant:
    """A tenant of the stack, its key, and the async client carrying it."""

    id: str
    key: str
    client: AsyncMeetMindClient


@pytest.fixture
async def stack_tenant(stack: LocalStack) -> AsyncIterator[StackTenant]:
    """A fresh tenant of the stack with an API key and a client."""
    created = await stack.meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    key = await stack.meetmind.create_api_key(created.id)
    async with AsyncMeetMindClient(stack.api_url, api_key=key.secret, timeout=20) as mm:
        yield StackTenant(id=created.id, key=key.secret, client=mm)


@pytest.fixture
def meeting_id() -> str:
    """A fresh Zoom meeting number (the PostgreSQL database is shared by the whole run)."""
    return str(80_000_000_000 + secrets.randbelow(9_999_999_999))


async def install_zoom(client: AsyncMeetMindClient) -> httpx.Response:
    """What the user's browser does with the client's install link: consent, then the callback."""
    link = await client.zoom_authorize_url()
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        consent = await browser.get(link.url)
        assert consent.status_code in (302, 303, 307), consent.text
        callback = await browser.get(consent.headers["location"])
    assert callback.status_code == 200, callback.text
    return callback
