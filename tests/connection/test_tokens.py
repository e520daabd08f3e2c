"""Fresh tokens: refresh ahead of expiry, single flight, rotation, invalid_grant."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from meetmind.domain.errors import ZoomNotConnectedError, ZoomReauthorizationRequiredError
from meetmind.local import LocalStack, connect_zoom
from meetmind.sdk import MeetMind
from meetmind.store.schema import ZoomInstallationRow
from meetmind.store.vault import generate_key_spec
from meetmind.zoom.tokens import TokenManager, token_context
from tests.connection.conftest import Tenant


def refreshes(stack: LocalStack) -> int:
    return len(stack.sim.record.entries(channel="oauth", kind="token.refresh_token"))


async def expire(stack: LocalStack, tenant_id: str, when: datetime | None) -> None:
    """Make the stored access token (look) expire at ``when``; None = unknown expiry."""
    async with stack.meetmind.database.transaction() as db:
        await db.execute(
            update(ZoomInstallationRow)
            .where(ZoomInstallationRow.tenant_id == tenant_id)
            .values(access_expires_at=when)
        )


async def stored_refresh_token(meetmind: MeetMind, tenant_id: str) -> str:
    async with meetmind.database.transaction() as db:
        row = await db.scalar(
            select(ZoomInstallationRow).where(ZoomInstallationRow.tenant_id == tenant_id)
        )
    assert row is not None and row.refresh_token_enc is not None
    return meetmind.keyring.decrypt(row.refresh_token_enc, token_context(row.id, "refresh_token"))


async def test_a_fresh_token_is_used_as_is(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    tokens = stack.meetmind.zoom.tokens
    first = await tokens.access_token(tenant.id)
    assert await tokens.access_token(tenant.id) == first
    assert refreshes(stack) == 0
    assert first.value in stack.sim.oauth._access


async def test_expired_token_is_refreshed_once_under_50_concurrent_callers(
    stack: LocalStack, tenant: Tenant
) -> None:
    await connect_zoom(tenant.http)
    tokens = stack.meetmind.zoom.tokens
    old = await tokens.access_token(tenant.id)
    await expire(stack, tenant.id, datetime.now(UTC) + timedelta(seconds=30))  # within the skew
    results = await asyncio.gather(*(tokens.access_token(tenant.id) for _ in range(50)))
    assert refreshes(stack) == 1
    assert len({r.value for r in results}) == 1
    assert results[0].value != old.value
    assert results[0].value in stack.sim.oauth._access


async def test_two_processes_share_one_refresh(stack: LocalStack, tenant: Tenant) -> None:
    """A second manager (another process's view of the same database) waits for the first."""
    await connect_zoom(tenant.http)
    other = TokenManager(
        stack.meetmind.database,
        stack.meetmind.keyring,
        stack.meetmind.zoom.tokens._oauth,
        stack.meetmind.clock,
    )
    await expire(stack, tenant.id, None)
    a, b = await asyncio.gather(
        stack.meetmind.zoom.tokens.access_token(tenant.id), other.access_token(tenant.id)
    )
    assert a.value == b.value
    assert refreshes(stack) == 1
    assert stack.sim.record.entries(channel="oauth", kind="token.refresh_token")


async def test_unknown_expiry_counts_as_expired(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    await expire(stack, tenant.id, None)
    token = await stack.meetmind.zoom.tokens.access_token(tenant.id)
    assert refreshes(stack) == 1
    assert token.value in stack.sim.oauth._access


async def test_rotation_keeps_working_and_never_reuses(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    seen: list[str] = []
    for _ in range(4):
        seen.append(await stored_refresh_token(stack.meetmind, tenant.id))
        await expire(stack, tenant.id, datetime.now(UTC))
        await stack.meetmind.zoom.tokens.access_token(tenant.id)
    assert refreshes(stack) == 4
    assert len(set(seen)) == 4  # a new refresh token every time
    for old in seen:  # each spent refresh token is dead at Zoom, and never sent again
        assert old not in stack.sim.oauth._refresh
    assert stack.sim.record.entries(channel="oauth", kind="token.error") == []


async def test_invalid_grant_marks_needs_reauth(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    for grant in stack.sim.oauth._grants:  # the user removed the app at Zoom
        stack.sim.oauth._revoke_grant(grant)
    await expire(stack, tenant.id, None)
    with pytest.raises(ZoomReauthorizationRequiredError):
        await stack.meetmind.zoom.tokens.access_token(tenant.id)
    installation = (await tenant.http.get("/api/v1/zoom/installation")).json()
    assert installation["status"] == "needs_reauth"
    session = await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": "81234567890"})
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session.json()['id']}/rtms/start")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "zoom_reauthorization_required"
    # One refresh was tried and refused; the dead grant was not tried again.
    errors = stack.sim.record.entries(channel="oauth", kind="token.error")
    assert [e.data["error"] for e in errors] == ["invalid_grant"]
    assert stack.meetmind.zoom.tokens.refreshes == 1
    await connect_zoom(tenant.http)  # installing again heals it
    assert (await tenant.http.get("/api/v1/zoom/installation")).json()["status"] == "active"


async def test_no_installation(stack: LocalStack, tenant: Tenant) -> None:
    with pytest.raises(ZoomNotConnectedError):
        await stack.meetmind.zoom.tokens.access_token(tenant.id)


async def test_key_rotation_reencrypts_every_row(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    before = await stack.meetmind.zoom.tokens.access_token(tenant.id)
    old_spec = stack.meetmind.settings.encryption_keys
    assert old_spec is not None
    new_spec = generate_key_spec("next")
    rotated_settings = stack.meetmind.settings.model_copy(
        update={"encryption_keys": SecretStr(f"{new_spec},{old_spec.get_secret_value()}")}
    )
    async with MeetMind(rotated_settings) as rotating:
        rotation = await rotating.rotate_encryption_keys()
    assert rotation.rewritten >= 1
    only_new = stack.meetmind.settings.model_copy(update={"encryption_keys": SecretStr(new_spec)})
    async with MeetMind(only_new) as fresh:
        token = await fresh.zoom.tokens.access_token(tenant.id)
        async with fresh.database.transaction() as db:
            row = await db.scalar(
                select(ZoomInstallationRow).where(ZoomInstallationRow.tenant_id == tenant.id)
            )
    assert token.value == before.value
    assert row is not None
    assert row.access_token_enc.startswith("v1:next:")
    assert row.refresh_token_enc is not None and row.refresh_token_enc.startswith("v1:next:")
