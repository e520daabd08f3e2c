"""Cross-tenant access on every route of the API, found by enumerating the app's routes.

Tenant A owns sessions (with a transcript and feed events), a webhook endpoint with a delivery
and a Zoom installation; tenant B owns the same kinds of things (no Zoom). Then, as B:

* every route with a tenant-owned path parameter is called with every method it supports and
  A's ids (alone, and mixed with B's own ids) and must answer 404/403 with the JSON error body;
* every GET route without path parameters must not show anything of A's;
* every other route without path parameters is called with a valid request;

and after each call everything A owns (its rows in every table, and what A reads through the
API) must be exactly as before. A route this test does not know how to call fails it, naming
the route: a new route cannot skip the check silently.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, text
from starlette.routing import BaseRoute, Mount, WebSocketRoute
from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.domain.models import NewTranscriptTurn
from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app
from meetmind.store.db import Database
from meetmind.store.repo import EventRepo
from meetmind.store.vault import generate_key_spec

# ---------------------------------------------------------------------------------------------
# Enumerating the app's routes (shared with test_hostile_input)


@dataclass(frozen=True)
class ApiRoute:
    """One (route, method) of the app, or a websocket route / mount (``method`` None)."""

    kind: str  # "http", "websocket" or "mount"
    path: str  # the path format, e.g. /api/v1/sdk/sessions/{session_id}
    method: str | None
    params: tuple[str, ...]
    body_required: bool
    body_accepted: bool

    def __str__(self) -> str:
        return f"{self.method or self.kind.upper()} {self.path}"


def _route_contexts(app: FastAPI) -> Iterator[tuple[BaseRoute, Any]]:
    """(original route, context with the effective path) for every route, included or not."""
    try:  # FastAPI >= 0.16x keeps included routers as one entry each
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: app.routes is flat already
        for route in app.routes:
            yield route, route
        return
    for context in iter_route_contexts(app.routes):
        yield context.original_route, context


def api_routes(app: FastAPI) -> list[ApiRoute]:
    """Every (route, method) the app serves."""
    found: list[ApiRoute] = []
    for original, context in _route_contexts(app):
        path_format = str(getattr(context, "path_format", None) or getattr(original, "path", ""))
        params = tuple(getattr(context, "param_convertors", None) or {})
        if isinstance(original, Mount):
            found.append(ApiRoute("mount", original.path, None, params, False, False))
            continue
        if isinstance(original, WebSocketRoute) or type(original).__name__ == "APIWebSocketRoute":
            found.append(ApiRoute("websocket", path_format, None, params, False, False))
            continue
        body = getattr(original, "body_field", None)
        required = bool(body is not None and body.field_info.is_required())
        for method in sorted(getattr(context, "methods", None) or ()):
            if method == "HEAD" and "GET" in (context.methods or ()):
                continue  # Starlette's implicit HEAD of a GET route
            found.append(ApiRoute("http", path_format, method, params, required, body is not None))
    return found


# ---------------------------------------------------------------------------------------------
# What this test knows about the routes

PUBLIC_ROUTES: dict[str, str] = {
    "/healthz": "liveness",
    "/readyz": "readiness",
    "/metrics": "process metrics (checked below: nothing of a tenant in it)",
    "/openapi.json": "the schema",
    "/docs": "Swagger UI",
    "/docs/oauth2-redirect": "Swagger UI",
    "/redoc": "ReDoc",
    "/": "the dashboard page (it signs in with a key in the browser)",
    "/static": "the dashboard's assets",
    "/api/v1/sdk/event-types": "the event catalogue",
    "/api/v1/zoom/oauth/callback": "Zoom's redirect: the single-use state names the tenant",
    "/api/v1/zoom/rtms/webhook": "Zoom's events, authenticated by Zoom's signature",
}
"""Routes answered without an API key, and why nothing in them belongs to a tenant."""

TENANT_OWNED_PARAMS: dict[str, Callable[[Owned], str]] = {
    "session_id": lambda owned: owned.session_id,
    "endpoint_id": lambda owned: owned.endpoint_id,
    "delivery_id": lambda owned: str(owned.delivery_id),
    "key_id": lambda owned: owned.key_id,
    "tenant_id": lambda owned: owned.tenant_id,
}
"""Path parameters that name something a tenant owns, and where each tenant's value is."""

SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/sdk/sessions"): {"meeting_id": "81234500001"},
    ("POST", "/api/v1/sdk/webhooks"): {"url": "https://b.example.com/hooks"},
    ("POST", "/api/v1/sdk/sessions/{session_id}/speak"): {"text": "hello from tenant B"},
}
"""A valid body for each route that needs one, so the call gets past validation to the lookup."""

REFUSED = (403, 404)


@dataclass
class Owned:
    """What a tenant owns, and the client that sends its key."""

    tenant_id: str
    key_id: str
    key: str
    http: httpx.AsyncClient
    session_id: str = ""
    other_session_id: str = ""
    endpoint_id: str = ""
    delivery_id: int = 0
    meeting_id: str = ""
    markers: set[str] = field(default_factory=set)
    """Strings only this tenant's data contains (ids, URLs, transcript text, its key)."""


# ---------------------------------------------------------------------------------------------
# Fixtures


async def _receiver(scope: Scope, receive: Receive, send: Send) -> None:
    """A webhook receiver that accepts everything."""
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
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[LocalStack]:
    """The simulator and MeetMind, with webhook retries shrunk."""
    async with local_stack(
        database_url=database_url, time_scale=20, settings={"webhook_retry_scale": 0.05}
    ) as running:
        yield running


async def _owner(stack: LocalStack, name: str, hook_url: str, *, zoom: bool) -> Owned:
    mm = stack.meetmind
    tenant = await mm.create_tenant(f"{name}-{secrets.token_hex(4)}")
    key = await mm.create_api_key(tenant.id)
    http = httpx.AsyncClient(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {key.secret}"}, timeout=20
    )
    owned = Owned(tenant.id, key.id, key.secret, http)
    if zoom:
        await connect_zoom(http)
    owned.meeting_id = str(80_000_000_000 + secrets.randbelow(9_999_999_999))
    hook = f"{hook_url}/{name}-{secrets.token_hex(4)}"
    endpoint = await http.post("/api/v1/sdk/webhooks", json={"url": hook})
    assert endpoint.status_code == 201, endpoint.text
    owned.endpoint_id = endpoint.json()["id"]
    for attr in ("session_id", "other_session_id"):
        created = await http.post("/api/v1/sdk/sessions", json={"meeting_id": owned.meeting_id})
        assert created.status_code == 201, created.text
        setattr(owned, attr, created.json()["id"])
    line = f"{name} said something only {name} may read {secrets.token_hex(6)}"
    scope = mm.tenant(tenant.id)
    await scope.append_transcript(
        owned.session_id,
        [NewTranscriptTurn(idempotency_key=f"{name}-1", text=line, start_ms=0, end_ms=900)],
    )
    async with mm.database.transaction() as db:  # a feed event, queued for the endpoint
        await EventRepo(db, tenant.id).add(
            owned.session_id, "transcript.turn", {"text": line}, mm.clock.now()
        )
    mm.delivery.wake()
    owned.markers = {
        tenant.id,
        key.id,
        key.secret,
        owned.session_id,
        owned.other_session_id,
        owned.endpoint_id,
        owned.meeting_id,
        hook,
        line,
    }
    return owned


async def _settled_delivery(owned: Owned) -> int:
    """The endpoint's delivery, once delivered (so the snapshot does not move on its own)."""
    url = f"/api/v1/sdk/webhooks/{owned.endpoint_id}/deliveries"
    async with asyncio.timeout(20):
        while True:
            data = (await owned.http.get(url)).json()["data"]
            if data and all(d["status"] == "delivered" for d in data):
                return int(data[0]["id"])
            await asyncio.sleep(0.05)


@pytest.fixture
async def owners(stack: LocalStack) -> AsyncIterator[tuple[Owned, Owned]]:
    """Tenant A (Zoom connected) and tenant B, each with sessions, a transcript, an endpoint
    and a delivered webhook."""
    async with serve_app(_receiver) as hook_url:
        a = await _owner(stack, "alpha", hook_url, zoom=True)
        b = await _owner(stack, "bravo", hook_url, zoom=False)
        try:
            a.delivery_id = await _settled_delivery(a)
            b.delivery_id = await _settled_delivery(b)
            yield a, b
        finally:
            await a.http.aclose()
            await b.http.aclose()


# ---------------------------------------------------------------------------------------------
# Snapshots


async def _tenant_rows(database: Database, tenant_id: str) -> dict[str, list[str]]:
    """Every row of every table that belongs to the tenant (``tenant_id`` column, or its own
    ``tenants`` row), as sorted text."""

    def tables(connection: Any) -> dict[str, list[str]]:
        inspector = inspect(connection)
        return {
            name: [column["name"] for column in inspector.get_columns(name)]
            for name in inspector.get_table_names()
        }

    async with database.transaction() as db:
        layout = await db.run_sync(lambda session: tables(session.connection()))
        dump: dict[str, list[str]] = {}
        for table, columns in sorted(layout.items()):
            if "tenant_id" in columns:
                where = "tenant_id = :tenant"
            elif table == "tenants":
                where = "id = :tenant"
            else:
                continue
            result = await db.execute(
                text(f'SELECT * FROM "{table}" WHERE {where}'),  # noqa: S608 - names from the schema
                {"tenant": tenant_id},
            )
            dump[table] = sorted(repr(tuple(row)) for row in result.all())
    return dump


async def _api_view(owned: Owned) -> dict[str, Any]:
    """What the tenant reads through the API."""
    view: dict[str, Any] = {}
    for path in (
        f"/api/v1/sdk/sessions/{owned.session_id}",
        f"/api/v1/sdk/sessions/{owned.other_session_id}",
        f"/api/v1/sdk/sessions/{owned.session_id}/transcript",
        "/api/v1/sdk/sessions",
        "/api/v1/sdk/webhooks",
        f"/api/v1/sdk/webhooks/{owned.endpoint_id}/deliveries",
        "/api/v1/zoom/installation",
    ):
        answer = await owned.http.get(path)
        view[path] = (answer.status_code, answer.json())
    return view


@dataclass
class Snapshot:
    rows: dict[str, list[str]]
    api: dict[str, Any]


async def snapshot(meetmind: MeetMind, owned: Owned) -> Snapshot:
    return Snapshot(await _tenant_rows(meetmind.database, owned.tenant_id), await _api_view(owned))


def assert_unchanged(before: Snapshot, after: Snapshot, route: str) -> None:
    for table in sorted(set(before.rows) | set(after.rows)):
        assert before.rows.get(table) == after.rows.get(table), (
            f"{route} called by tenant B changed tenant A's rows in {table!r}"
        )
    for path in before.api:
        assert before.api[path] == after.api[path], (
            f"{route} called by tenant B changed what tenant A reads at {path}"
        )


# ---------------------------------------------------------------------------------------------
# Calling routes


def assert_json_error(answer: httpx.Response, route: str) -> None:
    assert answer.headers.get("content-type", "").startswith("application/json"), (
        f"{route}: a {answer.status_code} without a JSON body: {answer.text[:200]}"
    )
    body = answer.json()
    assert set(body) == {"error"}, f"{route}: {body}"
    assert {"code", "message", "details"} <= set(body["error"]), f"{route}: {body}"


async def call_http(
    http: httpx.AsyncClient, method: str, url: str, body: dict[str, Any] | None
) -> httpx.Response:
    """Send the request; a streaming answer is read only as far as its headers."""
    async with http.stream(method, url, json=body, timeout=10) as answer:
        if not answer.headers.get("content-type", "").startswith("text/event-stream"):
            await answer.aread()
        return answer


async def call_websocket(base_url: str, path: str, key: str | None) -> tuple[str, int]:
    """("status", HTTP status) when the handshake was refused, ("close", code) when the socket
    was closed, ("open", 0) when it was accepted and stayed open."""
    url = base_url.replace("http", "ws", 1) + path
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        async with ws_connect(url, additional_headers=headers, open_timeout=10) as ws:
            with suppress(TimeoutError):
                await asyncio.wait_for(ws.recv(), 2)
            return "open", 0
    except InvalidStatus as exc:
        return "status", exc.response.status_code
    except ConnectionClosed as exc:
        return "close", exc.rcvd.code if exc.rcvd is not None else 1006


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def enum_values(openapi: dict[str, Any], route: ApiRoute, name: str) -> list[str]:
    """The values the schema allows for a path parameter that is not tenant-owned."""
    operation = openapi.get("paths", {}).get(route.path, {}).get((route.method or "").lower(), {})
    for param in operation.get("parameters", []):
        if param.get("name") == name and param.get("in") == "path":
            schema = param.get("schema", {})
            if "$ref" in schema:
                schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            if "enum" in schema:
                return [str(v) for v in schema["enum"]]
    return []


def uncovered(routes: list[ApiRoute], openapi: dict[str, Any]) -> list[str]:
    """Routes this test could not call as written, each with what to add."""
    problems: list[str] = []
    for route in routes:
        if route.path in PUBLIC_ROUTES or route.kind == "mount":
            if route.kind == "mount" and route.path not in PUBLIC_ROUTES:
                problems.append(f"{route}: a mount; add it to PUBLIC_ROUTES with a reason")
            continue
        for name in route.params:
            if name in TENANT_OWNED_PARAMS:
                continue
            if route.kind == "websocket" or not enum_values(openapi, route, name):
                problems.append(
                    f"{route}: path parameter {name!r} is unknown to this test; add it to "
                    "TENANT_OWNED_PARAMS (with where each tenant's value is) or give it an enum"
                )
        if route.body_required and (route.method, route.path) not in SAMPLE_BODIES:
            problems.append(f"{route}: needs a body; add a valid one to SAMPLE_BODIES")
    return problems


def cross_tenant_values(
    route: ApiRoute, a: Owned, b: Owned, openapi: dict[str, Any]
) -> Iterator[dict[str, str]]:
    """Path values with at least one of A's ids (the rest B's own), and every enum value."""
    owned = [name for name in route.params if name in TENANT_OWNED_PARAMS]
    fixed = [name for name in route.params if name not in TENANT_OWNED_PARAMS]
    fixed_choices = [enum_values(openapi, route, name) for name in fixed]
    for whose in itertools.product((a, b), repeat=len(owned)):
        if owned and all(owner is b for owner in whose):
            continue  # B's own objects: not a cross-tenant call
        values = {
            name: TENANT_OWNED_PARAMS[name](owner) for name, owner in zip(owned, whose, strict=True)
        }
        for choice in itertools.product(*fixed_choices):
            yield values | dict(zip(fixed, choice, strict=True))


# ---------------------------------------------------------------------------------------------
# The tests


async def test_every_route_is_covered(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'routes.db'}",
        encryption_keys=generate_key_spec("routes"),
        _env_file=None,
    )
    meetmind = MeetMind(settings)
    try:
        app = create_app(meetmind, manage_lifecycle=False)
        routes = api_routes(app)
        problems = uncovered(routes, app.openapi())
    finally:
        await meetmind.close()
    assert any(r.path == "/api/v1/sdk/sessions/{session_id}" for r in routes), routes
    assert any(r.kind == "websocket" for r in routes), routes
    assert not problems, "routes the tenant-isolation test cannot check:\n" + "\n".join(problems)


async def test_tenant_routes_need_an_api_key(
    stack: LocalStack, owners: tuple[Owned, Owned]
) -> None:
    a, _ = owners
    app = create_app(stack.meetmind, manage_lifecycle=False)
    openapi = app.openapi()
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as anonymous:
        for route in api_routes(app):
            if route.path in PUBLIC_ROUTES or route.kind == "mount":
                continue
            values = {
                name: TENANT_OWNED_PARAMS[name](a)
                for name in route.params
                if name in TENANT_OWNED_PARAMS
            }
            for name in route.params:
                values.setdefault(name, (enum_values(openapi, route, name) or ["x"])[0])
            path = fill(route.path, values)
            if route.kind == "websocket":
                outcome = await call_websocket(stack.api_url, path, None)
                assert outcome in {("status", 403), ("close", 4401)}, f"{route}: {outcome}"
                continue
            assert route.method is not None
            answer = await call_http(
                anonymous, route.method, path, SAMPLE_BODIES.get((route.method, route.path))
            )
            assert answer.status_code == 401, f"{route} without a key: {answer.status_code}"
            assert_json_error(answer, str(route))


async def test_tenant_b_cannot_reach_tenant_a(
    stack: LocalStack, owners: tuple[Owned, Owned]
) -> None:
    a, b = owners
    app = create_app(stack.meetmind, manage_lifecycle=False)
    openapi = app.openapi()
    routes = api_routes(app)
    problems = uncovered(routes, openapi)
    assert not problems, "routes the tenant-isolation test cannot check:\n" + "\n".join(problems)
    before = await snapshot(stack.meetmind, a)
    assert before.api["/api/v1/zoom/installation"][0] == 200  # A really has everything
    assert before.api[f"/api/v1/sdk/webhooks/{a.endpoint_id}/deliveries"][1]["data"]
    assert before.api[f"/api/v1/sdk/sessions/{a.session_id}/transcript"][1]["data"]

    # 1. Reads without path parameters (listings, public pages) show B nothing of A's.
    for route in routes:
        if route.kind != "http" or route.method != "GET" or route.params:
            continue
        answer = await call_http(b.http, "GET", route.path, None)
        assert answer.status_code < 500, f"{route}: {answer.status_code}"
        leaked = sorted(m for m in a.markers if m in answer.text)
        assert not leaked, f"{route} shows tenant B tenant A's {leaked}"
    listed = (await b.http.get("/api/v1/sdk/sessions")).json()["data"]
    assert {s["id"] for s in listed} == {b.session_id, b.other_session_id}
    hooks = (await b.http.get("/api/v1/sdk/webhooks")).json()["data"]
    assert [h["id"] for h in hooks] == [b.endpoint_id]

    # 2. Every route naming a tenant-owned object, with A's ids: refused, nothing of A's moves.
    checked = 0
    for route in routes:
        if not any(name in TENANT_OWNED_PARAMS for name in route.params):
            continue
        if route.path in PUBLIC_ROUTES:
            continue
        for values in cross_tenant_values(route, a, b, openapi):
            path = fill(route.path, values)
            label = f"{route} as {path}"
            if route.kind == "websocket":
                outcome = await call_websocket(stack.api_url, path, b.key)
                assert outcome in {
                    ("status", 403),
                    ("status", 404),
                    ("close", 4404),
                    ("close", 4403),
                }, f"{label}: tenant B got {outcome}"
            else:
                assert route.method is not None
                body = SAMPLE_BODIES.get((route.method, route.path))
                answer = await call_http(b.http, route.method, path, body)
                assert answer.status_code in REFUSED, (
                    f"{label}: tenant B got {answer.status_code} {answer.text[:300]}"
                )
                assert_json_error(answer, label)
            assert_unchanged(before, await snapshot(stack.meetmind, a), label)
            checked += 1
    assert checked >= 10, checked

    # 3. Writes without path parameters act on B alone.
    for route in routes:
        if route.kind != "http" or route.params or route.method in {"GET", None}:
            continue
        if route.path in PUBLIC_ROUTES:
            continue
        assert route.method is not None
        body = SAMPLE_BODIES.get((route.method, route.path))
        answer = await call_http(b.http, route.method, route.path, body)
        assert answer.status_code < 500, f"{route}: {answer.status_code} {answer.text[:300]}"
        if answer.status_code >= 400:
            assert_json_error(answer, str(route))
        assert_unchanged(before, await snapshot(stack.meetmind, a), str(route))

    # A still has all of it, and B's listings still hold only B's things.
    after = await snapshot(stack.meetmind, a)
    assert_unchanged(before, after, "the whole run")
    for path in ("/api/v1/sdk/sessions", "/api/v1/sdk/webhooks"):
        text_b = (await b.http.get(path)).text
        assert not sorted(m for m in a.markers if m in text_b), path
