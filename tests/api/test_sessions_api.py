"""The REST API over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from meetmind import MeetMind, NewTranscriptTurn
from tests.conftest import ApiTenant

SESSIONS = "/api/v1/sdk/sessions"


def assert_error(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["details"]["field"] == field, body


async def test_create_list_read_delete(tenant_a: ApiTenant) -> None:
    created = await tenant_a.http.post(
        SESSIONS,
        json={
            "platform": "zoom",
            "meeting_id": "812 3456 7890",
            "meeting_url": "https://zoom.us/j/81234567890?pwd=x",
            "agent_name": "Scribe",
            "wake_words": ["Hey Scribe"],
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["status"] == "created"
    assert session["meeting_id"] == "81234567890"
    assert session["wake_words"] == ["Hey Scribe"]
    assert session["id"].startswith("ses_")

    listed = (await tenant_a.http.get(SESSIONS)).json()
    assert [s["id"] for s in listed["data"]] == [session["id"]]
    assert listed["next_cursor"] is None

    read = await tenant_a.http.get(f"{SESSIONS}/{session['id']}")
    assert read.json() == session

    assert (await tenant_a.http.delete(f"{SESSIONS}/{session['id']}")).status_code == 204
    assert_error(await tenant_a.http.get(f"{SESSIONS}/{session['id']}"), 404, "not_found")
    assert_error(await tenant_a.http.delete(f"{SESSIONS}/{session['id']}"), 404, "not_found")


async def test_defaults_come_from_settings(tenant_a: ApiTenant) -> None:
    session = (await tenant_a.http.post(SESSIONS, json={"meeting_id": "81234567890"})).json()
    assert session["platform"] == "zoom"
    assert session["agent_name"] == "MeetMind"
    assert session["wake_words"] == ["MeetMind", "Hey MeetMind"]


async def test_another_tenant_gets_404_everywhere(tenant_a: ApiTenant, tenant_b: ApiTenant) -> None:
    session = (await tenant_a.http.post(SESSIONS, json={"meeting_id": "81234567890"})).json()
    url = f"{SESSIONS}/{session['id']}"
    assert_error(await tenant_b.http.get(url), 404, "not_found")
    assert_error(await tenant_b.http.get(f"{url}/transcript"), 404, "not_found")
    assert_error(await tenant_b.http.post(f"{url}/end"), 404, "not_found")
    assert_error(await tenant_b.http.delete(url), 404, "not_found")
    unknown = await tenant_b.http.get(f"{SESSIONS}/ses_doesnotexist")
    assert unknown.json()["error"]["code"] == "not_found"
    assert (await tenant_b.http.get(SESSIONS)).json()["data"] == []
    # Nothing of A's changed.
    assert (await tenant_a.http.get(url)).json() == session


async def test_missing_and_bad_keys_get_401(api_url: str, tenant_a: ApiTenant) -> None:
    async with httpx.AsyncClient(base_url=api_url) as anonymous:
        response = await anonymous.get(SESSIONS)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        for header in ["Bearer mm_nope", "Bearer", "Basic dXNlcjpwYXNz", tenant_a.key]:
            assert_error(
                await anonymous.get(SESSIONS, headers={"Authorization": header}),
                401,
                "unauthorized",
            )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"meeting_id": "123"}, "meeting_id"),
        ({"meeting_id": "abcdefghijk"}, "meeting_id"),
        ({}, "meeting_id"),
        ({"meeting_id": 81234567890}, "meeting_id"),
        ({"platform": "teams", "meeting_id": "81234567890"}, "platform"),
        ({"meeting_id": "81234567890", "wake_words": ["w"] * 11}, "wake_words"),
        ({"meeting_id": "81234567890", "wake_words": ["x" * 65]}, "wake_words[0]"),
        ({"meeting_id": "81234567890", "wake_words": "Hey"}, "wake_words"),
        ({"meeting_id": "81234567890", "meeting_url": "zoom.us/j/1"}, "meeting_url"),
        (
            {"meeting_id": "81234567890", "meeting_url": "https://zoom.us/j/99999999999"},
            "meeting_url",
        ),
        ({"meeting_id": "81234567890", "agent_name": ""}, "agent_name"),
        ({"meeting_id": "81234567890", "surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_gets_422_naming_the_field(
    tenant_a: ApiTenant, body: dict[str, object], field: str
) -> None:
    response = await tenant_a.http.post(SESSIONS, json=body)
    assert_error(response, 422, "invalid_input", field)
    assert (await tenant_a.http.get(SESSIONS)).json()["data"] == []


async def test_malformed_json_gets_422(tenant_a: ApiTenant) -> None:
    response = await tenant_a.http.post(
        SESSIONS, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 422, "invalid_input")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("status=sleeping", "status"),
        ("platform=teams", "platform"),
        ("cursor=garbage", "cursor"),
    ],
)
async def test_bad_list_parameters_get_422(tenant_a: ApiTenant, query: str, field: str) -> None:
    assert_error(await tenant_a.http.get(f"{SESSIONS}?{query}"), 422, "invalid_input", field)


async def test_listing_pages_and_filters(tenant_a: ApiTenant) -> None:
    ids = [
        (await tenant_a.http.post(SESSIONS, json={"meeting_id": f"81234567{i:03d}"})).json()["id"]
        for i in range(5)
    ]
    await tenant_a.http.post(f"{SESSIONS}/{ids[0]}/end")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await tenant_a.http.get(SESSIONS, params=params)).json()
        seen += [s["id"] for s in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    ended = (await tenant_a.http.get(SESSIONS, params={"status": "ended"})).json()["data"]
    assert [s["id"] for s in ended] == [ids[0]]


async def test_end_twice_is_409(tenant_a: ApiTenant) -> None:
    session = (await tenant_a.http.post(SESSIONS, json={"meeting_id": "81234567890"})).json()
    ended = await tenant_a.http.post(f"{SESSIONS}/{session['id']}/end")
    assert ended.json()["status"] == "ended"
    again = await tenant_a.http.post(f"{SESSIONS}/{session['id']}/end")
    assert_error(again, 409, "illegal_transition")
    assert again.json()["error"]["details"] == {"from": "ended", "to": "ended"}


async def test_transcript_pagination(meetmind: MeetMind, tenant_a: ApiTenant) -> None:
    session = (await tenant_a.http.post(SESSIONS, json={"meeting_id": "81234567890"})).json()
    turns = [
        NewTranscriptTurn(
            idempotency_key=f"t{i}",
            text=f"utterance {i}",
            start_ms=1_700_000_000_000 + i * 1000,
            end_ms=1_700_000_000_000 + i * 1000 + 800,
            speaker_id=str(16778240 + i % 2),
            speaker_name=["Alice", "Bob"][i % 2],
        )
        for i in range(7)
    ]
    await meetmind.tenant(tenant_a.id).append_transcript(session["id"], turns)
    url = f"{SESSIONS}/{session['id']}/transcript"
    texts: list[str] = []
    after = None
    while True:
        params = {"limit": "3"} | ({"after": after} if after else {})
        page = (await tenant_a.http.get(url, params=params)).json()
        texts += [t["text"] for t in page["data"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert texts == [f"utterance {i}" for i in range(7)]
    first = (await tenant_a.http.get(url, params={"limit": "1"})).json()["data"][0]
    assert first["speaker_name"] == "Alice"
    assert first["end_ms"] - first["start_ms"] == 800
    assert_error(await tenant_a.http.get(url, params={"after": "x"}), 422, "invalid_input", "after")
    assert_error(await tenant_a.http.get(url, params={"limit": "0"}), 422, "invalid_input", "limit")


async def test_health_and_readiness(api_url: str, meetmind: MeetMind) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = (await http.get("/readyz")).json()
        assert ready == {"status": "ready", "database": meetmind.database.dialect}
        assert_error(await http.get("/nope"), 404, "not_found")
        assert_error(await http.put("/healthz"), 405, "method_not_allowed")
