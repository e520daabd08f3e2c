"""A process stalled inside a PostgreSQL transaction cannot hold its locks for ever."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from meetmind.store.db import Database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LOCK = "SELECT pg_advisory_xact_lock(424242)"


async def test_postgres_ends_a_transaction_that_idles_with_locks(
    postgres_database_url: str,
) -> None:
    url = postgres_database_url.replace("postgresql://", "postgresql+asyncpg://")
    stalled, other = Database(url), Database(url)
    locked = asyncio.Event()

    async def stall() -> None:
        async with stalled.transaction() as db:
            await db.execute(text(LOCK))
            locked.set()
            await asyncio.sleep(8)  # the stall itself: no statement while holding the lock
            await db.execute(text("SELECT 1"))

    try:
        holder = asyncio.create_task(stall())
        await locked.wait()
        began = time.monotonic()
        async with asyncio.timeout(7), other.transaction() as db:
            await db.execute(text(LOCK))  # free once PostgreSQL ended the idle session
        waited = time.monotonic() - began
        assert 3 < waited < 7
        with pytest.raises(DBAPIError):
            await holder
    finally:
        await stalled.dispose()
        await other.dispose()
