"""OAuth flows, the REST API and the webhook sender, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from meetmind.sim import RestFault, SimConfig, Simulator
from meetmind.sim.http import HttpServer
from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.rtms.protocol import StreamState
from meetmind.zoom.webhooks import verify_webhook_signature

from .conftest import RawSession, SimFactory, WebhookReceiver, join

REDIRECT = "https://app.example.com/zoom/callback"


def _basic(sim: Simulator, secret: str | None = None) -> dict[str, str]:
    raw = f"{sim.client_id}:{secret or sim.client_secret}".encode()
    return {"authorization": "Basic " + base64.b64encode(raw).decode()}


async def _authorize(client: httpx.AsyncClient, sim: Simulator, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": sim.client_id,
        "redirect_uri": REDIRECT,
        "state": "s1",
        **extra,
    }
    resp = await client.get(f"{sim.oauth_base_url}/oauth/authorize", params=params)
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


async def test_pkce_code_flow_rotation_and_revoke(sim: Simulator) -> None:
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    token_url = f"{sim.oauth_base_url}/oauth/token"
    async with httpx.AsyncClient() as client:
        code = await _authorize(client, sim, code_challenge=challenge, code_challenge_method="S256")
        bad = await client.post(
            token_url,
            headers=_basic(sim),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": "w" * 64,
            },
        )
        assert bad.status_code == 400 and bad.json() == {
            "reason": "Invalid code_verifier",
            "error": "invalid_grant",
        }
        ok = await client.post(
            token_url,
            headers=_basic(sim),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        tokens = ok.json()
        assert (
            ok.status_code == 200
            and tokens["token_type"] == "bearer"
            and tokens["expires_in"] == 3599
        )
        assert (
            tokens["api_url"] == sim.http_base_url
            and "meeting:read:meeting_transcript" in tokens["scope"]
        )
        replay = await client.post(
            token_url,
            headers=_basic(sim),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        me = await client.get(
            f"{sim.api_base_url}/users/me",
            headers={"authorization": f"Bearer {tokens['access_token']}"},
        )
        assert me.status_code == 200 and me.json()["id"] == sim.user.id
        rotated = (
            await client.post(
                token_url,
                headers=_basic(sim),
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            )
        ).json()
        assert rotated["refresh_token"] != tokens["refresh_token"]
        old = await client.post(
            token_url,
            headers=_basic(sim),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
        revoked = await client.post(
            f"{sim.oauth_base_url}/oauth/revoke",
            headers=_basic(sim),
            data={"token": rotated["access_token"]},
        )
        assert revoked.json() == {"status": "success"}
        after = await client.get(
            f"{sim.api_base_url}/users/me",
            headers={"authorization": f"Bearer {rotated['access_token']}"},
        )
        assert after.status_code == 401 and after.json()["code"] == 124
        dead = await client.post(
            token_url,
            headers=_basic(sim),
            data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        )
        assert dead.status_code == 400


@pytest.mark.parametrize(
    ("data", "secret", "status", "error"),
    [
        (
            {"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT},
            None,
            400,
            "invalid_request",
        ),
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "x"}, "wrong", 401, "invalid_client"),
    ],
)
async def test_token_errors(
    sim: Simulator, data: dict[str, str], secret: str | None, status: int, error: str
) -> None:
    async with httpx.AsyncClient() as client:
        resp = await client.post(
            f"{sim.oauth_base_url}/oauth/token", headers=_basic(sim, secret), data=data
        )
    assert resp.status_code == status and resp.json()["error"] == error and resp.json()["reason"]


async def test_code_expiry_redirect_mismatch_and_token_expiry(make_sim: SimFactory) -> None:
    sim = await make_sim(config=SimConfig(access_token_ttl_s=60))
    token_url = f"{sim.oauth_base_url}/oauth/token"
    async with httpx.AsyncClient() as client:
        code = await _authorize(client, sim)
        mismatch = await client.post(
            token_url,
            headers=_basic(sim),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT + "x"},
        )
        assert mismatch.json()["reason"] == "Redirect URI mismatch."
        sim.clock.advance(301)
        expired = await client.post(
            token_url,
            headers=_basic(sim),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        )
        assert expired.json() == {
            "reason": "Authorization code has expired",
            "error": "invalid_grant",
        }
        bad = await client.get(
            f"{sim.oauth_base_url}/oauth/authorize",
            params={"response_type": "code", "client_id": "nope", "redirect_uri": REDIRECT},
        )
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
        tokens = sim.issue_tokens()
        assert tokens["expires_in"] == 60
        auth = {"authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get(f"{sim.api_base_url}/users/me", headers=auth)).status_code == 200
        sim.clock.advance(61)
        assert (await client.get(f"{sim.api_base_url}/users/me", headers=auth)).json() == {
            "code": 124,
            "message": "Invalid access token.",
        }


async def test_rest_rtms_status_errors_and_lifecycle(
    sim: Simulator, receiver: WebhookReceiver, sessions: list[RawSession]
) -> None:
    meeting = sim.create_meeting("standup")
    other = sim.create_meeting("standup", host_user_id="someone-else")
    auth = {"authorization": f"Bearer {sim.issue_tokens()['access_token']}"}
    body = {"action": "start", "settings": {"client_id": sim.client_id}}
    url = f"{sim.api_base_url}/live_meetings/{meeting.id}/rtms_app/status"
    async with httpx.AsyncClient() as client:
        assert (await client.patch(url, json=body)).json()["code"] == 124
        assert (
            await client.patch(
                f"{sim.api_base_url}/live_meetings/123/rtms_app/status", json=body, headers=auth
            )
        ).json()["code"] == 3001
        assert (await client.patch(url, json={"action": "jump"}, headers=auth)).json()[
            "code"
        ] == 300
        assert (
            await client.patch(
                url, json={"action": "start", "settings": {"client_id": "x"}}, headers=auth
            )
        ).json()["code"] == 2310
        wrong_host = await client.patch(
            f"{sim.api_base_url}/live_meetings/{other.id}/rtms_app/status", json=body, headers=auth
        )
        assert wrong_host.status_code == 400 and wrong_host.json()["code"] == 2308
        start = await client.patch(url, json=body, headers=auth)
        assert start.status_code == 204 and start.content == b""
        started = (await receiver.wait("meeting.rtms_started"))[0]
        payload = started.body["payload"]
        assert payload["meeting_uuid"] == meeting.uuid and payload["server_urls"].startswith(
            "ws://"
        )
        assert (
            isinstance(started.body["event_ts"], int)
            and started.body["event_ts"] > 1_600_000_000_000
        )
        verify_webhook_signature(
            sim.webhook_secret_token,
            started.headers["x-zm-request-timestamp"],
            started.headers["x-zm-signature"],
            started.raw,
            now=sim.clock.time(),
        )
        stream = sim.ctx.streams[payload["rtms_stream_id"]]
        s = await join(sim, stream)
        sessions.append(s)
        await s.wait(lambda: s.of("signaling", p.StreamStateUpdate))
        assert (
            await client.patch(url, json={**body, "action": "pause"}, headers=auth)
        ).status_code == 204
        assert (await client.patch(url, json={**body, "action": "pause"}, headers=auth)).json()[
            "code"
        ] == 2310
        assert (
            await client.patch(url, json={**body, "action": "resume"}, headers=auth)
        ).status_code == 204
        states = await s.wait(
            lambda: (
                [u.state for u in s.of("signaling", p.StreamStateUpdate)]
                if len(s.of("signaling", p.StreamStateUpdate)) >= 3
                else None
            )
        )
        assert states[1:3] == [StreamState.PAUSED, StreamState.RESUMED]
        sess = [u.state for u in s.of("signaling", p.SessionStateUpdate)]
        assert sess[1:3] == [p.SessionState.PAUSED, p.SessionState.RESUMED]
        assert (
            await client.patch(url, json={**body, "action": "stop"}, headers=auth)
        ).status_code == 204
        stopped = (await receiver.wait("meeting.rtms_stopped"))[0]
        assert stopped.body["payload"]["stop_reason"] == 2


async def test_rest_fault_injection(sim: Simulator) -> None:
    auth = {"authorization": f"Bearer {sim.issue_tokens()['access_token']}"}
    sim.rest_faults.add(RestFault(status=429, count=2, retry_after=7))
    sim.rest_faults.add(RestFault(status=503))
    sim.rest_faults.add(RestFault(status=0, delay_s=20))
    async with httpx.AsyncClient() as client:
        me = f"{sim.api_base_url}/users/me"
        first, second = await client.get(me, headers=auth), await client.get(me, headers=auth)
        assert (
            first.status_code == second.status_code == 429 and first.headers["retry-after"] == "7"
        )
        assert (await client.get(me, headers=auth)).status_code == 503
        t0 = sim.clock.monotonic()
        slow = await client.get(me, headers=auth)
        assert slow.status_code == 200 and sim.clock.monotonic() - t0 >= 20
        assert (await client.get(me, headers=auth)).status_code == 200


async def _advance_after_attempt(sim: Simulator, attempt: int, seconds: float) -> None:
    """Jump the clock once the sender recorded ``attempt`` and went to sleep for the retry."""
    await sim.record.wait_for(lambda e: e.channel == "webhook" and e.data.get("attempt") == attempt)
    await asyncio.sleep(0.05)  # let the sender enter its retry sleep (real time)
    sim.clock.advance(seconds)


async def test_webhook_retries_follow_zooms_schedule(
    sim: Simulator, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [500, 500]
    meeting = sim.create_meeting("standup")
    sim.start_rtms(meeting)
    await _advance_after_attempt(sim, 0, 300)
    await receiver.wait("meeting.rtms_started", 2)
    await _advance_after_attempt(sim, 1, 1200)
    got = await receiver.wait("meeting.rtms_started", 3)
    assert got[0].body == got[2].body  # the same notification, re-signed per attempt
    await sim.record.wait_for(lambda e: e.channel == "webhook" and e.data.get("attempt") == 2)
    attempts = sim.record.entries(channel="webhook", kind="meeting.rtms_started")
    assert [(e.data["attempt"], e.data["delivered"]) for e in attempts] == [
        (0, False),
        (1, False),
        (2, True),
    ]
    assert attempts[1].t - attempts[0].t >= 300 and attempts[2].t - attempts[1].t >= 1200


async def test_webhook_timeout_counts_as_failure_and_duplicates(make_sim: SimFactory) -> None:
    sim = await make_sim(config=SimConfig(rtms_start_delay_s=0.1, webhook_timeout_real_s=0.2))
    rec = WebhookReceiver(secret=sim.webhook_secret_token, delay_real_s=[0.0, 0.5])
    server = HttpServer(rec.app(), "127.0.0.1", 0)
    await server.start()
    try:
        assert await sim.register_webhook(f"http://127.0.0.1:{server.port}/hook")
        meeting = sim.create_meeting("planning")  # 30 min: survives the 5-min clock jump
        sim.start_rtms(meeting)
        await rec.wait("meeting.rtms_started", 1)
        entry = await sim.record.wait_for(
            lambda e: e.kind == "meeting.rtms_started" and e.data.get("error") == "timeout"
        )
        assert entry.data["attempt"] == 0
        await _advance_after_attempt(sim, 0, 300)
        await sim.record.wait_for(
            lambda e: e.kind == "meeting.rtms_started" and e.data.get("delivered") is True
        )
        await sim.inject_fault(meeting, {"kind": "duplicate_webhook"})
        await sim.end_meeting(meeting)
        stopped = await rec.wait("meeting.rtms_stopped", 2)
        assert stopped[0].body == stopped[1].body
    finally:
        await server.stop()


async def test_url_validation_failure_is_reported(sim: Simulator) -> None:
    rec = WebhookReceiver(secret=sim.webhook_secret_token, validate_correctly=False)
    server = HttpServer(rec.app(), "127.0.0.1", 0)
    await server.start()
    try:
        assert not await sim.register_webhook(f"http://127.0.0.1:{server.port}/hook")
        challenge = rec.events("endpoint.url_validation")[0]
        assert "plainToken" in challenge.body["payload"]
        verify_webhook_signature(
            sim.webhook_secret_token,
            challenge.headers["x-zm-request-timestamp"],
            challenge.headers["x-zm-signature"],
            challenge.raw,
            now=sim.clock.time(),
        )
    finally:
        await server.stop()
