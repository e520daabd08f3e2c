"""Outgoing webhooks: registered per tenant, signed, retried while the receiver is down,
never lost across a restart."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from meetmind import webhook_signing
from meetmind.local import LocalStack, local_stack
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app
from tests.streams.conftest import (
    FAST_RECONNECT,
    expected_lines,
    spoken_lines,
    start_meeting,
    wait_until_stored,
    zoom_tenant,
)


@dataclass
class Receiver:
    """An application's webhook endpoint that can be 'down' (503) for a while."""

    secret: str = ""
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.down:
                self.refused += 1
                return Response(status_code=503)
            # What the README tells applications to do, in a few lines:
            msg_id = webhook_signing.verify(
                self.secret, request.headers, body, now=int(time.time())
            )
            event = await request.json()
            self.received.append({"msg_id": msg_id, **event})
            self.arrived.set()
            return Response(status_code=204)

        return app


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    async with serve_app(hook.app()) as url:
        yield hook, url + "/hooks"


@pytest.fixture
async def hook_stack(database_url: str) -> AsyncIterator[LocalStack]:
    """Like the stream stack, with the retry schedule shrunk 20x (5 s -> 0.25 s, 30 s -> 1.5 s)."""
    async with local_stack(
        database_url=database_url,
        time_scale=100,
        settings={
            "rtms_media": ["transcript", "chat"],
            "webhook_retry_scale": 0.05,
            **FAST_RECONNECT,
        },
    ) as stack:
        yield stack


async def test_crud_validation_and_isolation(hook_stack: LocalStack) -> None:
    mm = hook_stack.meetmind
    a = await mm.create_tenant(f"a-{secrets.token_hex(3)}")
    b = await mm.create_tenant(f"b-{secrets.token_hex(3)}")
    key_a, key_b = (await mm.create_api_key(a.id)).secret, (await mm.create_api_key(b.id)).secret
    async with httpx.AsyncClient(base_url=hook_stack.api_url) as http:
        auth_a = {"Authorization": f"Bearer {key_a}"}
        auth_b = {"Authorization": f"Bearer {key_b}"}
        created = await http.post(
            "/api/v1/sdk/webhooks",
            json={
                "url": "https://app.example.com/h",
                "event_types": ["transcript.turn", "agent.*"],
            },
            headers=auth_a,
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()
        assert endpoint["secret"].startswith("whsec_")
        listed = (await http.get("/api/v1/sdk/webhooks", headers=auth_a)).json()["data"]
        assert [e["id"] for e in listed] == [endpoint["id"]]
        assert listed[0]["secret"] is None
        assert (await http.get("/api/v1/sdk/webhooks", headers=auth_b)).json()["data"] == []
        for path in ["", "/deliveries"]:
            url = f"/api/v1/sdk/webhooks/{endpoint['id']}{path}"
            method = http.delete if path == "" else http.get
            assert (await method(url, headers=auth_b)).status_code == 404
        for body, field_name in [
            ({"url": "ftp://x"}, "url"),
            ({"url": "https://x.example", "event_types": ["nope"]}, "event_types[0]"),
            ({"url": "https://x.example", "event_types": []}, "event_types"),
        ]:
            bad = await http.post("/api/v1/sdk/webhooks", json=body, headers=auth_a)
            assert bad.status_code == 422
            assert bad.json()["error"]["details"]["field"] == field_name
        catalogue = (await http.get("/api/v1/sdk/event-types")).json()["data"]
        assert "transcript.turn" in catalogue and "agent.reply" in catalogue
        assert (
            await http.delete(f"/api/v1/sdk/webhooks/{endpoint['id']}", headers=auth_a)
        ).status_code == 204
        assert (await http.get("/api/v1/sdk/webhooks", headers=auth_a)).json()["data"] == []


async def test_a_receiver_that_was_down_gets_every_delivery_signed(
    hook_stack: LocalStack, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.down = True
    async with zoom_tenant(hook_stack) as http:
        created = (
            await http.post(
                "/api/v1/sdk/webhooks", json={"url": url, "event_types": ["transcript.turn"]}
            )
        ).json()
        hook.secret = created["secret"]
        followed = await start_meeting(hook_stack, http)
        await wait_until_stored(hook_stack, followed)
        assert hook.refused > 0  # it was down while the meeting went on
        hook.down = False
        wanted = expected_lines(followed.meeting)
        total = len(await followed.transcript())  # the agent's turns are delivered too
        async with asyncio.timeout(30):
            while len({r["msg_id"] for r in hook.received}) < total:
                hook.arrived.clear()
                hook_stack.meetmind.delivery.wake()
                await hook.arrived.wait()
        log = (await http.get(f"/api/v1/sdk/webhooks/{created['id']}/deliveries?limit=500")).json()[
            "data"
        ]
    unique = sorted({r["msg_id"]: r for r in hook.received}.values(), key=lambda r: r["data"]["id"])
    assert spoken_lines([r["data"]["payload"] for r in unique]) == wanted
    assert len(log) == total
    assert all(d["status"] == "delivered" for d in log)
    assert any(d["attempts"] > 1 for d in log)


async def test_a_restart_loses_no_delivery(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.down = True
    async with local_stack(
        database_url=database_url,
        time_scale=100,
        settings={"rtms_media": ["transcript"], "webhook_retry_scale": 0.05, **FAST_RECONNECT},
    ) as stack:
        settings = stack.meetmind.settings
        async with zoom_tenant(stack) as http:
            created = (
                await http.post(
                    "/api/v1/sdk/webhooks", json={"url": url, "event_types": ["transcript.turn"]}
                )
            ).json()
            hook.secret = created["secret"]
            followed = await start_meeting(stack, http)
            await wait_until_stored(stack, followed)
            wanted = expected_lines(followed.meeting)
            total = len(await followed.transcript())
    # That MeetMind is gone with every delivery still pending; the receiver comes back and a
    # new MeetMind process on the same database (and keys) delivers them all.
    assert hook.received == []
    hook.down = False
    async with MeetMind(settings) as successor:
        while len({r["msg_id"] for r in hook.received}) < total:
            hook.arrived.clear()
            successor.delivery.wake()
            # On PostgreSQL the run's database is shared: other tests' deliveries to endpoints
            # that are gone are due too and go first (each may take the 10 s request timeout).
            async with asyncio.timeout(90):
                await hook.arrived.wait()
    unique = sorted({r["msg_id"]: r for r in hook.received}.values(), key=lambda r: r["data"]["id"])
    assert spoken_lines([r["data"]["payload"] for r in unique]) == wanted
