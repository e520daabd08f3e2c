"""The dashboard's page and assets as the server serves them (no browser)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.sdk import MeetMind
from meetmind.store.vault import generate_key_spec
from meetmind.web.routes import STATIC_DIR, mount_web


@pytest.fixture
async def web_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The API with the dashboard mounted, on an SQLite file (the page needs no database)."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'meetmind.db'}",
        encryption_keys=generate_key_spec("test"),
        _env_file=None,
    )
    async with MeetMind(settings) as meetmind:
        app = create_app(meetmind, manage_lifecycle=False)
        mount_web(app)
        yield app


@pytest.fixture
async def http(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dash") as client:
        yield client


async def test_the_page_is_served_at_the_root_with_a_strict_policy(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    # Every asset the page names is served, with its content type.
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {"/static/app.js", "/static/style.css", "/static/favicon.svg"} <= set(assets)
    types = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for path in assets:
        answer = await http.get(path)
        assert answer.status_code == 200, path
        suffix = path[path.rindex(".") :]
        assert types[suffix] in answer.headers["content-type"], path


async def test_only_the_static_folder_is_exposed(http: httpx.AsyncClient) -> None:
    assert (await http.get("/static/../routes.py")).status_code == 404
    assert (await http.get("/static/routes.py")).status_code == 404
    assert (await http.get("/static/nope.js")).status_code == 404
    # The API is untouched and still answers JSON errors.
    missing = await http.get("/api/v1/sdk/sessions")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"


async def test_mounting_twice_changes_nothing(web_app: FastAPI) -> None:
    before = [getattr(r, "path", None) for r in web_app.routes]
    mount_web(web_app)
    assert [getattr(r, "path", None) for r in web_app.routes] == before
    assert "/" not in web_app.openapi()["paths"]


def test_the_script_never_parses_markup() -> None:
    script = (STATIC_DIR / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
