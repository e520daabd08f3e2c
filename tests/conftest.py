"""Shared fixtures: databases (SQLite and PostgreSQL), the SDK, and the API on a real socket.

PostgreSQL tests use ``MEETMIND_TEST_POSTGRES_URL`` (default: the local server's ``test``
database). Each test run creates its own database there and drops it afterwards, so runs never
see each other's rows. When the server is unreachable the PostgreSQL variants are skipped,
unless ``MEETMIND_REQUIRE_SERVICES=1`` (as in CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app
from meetmind.store.db import Database
from meetmind.store.vault import generate_key_spec

POSTGRES_URL = os.environ.get("MEETMIND_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("MEETMIND_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} unavailable: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def _server_dsn(database: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run (dropped at the end)."""
    name = f"meetmind_test_{os.getpid()}_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        database = Database(_server_dsn(name).replace("postgresql://", "postgresql+asyncpg://"))
        try:
            await database.migrate()
        finally:
            await database.dispose()

    async def drop() -> None:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError) as exc:
        _unavailable("PostgreSQL", exc)
    yield _server_dsn(name)
    asyncio.run(drop())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs twice: on a fresh SQLite file and on the run's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meetmind.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test database, with no .env file read."""
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        encryption_keys=generate_key_spec("test"),
        _env_file=None,
    )


@pytest.fixture
async def meetmind(settings: Settings) -> AsyncIterator[MeetMind]:
    """An open SDK (SQLite migrates itself; the PostgreSQL database is migrated once per run)."""
    async with MeetMind(settings) as mm:
        yield mm


@dataclass
class ApiTenant:
    """A tenant with a key and an HTTP client that sends it."""

    id: str
    key: str
    http: httpx.AsyncClient


@pytest.fixture
async def api_url(meetmind: MeetMind) -> AsyncIterator[str]:
    """The API served on a real socket."""
    async with serve_app(create_app(meetmind, manage_lifecycle=False)) as url:
        yield url


async def _tenant(meetmind: MeetMind, api_url: str) -> AsyncIterator[ApiTenant]:
    tenant = await meetmind.create_tenant(f"tenant-{secrets.token_hex(4)}")
    key = await meetmind.create_api_key(tenant.id)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=10) as http:
        yield ApiTenant(id=tenant.id, key=key.secret, http=http)


@pytest.fixture
async def tenant_a(meetmind: MeetMind, api_url: str) -> AsyncIterator[ApiTenant]:
    """A first tenant, talking to the API over HTTP."""
    async for tenant in _tenant(meetmind, api_url):
        yield tenant


@pytest.fixture
async def tenant_b(meetmind: MeetMind, api_url: str) -> AsyncIterator[ApiTenant]:
    """A second tenant, to prove isolation."""
    async for tenant in _tenant(meetmind, api_url):
        yield tenant
