"""Zoom connection and RTMS control through the client, against the simulator stack."""

from __future__ import annotations

import asyncio

import pytest

from meetmind.client import (
    AuthorizeLink,
    ConflictError,
    Disconnection,
    Installation,
    MeetMindClient,
    NotFoundError,
    RtmsControlResult,
    ZoomError,
    ZoomResult,
)
from meetmind.local import LocalStack
from tests.client.conftest import StackTenant, install_zoom
from tests.connection.helpers import webhook_delivered


async def test_connect_zoom_then_disconnect(stack: LocalStack, stack_tenant: StackTenant) -> None:
    client = stack_tenant.client
    with pytest.raises(NotFoundError):
        await client.zoom_installation()

    link = await client.zoom_authorize_url()
    assert isinstance(link, AuthorizeLink)
    assert link.url.startswith(stack.sim.oauth_base_url + "/oauth/authorize")
    assert link.expires_at.tzinfo is not None

    await install_zoom(client)
    installation = await client.zoom_installation()
    assert isinstance(installation, Installation)
    assert installation.status == "active"
    assert installation.token_stored is True
    assert installation.zoom_user_id == stack.sim.user.id
    assert installation.zoom_account_id == stack.sim.user.account_id
    assert "meeting:update:participant_rtms_app_status" in installation.scopes
    assert installation.access_expires_at is not None

    gone = await client.zoom_disconnect()
    assert gone == Disconnection(deleted=True, revoked_at_zoom=True)
    with pytest.raises(NotFoundError):
        await client.zoom_installation()


async def test_start_pause_resume_stop(
    stack: LocalStack, stack_tenant: StackTenant, meeting_id: str
) -> None:
    client = stack_tenant.client
    session = await client.create_session(meeting_id)
    with pytest.raises(ConflictError) as not_connected:
        await client.start_rtms(session.id)
    assert not_connected.value.code == "zoom_not_connected"

    await install_zoom(client)
    with pytest.raises(ConflictError) as not_live:
        await client.start_rtms(session.id)
    assert not_live.value.code == "zoom_meeting_not_live"
    assert not_live.value.details["zoom_code"] == 3001

    stack.sim.create_meeting("standup", meeting_id=int(meeting_id))
    mark = stack.sim.record.last_seq
    started = await client.start_rtms(session.id, participant_user_id=stack.sim.user.id)
    assert isinstance(started, RtmsControlResult)
    assert started.zoom == ZoomResult(action="start", status_code=204, attempts=1, tracking_id=None)
    assert started.session.id == session.id
    assert started.session.status in {"rtms_start_requested", "listening"}
    assert started.session.rtms_start_requested_by is not None
    assert started.session.rtms_start_requested_by.startswith("api_key:")
    assert started.session.rtms_start_requested_at is not None
    await webhook_delivered(stack, "meeting.rtms_started", since=mark)
    assert (await client.get_session(session.id)).status == "listening"

    paused, zoom = await client.pause_rtms(session.id)
    assert (paused.status, zoom.action) == ("paused", "pause")
    with pytest.raises(ConflictError) as again:
        await client.pause_rtms(session.id)
    assert again.value.code == "illegal_transition"
    assert again.value.details == {"from": "paused", "action": "pause"}
    resumed, zoom = await client.resume_rtms(session.id)
    assert (resumed.status, zoom.action) == ("listening", "resume")

    mark = stack.sim.record.last_seq
    stopped, zoom = await client.stop_rtms(session.id)
    assert zoom.action == "stop"
    await webhook_delivered(stack, "meeting.rtms_stopped", since=mark)
    assert (await client.get_session(session.id)).status == "ended"


async def test_zoom_refusals_are_zoom_errors(
    stack: LocalStack, stack_tenant: StackTenant, meeting_id: str
) -> None:
    client = stack_tenant.client
    await install_zoom(client)
    stack.sim.create_meeting("standup", meeting_id=int(meeting_id), host_user_id="someone-else")
    session = await client.create_session(meeting_id)
    with pytest.raises(ZoomError) as refused:
        await client.start_rtms(session.id)
    assert (refused.value.status, refused.value.code) == (403, "rtms_not_allowed")
    assert refused.value.zoom_code == 2308
    assert (await client.get_session(session.id)).status == "created"

    # The participant is passed on: Zoom refuses a stranger even in one's own meeting.
    stack.sim.create_meeting("standup", meeting_id=int(meeting_id) + 1)
    own = await client.create_session(str(int(meeting_id) + 1))
    with pytest.raises(ZoomError) as stranger:
        await client.start_rtms(own.id, participant_user_id="stranger")
    assert stranger.value.zoom_code == 2308


async def test_sync_client_controls_rtms(
    stack: LocalStack, stack_tenant: StackTenant, meeting_id: str
) -> None:
    stack.sim.create_meeting("standup", meeting_id=int(meeting_id))

    with MeetMindClient(stack.api_url, api_key=stack_tenant.key, timeout=20) as sync:
        link = await asyncio.to_thread(sync.zoom_authorize_url)
        assert link.url.startswith(stack.sim.oauth_base_url)
        await install_zoom(stack_tenant.client)
        installation = await asyncio.to_thread(sync.zoom_installation)
        assert installation.status == "active"

        session = await asyncio.to_thread(sync.create_session, meeting_id)
        mark = stack.sim.record.last_seq
        started, zoom = await asyncio.to_thread(sync.start_rtms, session.id)
        assert zoom.status_code == 204
        await webhook_delivered(stack, "meeting.rtms_started", since=mark)

        def pause_resume_stop() -> list[str]:
            return [
                sync.pause_rtms(session.id).session.status,
                sync.resume_rtms(session.id).session.status,
                sync.stop_rtms(session.id).zoom.action,
            ]

        assert await asyncio.to_thread(pause_resume_stop) == ["paused", "listening", "stop"]
        gone = await asyncio.to_thread(sync.zoom_disconnect)
        assert gone.deleted is True
