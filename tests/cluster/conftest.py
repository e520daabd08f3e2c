"""Scale-out fixtures: a Redis namespace of our own, a PostgreSQL database of our own."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from meetmind.store.db import Database
from tests.conftest import POSTGRES_URL, _server_dsn, _unavailable

REDIS_URL = os.environ.get("MEETMIND_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A Redis client; every key a test makes is under its own ``namespace``."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        _unavailable("Redis", exc)
    yield client
    await client.aclose()


@pytest.fixture
async def namespace(redis: Redis) -> AsyncIterator[str]:
    """A fresh key prefix, deleted afterwards."""
    name = f"mmtest-{secrets.token_hex(4)}"
    yield name
    keys = [key async for key in redis.scan_iter(match=f"{name}:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def cluster_database_url() -> Iterator[str]:
    """A PostgreSQL database for one cluster test alone (other tests' live sessions would be
    taken over by its workers otherwise)."""
    name = f"meetmind_cluster_{secrets.token_hex(4)}"

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
