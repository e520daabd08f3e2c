"""Zoom's webhooks into MeetMind: only Zoom can drive them, once each."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import httpx
from sqlalchemy import func, select

from meetmind.local import LocalStack, connect_zoom
from meetmind.store.schema import SessionEventRow, SessionRow, WebhookReceiptRow
from meetmind.zoom.webhooks import sign_webhook
from tests.connection.conftest import Tenant
from tests.connection.helpers import webhook_delivered


def envelope(event: str, **payload: object) -> bytes:
    return json.dumps(
        {"event": event, "event_ts": int(time.time() * 1000), "payload": payload}
    ).encode()


def signed(stack: LocalStack, body: bytes, *, ts: int | None = None) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(time.time()))
    return {
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": sign_webhook(stack.sim.webhook_secret_token, timestamp, body),
        "content-type": "application/json",
    }


async def post(stack: LocalStack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(stack.webhook_url, content=body, headers=headers)


async def receipts(stack: LocalStack) -> int:
    async with stack.meetmind.database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(WebhookReceiptRow)) or 0)


def started(meeting_id: int | str, stream: str | None = None) -> bytes:
    return envelope(
        "meeting.rtms_started",
        meeting_uuid=f"qT0+{secrets.token_hex(6)}/x==",
        operator_id="op",
        rtms_stream_id=stream or secrets.token_hex(16),
        server_urls="ws://127.0.0.1:1/signaling",
        meeting_id=int(meeting_id),
    )


async def test_url_validation(stack: LocalStack) -> None:
    body = envelope("endpoint.url_validation", plainToken="qgg8vlvZRS6UYooatFL8Aw")
    answer = await post(stack, body, signed(stack, body))
    assert answer.status_code == 200
    expected = stack.sim.webhook_secret_token
    digest = hmac.new(expected.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": digest}
    # The simulator validated MeetMind's endpoint the same way at registration.
    validations = stack.sim.record.entries(channel="webhook", kind="endpoint.url_validation")
    assert validations[-1].data["validated"] is True


async def test_url_validation_is_no_signing_oracle(stack: LocalStack) -> None:
    forged_message = 'v0:1700000000:{"event":"meeting.rtms_started"}'
    body = envelope("endpoint.url_validation", plainToken=forged_message)
    answer = await post(stack, body, {"content-type": "application/json"})
    assert answer.status_code == 400
    assert "encryptedToken" not in answer.text


async def test_a_signed_start_drives_the_session(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    session = (
        await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    ).json()
    body = started(meeting_id)
    answer = await post(stack, body, signed(stack, body))
    assert answer.json() == {"status": "accepted"}
    await stack.meetmind.zoom_inbox.drained()
    read = (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()
    assert read["status"] == "listening"
    assert read["meeting_uuid"] == json.loads(body)["payload"]["meeting_uuid"]
    assert read["rtms_stream_id"] == json.loads(body)["payload"]["rtms_stream_id"]


async def test_tampered_wrong_and_stale_are_401_and_change_nothing(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    session = (
        await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    ).json()
    before = await receipts(stack)
    body = started(meeting_id)
    headers = signed(stack, body)
    tampered = body.replace(b"op", b"evil")
    wrong = {**headers, "x-zm-signature": "v0=" + "0" * 64}
    stale_ts = int(time.time()) - 303
    stale = signed(stack, body, ts=stale_ts)
    future = signed(stack, body, ts=int(time.time()) + 303)
    unsigned = {"content-type": "application/json"}
    for attempt_body, attempt_headers in [
        (tampered, headers),
        (body, wrong),
        (body, stale),
        (body, future),
        (body, unsigned),
    ]:
        answer = await post(stack, attempt_body, attempt_headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["code"] == "invalid_webhook_signature"
    assert await receipts(stack) == before
    read = (await tenant.http.get(f"/api/v1/sdk/sessions/{session['id']}")).json()
    assert read["status"] == "created"


async def test_duplicate_delivery_is_processed_once(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    session = (
        await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    ).json()
    before = await receipts(stack)
    body = started(meeting_id)
    headers = signed(stack, body)
    first = await post(stack, body, headers)
    second = await post(stack, body, headers)
    assert first.json() == {"status": "accepted"}
    assert second.json() == {"status": "duplicate"}
    await stack.meetmind.zoom_inbox.drained()
    async with stack.meetmind.database.transaction() as db:
        events = await db.scalar(
            select(func.count())
            .select_from(SessionEventRow)
            .where(SessionEventRow.session_id == session["id"])
        )
    assert events == 1
    assert await receipts(stack) == before + 1


async def test_simulator_duplicates_are_ignored(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    stack.sim.create_meeting("standup", meeting_id=meeting_id)
    session = (
        await tenant.http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    ).json()
    assert stack.sim.ctx.webhooks is not None
    stack.sim.ctx.webhooks.duplicate_next = 1
    mark = stack.sim.record.last_seq
    await tenant.http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    await stack.sim.record.wait_for(
        lambda e: (
            e.kind == "meeting.rtms_started" and e.data.get("copy") == 1 and "status" in e.data
        ),
        since=mark,
    )
    await webhook_delivered(stack, "meeting.rtms_started", since=mark)
    async with stack.meetmind.database.transaction() as db:
        kinds = (
            await db.scalars(
                select(SessionEventRow.type).where(SessionEventRow.session_id == session["id"])
            )
        ).all()
    # One start request and one (not two) rtms.started, whatever the stream recorded after.
    assert sorted(k for k in kinds if k.startswith("rtms.")) == ["rtms.control", "rtms.started"]


async def test_start_for_an_unknown_meeting_creates_nothing(stack: LocalStack) -> None:
    body = started(89999999999)
    answer = await post(stack, body, signed(stack, body))
    assert answer.status_code == 200
    await stack.meetmind.zoom_inbox.drained()
    async with stack.meetmind.database.transaction() as db:
        sessions = select(func.count()).where(SessionRow.meeting_id == "89999999999")
        assert await db.scalar(sessions) == 0
        receipt = await db.get(WebhookReceiptRow, hashlib.sha256(body).hexdigest())
    assert receipt is not None
    assert receipt.outcome == "rtms_started: no matching session"


async def test_app_deauthorized_deletes_the_tokens(
    stack: LocalStack, tenant: Tenant, meeting_id: int
) -> None:
    await connect_zoom(tenant.http)
    body = envelope(
        "app_deauthorized",
        account_id=stack.sim.user.account_id,
        user_id=stack.sim.user.id,
        signature="ignored",
        deauthorization_time="2026-11-25T06:00:00Z",
        client_id=stack.sim.client_id,
    )
    assert (await post(stack, body, signed(stack, body))).status_code == 200
    await stack.meetmind.zoom_inbox.drained()
    assert (await tenant.http.get("/api/v1/zoom/installation")).status_code == 404


async def test_malformed_and_oversized_bodies_are_400(stack: LocalStack) -> None:
    before = await receipts(stack)
    for body in [b"{not json", b"[1,2]", b'{"payload": {}}', b'{"event": "x", "payload": 3}']:
        answer = await post(stack, body, signed(stack, body))
        assert answer.status_code == 400, body
        assert answer.json()["error"]["code"] == "invalid_webhook_body"
        assert "Traceback" not in answer.text
    huge = b'{"event": "meeting.rtms_started", "payload": {"x": "' + b"a" * 70_000 + b'"}}'
    answer = await post(stack, huge, signed(stack, huge))
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["reason"] == "too_large"
    assert await receipts(stack) == before
