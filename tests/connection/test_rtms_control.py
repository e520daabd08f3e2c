"""RTMS start/stop/pause/resume from the backend, through Zoom's REST API (the simulator)."""

from __future__ import annotations

import httpx
import pytest

from meetmind.local import LocalStack, connect_zoom
from meetmind.sim.rest import RestFault
from meetmind.zoom.retry import RetryPolicy
from tests.connection.conftest import Tenant
from tests.connection.helpers import webhook_delivered


async def new_session(tenant: Tenant, meeting_id: int) -> dict[str, object]:
    created = await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    assert created.status_code == 201, created.text
    session: dict[str, object] = created.json()
    return session


async def test_start_pause_resume_stop(stack: LocalStack, tenant: Tenant, meeting_id: int) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    url = f"/api/v1/sdk/sessions/{session['id']}"
    mark = stack.sim.record.last_seq

    started = await tenant.http.post(f"{url}/rtms/start")
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["zoom"] == {
        "action": "start",
        "status_code": 204,
        "attempts": 1,
        "tracking_id": None,
    }
    assert body["session"]["rtms_start_requested_by"].startswith("api_key:")
    assert body["session"]["rtms_start_requested_at"] is not None
    assert body["session"]["status"] in {"rtms_start_requested", "listening"}
    calls = stack.sim.record.entries(channel="rest", since=mark)
    assert [c.kind for c in calls] == [f"PATCH /v2/live_meetings/{meeting_id}/rtms_app/status"]

    await webhook_delivered(stack, "meeting.rtms_started", since=mark)
    listening = (await tenant.http.get(url)).json()
    assert listening["status"] == "listening"
    assert listening["rtms_stream_id"]
    assert listening["meeting_uuid"]

    paused = (await tenant.http.post(f"{url}/rtms/pause")).json()
    assert paused["session"]["status"] == "paused"
    again = await tenant.http.post(f"{url}/rtms/pause")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    resumed = (await tenant.http.post(f"{url}/rtms/resume")).json()
    assert resumed["session"]["status"] == "listening"

    mark = stack.sim.record.last_seq
    stopped = await tenant.http.post(f"{url}/rtms/stop")
    assert stopped.status_code == 200, stopped.text
    await webhook_delivered(stack, "meeting.rtms_stopped", since=mark)
    ended = (await tenant.http.get(url)).json()
    assert ended["status"] == "ended"
    actions = [
        e.data.get("action")
        for e in stack.sim.record.entries(channel="rest")
        if "rtms_app/status" in e.kind
    ]
    assert len(actions) == 4


@pytest.mark.parametrize(
    ("status", "action"),
    [("created", "pause"), ("created", "resume"), ("created", "stop")],
)
async def test_actions_not_allowed_in_the_state_are_409_without_calling_zoom(
    stack: LocalStack, tenant: Tenant, meeting_id: int, status: str, action: str
) -> None:
    await connect_zoom(tenant.http)
    session = await new_session(tenant, meeting_id)
    mark = stack.sim.record.last_seq
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/{action}")
    assert answer.status_code == 409
    assert answer.json()["error"]["details"] == {"from": status, "action": action}
    assert stack.sim.record.entries(channel="rest", since=mark) == []


async def test_unknown_action_and_foreign_session(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    session = await new_session(tenant, meeting_id)
    bad = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/explode")
    assert bad.status_code == 422
    other = await stack.meetmind.create_tenant("other-" + str(session["id"]))
    key = await stack.meetmind.create_api_key(other.id)
    async with httpx.AsyncClient(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {key.secret}"}
    ) as stranger:
        answer = await stranger.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 404


async def test_not_connected_is_409(stack: LocalStack, tenant: Tenant, meeting_id: int) -> None:
    session = await new_session(tenant, meeting_id)
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "zoom_not_connected"
    assert (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()[
        "status"
    ] == "created"


async def test_zoom_errors_map_to_domain_errors(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    not_live = await new_session(tenant, meeting_id)
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{not_live['id']}/rtms/start")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "zoom_meeting_not_live"
    assert error["details"]["zoom_code"] == 3001

    stack.sim.create_meeting("standup", meeting_id=meeting_id + 1, host_user_id="someone-else")
    not_host = await new_session(tenant, meeting_id + 1)
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{not_host['id']}/rtms/start")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "rtms_not_allowed"
    assert answer.json()["error"]["details"]["zoom_code"] == 2308
    # Nothing changed on either session.
    for session in (not_live, not_host):
        read = (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()
        assert read["status"] == "created"
        assert read["rtms_start_requested_at"] is None


async def test_429_is_retried_honouring_retry_after(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    stack.sim.rest_faults.add(RestFault(status=429, count=2, retry_after=0))
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 200, answer.text
    assert answer.json()["zoom"]["attempts"] == 3


async def test_persistent_5xx_gives_up_with_502(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    stack.meetmind.zoom._api._policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    stack.sim.rest_faults.add(RestFault(status=503, count=10))
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "zoom_unavailable"
    assert answer.json()["error"]["details"]["zoom_status"] == 503
    patches = [e for e in stack.sim.record.entries(channel="rest") if e.kind.startswith("PATCH")]
    assert len(patches) == 3
    assert (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()[
        "status"
    ] == "created"


async def test_401_refreshes_once_and_retries(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    stack.sim.rest_faults.add(RestFault(status=401, count=1))
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 200, answer.text
    assert stack.meetmind.zoom.tokens.refreshes == 1
    assert len(stack.sim.record.entries(channel="oauth", kind="token.refresh_token")) == 1


async def test_401_twice_asks_for_reauthorization(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    stack.sim.rest_faults.add(RestFault(status=401, count=2))
    answer = await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "zoom_reauthorization_required"
    assert stack.meetmind.zoom.tokens.refreshes == 1


async def test_network_failures_are_clear_errors(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = await new_session(tenant, meeting_id)
    url = f"/api/v1/sdk/sessions/{session['id']}/rtms/start"
    api = stack.meetmind.zoom._api
    real_base = api._base_url
    api._base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    refused = await tenant.http.post(url)
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "zoom_unavailable"
    assert refused.json()["error"]["details"]["cause"] == "network"

    api._base_url = real_base
    stack.sim.rest_faults.add(RestFault(status=0, count=1, delay_s=20))  # 1 s real
    real_http = api._http
    api._http = httpx.AsyncClient(timeout=0.2)
    try:
        slow = await tenant.http.post(url)
    finally:
        await api._http.aclose()
        api._http = real_http
    assert slow.status_code == 504
    assert slow.json()["error"]["details"]["cause"] == "timeout"
    assert (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()[
        "status"
    ] == "created"
