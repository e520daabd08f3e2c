"""Reply bridges: the simulator bridge against a real Simulator, the webhook bridge signed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from meetmind.agent import BridgeMessage, ReplyBridge, SimulatorBridge, WebhookBridge
from meetmind.serving import serve_app
from meetmind.sim.simulator import Simulator
from meetmind.webhook_signing import WebhookVerificationError, generate_secret, verify


class FixedClock:
    """A wall clock frozen at one instant."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


# --- SimulatorBridge ---------------------------------------------------------------------


async def test_simulator_bridge_posts_chat_and_speech_into_the_meeting() -> None:
    async with Simulator(time_scale=50) as sim:
        meeting = sim.create_meeting("standup")
        async with SimulatorBridge(sim.admin_base_url) as bridge:
            assert isinstance(bridge, ReplyBridge)
            result = await bridge.deliver(
                BridgeMessage("ses_1", str(meeting.id), "Recap: ship on the 19th.", "Nova")
            )
            chat_only = await bridge.deliver(
                BridgeMessage("ses_1", str(meeting.id), "Noted.", "Nova", mode="chat")
            )
        async with httpx.AsyncClient() as client:
            posts = (await client.get(f"{sim.admin_base_url}/meetings/{meeting.id}/agent")).json()
    assert result.delivered and result.channels == ("chat", "speech")
    assert result.bridge == "simulator" and result.status_code == 200
    assert chat_only.delivered and chat_only.channels == ("chat",)
    assert [(p["kind"], p["text"], p["user_name"]) for p in posts["posts"]] == [
        ("chat", "Recap: ship on the 19th.", "Nova"),
        ("utterance", "Recap: ship on the 19th.", "Nova"),
        ("chat", "Noted.", "Nova"),
    ]


async def test_simulator_bridge_reports_an_unknown_meeting() -> None:
    async with Simulator(time_scale=50) as sim, SimulatorBridge(sim.admin_base_url) as bridge:
        result = await bridge.deliver(BridgeMessage("ses_1", "999", "hello", mode="speech"))
    assert not result.delivered
    assert result.detail == "http_404" and result.status_code == 404 and result.channels == ()


async def test_simulator_bridge_reports_a_refused_connection() -> None:
    async with serve_app(FastAPI(), lifespan="off") as base_url:
        pass  # nothing listens there any more
    async with SimulatorBridge(base_url + "/sim") as bridge:
        result = await bridge.deliver(BridgeMessage("ses_1", "1", "hello"))
    assert not result.delivered and result.detail == "connection_error"


# --- WebhookBridge -----------------------------------------------------------------------

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """An application endpoint that verifies every delivery."""

    secret: str
    status: int = 204
    verified: list[dict[str, object]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/meetmind")
        async def hook(request: Request) -> Response:
            body = await request.body()
            try:
                msg_id = verify(self.secret, request.headers, body, now=int(NOW.timestamp()) + 30)
            except WebhookVerificationError as exc:
                self.rejected.append(str(exc))
                return JSONResponse({"error": str(exc)}, status_code=401)
            self.verified.append({"id": msg_id, **json.loads(body)})
            return Response(status_code=self.status)

        return app


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver(generate_secret())
    async with serve_app(app.app(), lifespan="off") as base_url:
        yield app, base_url + "/hooks/meetmind"


async def test_webhook_bridge_delivers_a_signed_reply(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    async with WebhookBridge(url, app.secret, clock=FixedClock(NOW)) as bridge:
        assert isinstance(bridge, ReplyBridge)
        result = await bridge.deliver(
            BridgeMessage("ses_1", "8123", "Décision : lancement le 19.", "Nova", "speech", "rep_1")
        )
        generated = await bridge.deliver(BridgeMessage("ses_1", "8123", "Second."))
    assert result.delivered and result.status_code == 204 and result.channels == ("speech",)
    assert result.message_id == "rep_1"
    assert generated.delivered and generated.message_id and generated.message_id.startswith("msg_")
    assert app.rejected == []
    assert app.verified[0] == {
        "id": "rep_1",
        "type": "agent.reply",
        "timestamp": "2025-03-01T12:00:00+00:00",
        "data": {
            "reply_id": "rep_1",
            "session_id": "ses_1",
            "meeting_id": "8123",
            "text": "Décision : lancement le 19.",
            "agent_name": "Nova",
            "mode": "speech",
        },
    }
    assert app.verified[1]["id"] == generated.message_id


async def test_webhook_bridge_with_a_wrong_secret_is_rejected(
    receiver: tuple[Receiver, str],
) -> None:
    app, url = receiver
    async with WebhookBridge(url, generate_secret(), clock=FixedClock(NOW)) as bridge:
        result = await bridge.deliver(BridgeMessage("ses_1", "8123", "hello"))
    assert not result.delivered and result.detail == "http_401" and result.channels == ()
    assert app.rejected == ["no matching signature"] and app.verified == []


async def test_webhook_bridge_reports_application_errors(receiver: tuple[Receiver, str]) -> None:
    app, url = receiver
    app.status = 503
    async with WebhookBridge(url, app.secret, clock=FixedClock(NOW)) as bridge:
        result = await bridge.deliver(BridgeMessage("ses_1", "8123", "hello"))
    assert not result.delivered and result.detail == "http_503"


async def test_webhook_bridge_timeout() -> None:
    app = FastAPI()

    @app.post("/slow")
    async def slow() -> Response:
        await asyncio.sleep(0.5)
        return Response(status_code=204)

    async with serve_app(app, lifespan="off") as base_url, httpx.AsyncClient() as client:
        bridge = WebhookBridge(base_url + "/slow", generate_secret(), client=client, timeout=0.05)
        result = await bridge.deliver(BridgeMessage("ses_1", "1", "hello"))
        await bridge.aclose()
        assert not client.is_closed  # a shared client is left open
    assert not result.delivered and result.detail == "timeout"


def test_webhook_bridge_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        WebhookBridge("ftp://example.com", generate_secret())
    with pytest.raises(ValueError):
        WebhookBridge("https://example.com", "whsec_***")
    secret = generate_secret()
    assert secret not in repr(WebhookBridge("https://example.com", secret))
