"""Installing the Zoom app: state nonce, PKCE, code exchange, encrypted storage, disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import text, update

from meetmind.local import LocalStack, connect_zoom
from meetmind.store.schema import OAuthStateRow
from tests.connection.conftest import Tenant


def token_exchanges(stack: LocalStack) -> int:
    return len(stack.sim.record.entries(channel="oauth", kind="token.authorization_code"))


async def consent(stack: LocalStack, tenant: Tenant) -> str:
    """Open the install link like a browser; returns MeetMind's callback URL with code+state."""
    link = (await tenant.http.get("/api/v1/zoom/oauth/authorize-url")).json()
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(link["authorize_url"])
    assert answer.status_code in (302, 303, 307), answer.text
    location: str = answer.headers["location"]
    assert location.startswith(stack.api_url + "/api/v1/zoom/oauth/callback")
    return location


async def test_install_stores_tokens_encrypted(stack: LocalStack, tenant: Tenant) -> None:
    link = (await tenant.http.get("/api/v1/zoom/oauth/authorize-url")).json()
    query = {k: v[0] for k, v in parse_qs(urlsplit(link["authorize_url"]).query).items()}
    assert link["authorize_url"].startswith(stack.sim.oauth_base_url + "/oauth/authorize")
    assert query["client_id"] == stack.sim.client_id
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 43  # 256 bits, url-safe
    assert datetime.fromisoformat(link["expires_at"]) - datetime.now(UTC) <= timedelta(minutes=10)

    installed = await connect_zoom(tenant.http)
    assert installed["token_stored"] is True
    assert installed["zoom_user_id"] == stack.sim.user.id
    assert installed["zoom_account_id"] == stack.sim.user.account_id
    assert "meeting:update:participant_rtms_app_status" in installed["scopes"]
    assert not any("token" in key and key != "token_stored" for key in installed)

    # The raw row holds no token, and neither does any other table.
    issued = list(stack.sim.oauth._access) + list(stack.sim.oauth._refresh)
    assert issued
    async with stack.meetmind.database.transaction() as db:
        rows = (await db.execute(text("SELECT * FROM zoom_installations"))).all()
        dump = repr(rows)
    for token in issued:
        assert token[:16] not in dump
    assert "v1:local:" in dump

    read = (await tenant.http.get("/api/v1/zoom/installation")).json()
    assert read["status"] == "active"
    assert read["zoom_user_id"] == stack.sim.user.id


async def test_forged_state_is_refused_without_calling_zoom(
    stack: LocalStack, tenant: Tenant
) -> None:
    callback = await consent(stack, tenant)
    forged = callback.replace("state=", "state=x")
    before = token_exchanges(stack)
    async with httpx.AsyncClient() as browser:
        for url in [forged, callback.split("&state=")[0].split("?state=")[0] + "?code=abc"]:
            answer = await browser.get(url)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "invalid_oauth_state"
    assert token_exchanges(stack) == before
    assert (await tenant.http.get("/api/v1/zoom/installation")).status_code == 404


async def test_replayed_state_is_refused(stack: LocalStack, tenant: Tenant) -> None:
    callback = await consent(stack, tenant)
    async with httpx.AsyncClient() as browser:
        first = await browser.get(callback)
        assert first.status_code == 200, first.text
        exchanges = token_exchanges(stack)
        replay = await browser.get(callback)
    assert replay.status_code == 400
    assert replay.json()["error"]["details"]["reason"] == "used"
    assert token_exchanges(stack) == exchanges


async def test_expired_state_is_refused(stack: LocalStack, tenant: Tenant) -> None:
    callback = await consent(stack, tenant)
    async with stack.meetmind.database.transaction() as db:
        await db.execute(
            update(OAuthStateRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    before = token_exchanges(stack)
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(callback)
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["reason"] == "expired"
    assert token_exchanges(stack) == before


async def test_a_declined_install_spends_the_state(stack: LocalStack, tenant: Tenant) -> None:
    callback = await consent(stack, tenant)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    async with httpx.AsyncClient() as browser:
        declined = await browser.get(
            stack.api_url + "/api/v1/zoom/oauth/callback", params={"state": state}
        )
        assert declined.status_code == 400
        assert declined.json()["error"]["details"]["reason"] == "missing_code"
        assert (await browser.get(callback)).json()["error"]["details"]["reason"] == "used"


async def test_disconnect_revokes_at_zoom_and_deletes(stack: LocalStack, tenant: Tenant) -> None:
    await connect_zoom(tenant.http)
    access = next(iter(stack.sim.oauth._access))
    deleted = (await tenant.http.delete("/api/v1/zoom/installation")).json()
    assert deleted == {"deleted": True, "revoked_at_zoom": True}
    assert access not in stack.sim.oauth._access
    assert (await tenant.http.get("/api/v1/zoom/installation")).status_code == 404
    again = await tenant.http.delete("/api/v1/zoom/installation")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "zoom_not_connected"


async def test_authorize_url_needs_an_api_key(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url) as anonymous:
        answer = await anonymous.get("/api/v1/zoom/oauth/authorize-url")
    assert answer.status_code == 401
