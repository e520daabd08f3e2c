"""Schemathesis against the served OpenAPI schema: no 5xx, and every 4xx has the JSON error body."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.sdk import MeetMind
from meetmind.store.vault import generate_key_spec

_tmp = Path(tempfile.mkdtemp(prefix="meetmind-fuzz-"))
_settings = Settings(  # type: ignore[call-arg]
    database_url=f"sqlite:///{_tmp}/fuzz.db",
    encryption_keys=generate_key_spec("fuzz"),
    _env_file=None,
)
_meetmind = MeetMind(_settings)


async def _prepare() -> str:
    await _meetmind.start(background=False)
    tenant = await _meetmind.create_tenant("fuzz")
    key = await _meetmind.create_api_key(tenant.id)
    session = await _meetmind.tenant(tenant.id).create_session(meeting_id="81234567890")
    del session
    await _meetmind.database.dispose()
    return key.secret


API_KEY = asyncio.run(_prepare())
app = create_app(_meetmind, manage_lifecycle=False)
# The feed routes stream until the client leaves; they are fuzzed through their error paths in
# tests/live. Everything else is fair game.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r".*/events$")


def has_json_error_body(response: Any, case: Any) -> None:
    """Every 4xx answers with {"error": {"code", "message", "details"}}."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"code", "message", "details"} <= set(body["error"]), body


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_fails_and_errors_are_json(case: Any) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.text)
    has_json_error_body(response, case)

