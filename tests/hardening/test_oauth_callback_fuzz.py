"""Fuzzing Zoom's redirect to MeetMind: ``GET /api/v1/zoom/oauth/callback?code=&state=``.

Hypothesis builds query strings from arbitrary text and bytes (percent-encoded, so invalid
UTF-8 and NUL reach the server), very long values, missing, empty and repeated parameters,
and mixes them with states that are valid, already used or expired and with codes that Zoom
(the simulator) really issued. Whatever arrives:

* the answer is a 4xx with the JSON error body, or a 200 install for a valid state with a
  real code;
* Zoom's token endpoint is never called unless the query carries a valid, unspent state
  (counted twice: on the SDK's HTTP client and in the simulator's record);
* an unknown state spends no state.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, quote_from_bytes, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from meetmind.api.app import create_app
from meetmind.local import LocalStack, local_stack
from meetmind.store.schema import OAuthStateRow
from meetmind.zoom.connection import CALLBACK_PATH, hash_state

# ---------------------------------------------------------------------------------------------
# What a query is made of


@dataclass(frozen=True)
class Part:
    """One value of the query: a kind that the test resolves when it runs, or raw text."""

    kind: str  # "valid", "used", "expired", "real_code", "junk"
    raw: str = ""  # percent-encoded already (junk only)


def _text(value: str) -> str:
    return quote(value, safe="")


def _bytes(value: bytes) -> str:
    return quote_from_bytes(value, safe="")


junk = st.one_of(
    st.text(max_size=80).map(_text),
    st.binary(max_size=80).map(_bytes),
    st.integers(min_value=200, max_value=6000).map(lambda n: "s" * n),
    st.sampled_from(
        [
            "",
            "%00",
            "%FF%FE",
            "'%20OR%201%3D1%20--",
            "..%2F..%2Fetc%2Fpasswd",
            "%E2%80%AE",
            "%F0%9F%98%80",
            "null",
            "undefined",
            "%25",
            "%",
            "%zz",
            "+",
            "a+b",
        ]
    ),
).map(lambda raw: Part("junk", raw))

states = st.one_of(
    st.just(Part("valid")),
    st.sampled_from([Part("used"), Part("expired")]),
    junk,
)
codes = st.one_of(st.just(Part("real_code")), junk)
names = st.sampled_from(["code", "state", "Code", "STATE", "state[]", "code ", "error", ""])


@st.composite
def queries(draw: st.DrawFn) -> list[tuple[str, Part | None]]:
    """The query's pairs in order; a None value is a bare name (``?state``)."""
    pairs: list[tuple[str, Part | None]] = []
    if draw(st.booleans()):
        pairs.append(("state", draw(states)))
    if draw(st.booleans()):
        pairs.append(("code", draw(codes)))
    extra = draw(
        st.lists(
            st.tuples(names, st.one_of(st.none(), states, codes)),
            max_size=3,
        )
    )
    pairs += extra
    return draw(st.permutations(pairs)) if len(pairs) > 1 else pairs


# ---------------------------------------------------------------------------------------------
# The world the queries run in


@dataclass
class World:
    stack: LocalStack
    http: httpx.AsyncClient
    tenant_id: str
    token_calls: list[str] = field(default_factory=list)
    used_state: str = ""
    expired_state: str = ""

    def token_entries(self) -> int:
        entries = self.stack.sim.record.entries(channel="oauth")
        return sum(1 for e in entries if e.kind.startswith("token."))

    async def fresh_state(self) -> str:
        link = await self.stack.meetmind.tenant(self.tenant_id).zoom_authorize_link()
        return parse_qs(urlsplit(link.url).query)["state"][0]

    async def consent(self) -> tuple[str, str]:
        """Authorize at the simulator like a browser: a (state, code) pair Zoom issued."""
        link = await self.stack.meetmind.tenant(self.tenant_id).zoom_authorize_link()
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(link.url)
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        return query["state"][0], query["code"][0]

    async def spent_states(self) -> int:
        async with self.stack.meetmind.database.transaction() as db:
            count = await db.scalar(
                select(func.count())
                .select_from(OAuthStateRow)
                .where(OAuthStateRow.used_at.is_not(None))
            )
        return int(count or 0)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with local_stack(database_url=database_url, time_scale=20) as stack:
        mm = stack.meetmind
        tenant = await mm.create_tenant(f"fuzz-{secrets.token_hex(4)}")
        app = create_app(mm, manage_lifecycle=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meetmind.test") as http:
            found = World(stack, http, tenant.id)

            async def count_token_calls(request: httpx.Request) -> None:
                if request.url.path.endswith("/oauth/token"):
                    found.token_calls.append(str(request.url))

            mm.http.event_hooks["request"].append(count_token_calls)
            # A state that was used (by a real install) and one that expired unused.
            state, code = await found.consent()
            installed = await http.get(CALLBACK_PATH, params={"state": state, "code": code})
            assert installed.status_code == 200, installed.text
            found.used_state = state
            found.expired_state = await found.fresh_state()
            async with mm.database.transaction() as db:
                await db.execute(
                    update(OAuthStateRow)
                    .where(OAuthStateRow.state_hash == hash_state(found.expired_state))
                    .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                )
            yield found


def assert_json_error(answer: httpx.Response, label: str) -> None:
    assert answer.headers.get("content-type", "").startswith("application/json"), label
    body = answer.json()
    assert set(body) == {"error"}, (label, body)
    assert {"code", "message", "details"} <= set(body["error"]), (label, body)


# ---------------------------------------------------------------------------------------------
# The test


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=queries())
async def test_the_callback_answers_4xx_and_calls_zoom_only_for_a_valid_state(
    world: World, pairs: list[tuple[str, Part | None]]
) -> None:
    # Resolve the parts. A real code is bound (PKCE, redirect) to the state it was issued
    # for: the first "valid" state of a query with a real code is that state.
    code_state, real_code = await world.consent() if _has(pairs, "real_code") else ("", "")
    bound_state = code_state
    resolved: list[tuple[str, str | None]] = []  # (name, percent-encoded value or None)
    valid_states: set[str] = set()
    for name, part in pairs:
        if part is None:
            resolved.append((name, None))
        elif part.kind == "junk":
            resolved.append((name, part.raw))
        else:
            if part.kind == "valid":
                value = bound_state or await world.fresh_state()
                bound_state = ""
                valid_states.add(value)
            elif part.kind == "real_code":
                value = real_code
            elif part.kind == "used":
                value = world.used_state
            else:
                value = world.expired_state
            resolved.append((name, _text(value)))
    query = "&".join(_text(n) if v is None else f"{_text(n)}={v}" for n, v in resolved)
    label = f"?{query[:300]}"

    calls_before = len(world.token_calls)
    entries_before = world.token_entries()
    spent_before = await world.spent_states()
    url = httpx.URL(f"http://meetmind.test{CALLBACK_PATH}", query=query.encode())
    answer = await world.http.get(url)

    calls = len(world.token_calls) - calls_before
    event(f"HTTP {answer.status_code}, {calls} token request(s)")
    assert world.token_entries() - entries_before == calls, label
    assert answer.status_code < 500, (label, answer.status_code, answer.text[:300])
    if answer.status_code != 200:
        assert 400 <= answer.status_code < 500, (label, answer.status_code)
        assert_json_error(answer, label)

    # The query as the server reads it: a bare name is an empty value, the last one counts.
    parsed = parse_qs(query, keep_blank_values=True)
    state = parsed["state"][-1] if "state" in parsed else None
    code = parsed["code"][-1] if "code" in parsed else None
    state_is_valid = state in valid_states
    if not state_is_valid:
        assert calls == 0, f"{label}: Zoom's token endpoint was called without a valid state"
        assert answer.status_code != 200, label
        assert await world.spent_states() == spent_before, f"{label}: a state was spent"
    if calls:
        assert calls == 1, label
        assert state_is_valid and code, label
    if state_is_valid and state == code_state and real_code and code == real_code:
        assert answer.status_code == 200, (label, answer.text[:300])


def _has(pairs: list[tuple[str, Part | None]], kind: str) -> bool:
    return any(part is not None and part.kind == kind for _, part in pairs)


async def test_a_valid_state_with_a_junk_code_asks_zoom_once_and_is_spent(world: World) -> None:
    state = await world.fresh_state()
    before = len(world.token_calls)
    answer = await world.http.get(CALLBACK_PATH, params={"state": state, "code": "junk"})
    assert 400 <= answer.status_code < 500, answer.text
    assert_json_error(answer, "junk code")
    assert len(world.token_calls) == before + 1
    again = await world.http.get(CALLBACK_PATH, params={"state": state, "code": "junk"})
    assert again.status_code == 400
    assert again.json()["error"]["details"]["reason"] == "used"
    assert len(world.token_calls) == before + 1


async def test_missing_and_overlong_parameters(world: World) -> None:
    before = len(world.token_calls)
    cases: list[dict[str, Any]] = [
        {},
        {"code": "abc"},
        {"state": ""},
        {"state": "x" * 300},
        {"state": "x" * 600, "code": "abc"},
        {"state": await world.fresh_state(), "code": "c" * 3000},
    ]
    for params in cases:
        answer = await world.http.get(CALLBACK_PATH, params=params)
        assert 400 <= answer.status_code < 500, (params, answer.status_code)
        assert_json_error(answer, str(params)[:100])
    assert len(world.token_calls) == before
