"""No secret ever reaches a log record, with every logger at DEBUG.

One realistic run, against the simulator: a tenant and an API key, the key used in a header and
as ``?access_token=`` (SSE and WebSocket), the Zoom install (authorize, callback, code
exchange), a meeting followed end to end (Zoom's signed webhooks, RTMS sockets, the transcript),
outgoing webhooks delivered and signed, a token refresh and a disconnect (revocation). The API
is also served the way ``meetmind serve`` serves it, with uvicorn's access log on.

Afterwards no record (message, arguments, exception text) may contain an access or refresh
token the simulator issued, the client secret, the webhook secret token, the API key, the
endpoint signing secret, the encryption key, or the OAuth code and state. Requests whose URL
carries a credential are sent over plain sockets, so the test's own HTTP client logs nothing
that the product did not.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy import update

from meetmind.api.app import create_app
from meetmind.local import LocalStack, free_port, local_stack
from meetmind.sdk import MeetMind
from meetmind.serving import redact_server_logs, serve_app
from meetmind.store.schema import ZoomInstallationRow
from tests.streams.conftest import FAST_RECONNECT, start_meeting, wait_until_stored


def capture_all_loggers(caplog: pytest.LogCaptureFixture, attached: list[logging.Logger]) -> None:
    """Every known logger at DEBUG, and caplog's handler on those that do not propagate (call
    again after something reconfigures logging, as each uvicorn server does)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            attached.append(logger)


@asynccontextmanager
async def served_like_production(meetmind: MeetMind) -> AsyncIterator[str]:
    """The API as ``meetmind serve`` runs it: uvicorn's access log on, at the log level."""
    port = free_port()
    config = uvicorn.Config(
        create_app(meetmind, manage_lifecycle=False),
        host="127.0.0.1",
        port=port,
        log_level="debug",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    redact_server_logs()
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="production-like-api")
    try:
        while not server.started:
            assert not task.done(), "the server stopped before it started"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait({task}, timeout=10)


async def raw_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    """GET over a bare socket (no client library logs the URL); the status and headers."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
        with suppress(ConnectionError, OSError):
            await writer.wait_closed()
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found: dict[str, str] = {}
    for line in header_lines:
        if ":" in line:
            name, _, value = line.partition(":")
            found[name.strip().lower()] = value.strip()
    return int(status_line.split(" ", 2)[1]), found


class Receiver:
    """An application's webhook endpoint: counts what arrives."""

    def __init__(self) -> None:
        self.received = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        while (await receive()).get("more_body"):
            pass
        self.received += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def variants(secret: str) -> set[str]:
    """The secret, and long enough pieces of it that logging a prefix would show."""
    found = {secret}
    if len(secret) >= 24:
        found |= {secret[:16], secret[-16:]}
    return found


def record_texts(record: logging.LogRecord) -> Iterator[str]:
    yield str(record.msg)
    yield repr(record.args)
    try:
        message = record.getMessage()
    except Exception:  # a broken record is still searched through msg and args
        message = ""
    yield message
    formatter = logging.Formatter()
    if record.exc_info:
        yield formatter.formatException(record.exc_info)
    if record.exc_text:
        yield record.exc_text
    if record.stack_info:
        yield record.stack_info


async def test_no_secret_reaches_the_logs(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    attached: list[logging.Logger] = []
    caplog.set_level(logging.DEBUG)
    issued: list[dict[str, Any]] = []
    hook = Receiver()
    try:
        async with (
            local_stack(
                database_url=database_url,
                time_scale=100,
                settings={
                    "rtms_media": ["transcript", "chat"],
                    "webhook_retry_scale": 0.05,
                    **FAST_RECONNECT,
                },
            ) as stack,
            serve_app(hook) as hook_url,
            served_like_production(stack.meetmind) as prod_url,
        ):
            capture_all_loggers(caplog, attached)
            oauth = stack.sim.oauth
            issue = oauth._issue

            def recording_issue(grant: Any) -> dict[str, Any]:
                tokens = issue(grant)
                issued.append(tokens)
                return tokens

            oauth._issue = recording_issue  # type: ignore[method-assign]
            found = await run_flows(stack, prod_url, hook_url + "/hooks", hook)
    finally:
        for logger in attached:
            logger.removeHandler(caplog.handler)

    settings = stack.meetmind.settings
    assert settings.encryption_keys is not None
    key_spec = settings.encryption_keys.get_secret_value()
    named: dict[str, str] = {
        "client secret": stack.sim.client_secret,
        "webhook secret token": stack.sim.webhook_secret_token,
        "zoom client secret setting": settings.zoom_client_secret.get_secret_value(),
        "encryption key": key_spec.split(":", 1)[1],
        **found,
    }
    assert len(issued) >= 2, issued  # the install and at least one refresh
    for index, tokens in enumerate(issued):
        named[f"access token #{index}"] = tokens["access_token"]
        named[f"refresh token #{index}"] = tokens["refresh_token"]
    raw_key = base64.b64decode(named["encryption key"])
    assert len(raw_key) == 32

    records = caplog.records
    loggers = {r.name for r in records}
    assert {"uvicorn.access", "httpx"} <= loggers, sorted(loggers)
    assert any(r.name.startswith("meetmind.") for r in records), sorted(loggers)
    access_lines = [r.getMessage() for r in records if r.name == "uvicorn.access"]
    assert any("access_token=[redacted]" in line for line in access_lines), access_lines[:20]
    assert any("code=[redacted]" in line for line in access_lines), access_lines[:20]

    leaks: list[str] = []
    for record in records:
        texts = list(record_texts(record))
        for what, secret in named.items():
            for piece in variants(secret):
                if any(piece in text for text in texts):
                    leaks.append(f"{what} in {record.name}: {record.getMessage()[:300]}")
                    break
    assert not leaks, "secrets in the logs:\n" + "\n".join(leaks[:20])


async def run_flows(
    stack: LocalStack, prod_url: str, hook_url: str, hook: Receiver
) -> dict[str, str]:
    """Everything that handles a secret; returns the secrets it created (by name)."""
    mm = stack.meetmind
    tenant = await mm.create_tenant(f"quiet-{secrets.token_hex(4)}")
    key = await mm.create_api_key(tenant.id)
    found = {"API key": key.secret}
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(base_url=prod_url, headers=headers, timeout=20) as http:
        # The Zoom install, the callback served like production.
        link = (await http.get("/api/v1/zoom/oauth/authorize-url")).raise_for_status().json()
        status, consent = await raw_get(link["authorize_url"])
        assert status == 302, status
        callback = urlsplit(consent["location"])
        query = parse_qs(callback.query)
        found["OAuth code"] = query["code"][0]
        found["OAuth state"] = query["state"][0]
        status, _ = await raw_get(f"{prod_url}{callback.path}?{callback.query}")
        assert status == 200, status
        assert (await http.get("/api/v1/zoom/installation")).json()["status"] == "active"

        # An endpoint for outgoing webhooks; its secret is shown once.
        endpoint = (await http.post("/api/v1/sdk/webhooks", json={"url": hook_url})).json()
        found["endpoint signing secret"] = endpoint["secret"]
        found["endpoint signing secret body"] = endpoint["secret"].removeprefix("whsec_")

        # A meeting followed end to end: Zoom's signed webhooks, RTMS sockets, the transcript.
        followed = await start_meeting(stack, http)
        session = followed.session_id

        # The key in the URL, as browsers send it (SSE and WebSocket).
        status, _ = await raw_get(
            f"{prod_url}/api/v1/sdk/sessions/{session}/events?access_token={key.secret}"
        )
        assert status == 200, status
        upgrade = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": base64.b64encode(secrets.token_bytes(16)).decode(),
            "Sec-WebSocket-Version": "13",
        }
        ws_path = f"{prod_url}/api/v1/sdk/sessions/{session}/events/ws"
        status, _ = await raw_get(f"{ws_path}?access_token={key.secret}", upgrade)
        assert status == 101, status
        status, _ = await raw_get(ws_path, {**upgrade, "Authorization": f"Bearer {key.secret}"})
        assert status == 101, status

        await wait_until_stored(stack, followed)
        async with asyncio.timeout(20):
            while True:
                deliveries = (
                    await http.get(f"/api/v1/sdk/webhooks/{endpoint['id']}/deliveries")
                ).json()["data"]
                if deliveries and all(d["status"] == "delivered" for d in deliveries):
                    break
                mm.delivery.wake()
                await asyncio.sleep(0.05)
        assert hook.received > 0

        # A token refresh, then the disconnect (which revokes at Zoom).
        before = len(stack.sim.record.entries(channel="oauth", kind="token.refresh_token"))
        async with mm.database.transaction() as db:
            await db.execute(
                update(ZoomInstallationRow)
                .where(ZoomInstallationRow.tenant_id == tenant.id)
                .values(access_expires_at=None)
            )
        await mm.zoom.tokens.access_token(tenant.id)
        after = len(stack.sim.record.entries(channel="oauth", kind="token.refresh_token"))
        assert after == before + 1
        gone = (await http.delete("/api/v1/zoom/installation")).json()
        assert gone == {"deleted": True, "revoked_at_zoom": True}
    return found
