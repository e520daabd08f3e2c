"""Fencing tokens: only the current owner of a stream may write what the stream produces.

A worker that takes a stream over gets a token larger than every earlier one (from Redis) and
records it on the session row. Every ingest transaction locks the session row and compares its
token with the row's: a worker that lost its lease (paused, partitioned, presumed dead) holds an
older token and its writes are refused, however late they arrive.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meetmind.store.schema import SessionRow

__all__ = ["current_fences", "take_fence"]


async def take_fence(db: AsyncSession, session_id: str, token: int) -> bool:
    """Record ``token`` as the session's fence if it is newer; False if a newer one is there."""
    result = await db.execute(
        update(SessionRow)
        .where(SessionRow.id == session_id, SessionRow.stream_fence < token)
        .values(stream_fence=token)
    )
    return bool(getattr(result, "rowcount", 0))


async def current_fences(db: AsyncSession, session_ids: Iterable[str]) -> dict[str, int]:
    """The fence of each session (call after locking the rows, in the same transaction)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    rows = await db.execute(
        select(SessionRow.id, SessionRow.stream_fence).where(SessionRow.id.in_(ids))
    )
    return {session_id: int(fence) for session_id, fence in rows}
