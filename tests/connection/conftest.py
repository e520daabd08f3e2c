"""A simulator and a MeetMind server wired together, with a tenant and its API client."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from meetmind.local import LocalStack, local_stack


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[LocalStack]:
    """Simulator (time x20) plus MeetMind on the test database, over real sockets."""
    async with local_stack(database_url=database_url, time_scale=20) as running:
        yield running


@dataclass
class Tenant:
    """A tenant of the stack and an HTTP client carrying its key."""

    id: str
    http: httpx.AsyncClient


@pytest.fixture
async def tenant(stack: LocalStack) -> AsyncIterator[Tenant]:
    """A fresh tenant with an API key."""
    created = await stack.meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    key = await stack.meetmind.create_api_key(created.id)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=20) as http:
        yield Tenant(id=created.id, http=http)


@pytest.fixture
def meeting_id() -> int:
    """A fresh Zoom meeting number (the PostgreSQL database is shared by the whole run)."""
    return 80_000_000_000 + secrets.randbelow(9_999_999_999)
