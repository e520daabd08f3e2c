"""The SDK over real storage: SQLite and PostgreSQL run the same tests."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text

from meetmind import (
    AuthenticationError,
    ConflictError,
    IllegalTransitionError,
    InvalidInputError,
    MeetMind,
    NewTranscriptTurn,
    NotFoundError,
    SessionStatus,
    TurnRole,
)


def unique(name: str) -> str:
    """Tenant names are unique per database, and the PostgreSQL one is shared by the run."""
    return f"{name}-{secrets.token_hex(4)}"


def turn(
    key: str, start_ms: int, text_: str = "hello", speaker: str = "16778240"
) -> NewTranscriptTurn:
    return NewTranscriptTurn(
        idempotency_key=key,
        text=text_,
        start_ms=start_ms,
        end_ms=start_ms + 900,
        speaker_id=speaker,
        speaker_name="Alice",
        language="en",
    )


async def test_session_lifecycle(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(
        meeting_id="812 3456 7890", wake_words=["Hey Bot"], agent_name="Bot"
    )
    assert session.status is SessionStatus.CREATED
    assert session.meeting_id == "81234567890"
    assert session.wake_words == ("Hey Bot",)
    assert session.created_at.tzinfo is not None

    moved = await tenant.set_status(session.id, SessionStatus.RTMS_START_REQUESTED)
    assert moved.status is SessionStatus.RTMS_START_REQUESTED
    moved = await tenant.set_status(session.id, SessionStatus.LISTENING)
    moved = await tenant.set_status(session.id, SessionStatus.PAUSED)
    ended = await tenant.end_session(session.id)
    assert ended.status is SessionStatus.ENDED
    assert ended.ended_at is not None
    with pytest.raises(IllegalTransitionError):
        await tenant.end_session(session.id)
    assert (await tenant.get_session(session.id)).status is SessionStatus.ENDED


async def test_failure_keeps_its_reason(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(meeting_id="81234567890")
    failed = await tenant.set_status(session.id, SessionStatus.FAILED, reason="stop_reason 18")
    assert failed.failure_reason == "stop_reason 18"
    retried = await tenant.set_status(session.id, SessionStatus.RTMS_START_REQUESTED)
    assert retried.failure_reason is None


async def test_tenants_never_see_each_other(meetmind: MeetMind) -> None:
    acme = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    globex = meetmind.tenant((await meetmind.create_tenant(unique("globex"))).id)
    session = await acme.create_session(meeting_id="81234567890")
    await acme.append_transcript(session.id, [turn("k1", 1000)])

    with pytest.raises(NotFoundError):
        await globex.get_session(session.id)
    with pytest.raises(NotFoundError):
        await globex.transcript(session.id)
    with pytest.raises(NotFoundError):
        await globex.append_transcript(session.id, [turn("k2", 2000)])
    with pytest.raises(NotFoundError):
        await globex.end_session(session.id)
    with pytest.raises(NotFoundError):
        await globex.delete_session(session.id)
    assert (await globex.list_sessions()).items == []
    assert [t.id for t in (await acme.transcript(session.id)).items] != []
    assert (await acme.get_session(session.id)).status is SessionStatus.CREATED


async def test_append_is_idempotent(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(meeting_id="81234567890")
    assert await tenant.append_transcript(session.id, [turn("a", 1000), turn("b", 2000)]) == 2
    assert await tenant.append_transcript(session.id, [turn("b", 2000), turn("c", 3000)]) == 1
    assert await tenant.append_transcript(session.id, [turn("a", 1000, "changed")]) == 0
    page = await tenant.transcript(session.id)
    assert [(t.idempotency_key, t.text) for t in page.items] == [
        ("a", "hello"),
        ("b", "hello"),
        ("c", "hello"),
    ]


async def test_concurrent_appends_of_the_same_turns_store_each_once(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(meeting_id="81234567890")
    batch = [turn(f"turn-{i}", 1000 * i) for i in range(50)]
    results = await asyncio.gather(*(tenant.append_transcript(session.id, batch) for _ in range(8)))
    assert sum(results) == 50
    page = await tenant.transcript(session.id, limit=500)
    assert len(page.items) == 50


async def test_transcript_pages_in_speaking_order(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(meeting_id="81234567890")
    # Arrival order differs from speaking order (a reconnect burst), and two turns share a start.
    starts = [5000, 1000, 3000, 3000, 2000, 4000, 6000]
    await tenant.append_transcript(session.id, [turn(f"k{i}", s) for i, s in enumerate(starts)])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = await tenant.transcript(session.id, after=cursor, limit=3)
        seen.extend(t.start_ms for t in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(starts)
    assert pages == 3
    # Polling from the last position sees only what arrives later.
    await tenant.append_transcript(session.id, [turn("late", 7000, "late turn")])
    later = await tenant.transcript(session.id, after=page.position)
    assert [t.text for t in later.items] == ["late turn"]
    assert all(t.role is TurnRole.PARTICIPANT for t in later.items)


async def test_listing_filters_and_pages(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    created = [await tenant.create_session(meeting_id=f"81234567{i:03d}") for i in range(5)]
    await tenant.end_session(created[1].id)
    first = await tenant.list_sessions(limit=2)
    assert [s.id for s in first.items] == [created[4].id, created[3].id]
    rest = await tenant.list_sessions(limit=10, cursor=first.next_cursor)
    assert [s.id for s in rest.items] == [created[2].id, created[1].id, created[0].id]
    assert rest.next_cursor is None
    ended = await tenant.list_sessions(status="ended")
    assert [s.id for s in ended.items] == [created[1].id]
    with pytest.raises(InvalidInputError) as info:
        await tenant.list_sessions(status="sleeping")
    assert info.value.field == "status"
    with pytest.raises(InvalidInputError) as info:
        await tenant.list_sessions(limit=0)
    assert info.value.field == "limit"


async def test_delete_removes_everything_recorded(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    keep = await tenant.create_session(meeting_id="81234567890")
    gone = await tenant.create_session(meeting_id="81234567891")
    await tenant.append_transcript(keep.id, [turn("a", 1)])
    await tenant.append_transcript(gone.id, [turn("a", 1), turn("b", 2)])
    await tenant.delete_session(gone.id)
    with pytest.raises(NotFoundError):
        await tenant.get_session(gone.id)
    async with meetmind.database.transaction() as db:
        left = await db.scalar(
            text("SELECT count(*) FROM transcript_turns WHERE session_id = :s"), {"s": gone.id}
        )
    assert left == 0
    assert len((await tenant.transcript(keep.id)).items) == 1


async def test_rejected_input_changes_nothing(meetmind: MeetMind) -> None:
    tenant = meetmind.tenant((await meetmind.create_tenant(unique("acme"))).id)
    session = await tenant.create_session(meeting_id="81234567890")
    await tenant.append_transcript(session.id, [turn("a", 1000)])
    bad = NewTranscriptTurn(idempotency_key="b", text="x", start_ms=5, end_ms=1)
    with pytest.raises(InvalidInputError) as info:
        await tenant.append_transcript(session.id, [turn("c", 2000), bad])
    assert info.value.field == "turns[1].end_ms"
    assert [t.idempotency_key for t in (await tenant.transcript(session.id)).items] == ["a"]


async def test_api_keys(meetmind: MeetMind) -> None:
    tenant = await meetmind.create_tenant(unique("acme"))
    key = await meetmind.create_api_key(tenant.id)
    assert key.secret.startswith("mm_")
    assert key.secret not in repr(key)
    assert (await meetmind.authenticate(key.secret)).tenant_id == tenant.id
    for bad in ["", "mm_unknown", "Bearer x", key.secret + "x"]:
        with pytest.raises(AuthenticationError):
            await meetmind.authenticate(bad)
    async with meetmind.database.transaction() as db:
        stored = (
            (
                await db.execute(
                    text("SELECT key_hash FROM api_keys WHERE tenant_id = :t"), {"t": tenant.id}
                )
            )
            .scalars()
            .all()
        )
    assert key.secret not in " ".join(stored)
    assert await meetmind.revoke_api_key(tenant.id, key.id)
    with pytest.raises(AuthenticationError):
        await meetmind.authenticate(key.secret)


async def test_tenant_names_are_unique(meetmind: MeetMind) -> None:
    name = unique("acme")
    await meetmind.create_tenant(name)
    with pytest.raises(ConflictError):
        await meetmind.create_tenant(name)
    assert (await meetmind.get_or_create_tenant(name)).name == name
