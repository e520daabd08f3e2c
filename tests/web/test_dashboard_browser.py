"""The live dashboard in a real browser (Debian's chromium, driven by Playwright).

A simulated stand-up is followed end to end: sign in with an API key, find the session, start RTMS
from the page, watch the transcript arrive live with the wake word and the agent's reply marked,
pause and resume the stream, sign out. A screenshot is kept in ``test-artifacts/``.

Skipped when chromium or Playwright is missing, unless ``MEETMIND_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from meetmind.api.app import create_app
from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.serving import serve_app
from meetmind.sim.meeting import Meeting
from meetmind.web.routes import mount_web
from tests.streams.conftest import FAST_RECONNECT

with contextlib.suppress(ImportError):  # then the `browser` fixture skips, or fails in CI
    from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# x15: the 5-minute stand-up lasts 20 s; the agent has answered the recap request 10 s in.
TIME_SCALE = 15
TIMEOUT_MS = 15_000
CLOCK_TIME = re.compile(r"^\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?$")

pytestmark = pytest.mark.slow


def missing_browser() -> list[str]:
    """What the browser test lacks on this machine."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install playwright)")
    return missing


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless chromium, or a skip (a failure where a browser is required)."""
    missing = missing_browser()
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("MEETMIND_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[LocalStack]:
    async with local_stack(
        database_url=f"sqlite:///{tmp_path / 'meetmind.db'}",
        time_scale=TIME_SCALE,
        settings={"rtms_media": ["transcript", "chat"], **FAST_RECONNECT},
    ) as running:
        yield running


@asynccontextmanager
async def dashboard(stack: LocalStack) -> AsyncIterator[str]:
    """The URL that serves the dashboard over the stack's MeetMind.

    The stack's own server once ``create_app`` mounts the dashboard; until then a second server
    over the same SDK, with :func:`mount_web` applied here.
    """
    async with httpx.AsyncClient() as http:
        root = await http.get(stack.api_url + "/")
    if root.status_code == 200 and root.headers["content-type"].startswith("text/html"):
        yield stack.api_url
        return
    app = create_app(stack.meetmind, manage_lifecycle=False)
    mount_web(app)
    async with serve_app(app) as url:
        yield url


def meeting_label(meeting_id: int) -> str:
    digits = str(meeting_id)
    return f"Meeting {digits[:3]} {digits[3:-4]} {digits[-4:]}"


async def test_follow_a_live_standup_and_drive_rtms(browser: Browser, stack: LocalStack) -> None:
    expect.set_options(timeout=TIMEOUT_MS)

    # A tenant with Zoom connected, and two sessions: the stand-up, and one never started.
    tenant = await stack.meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    key = (await stack.meetmind.create_api_key(tenant.id)).secret
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers) as api:
        await connect_zoom(api)
        other = await api.post("/api/v1/sdk/sessions", json={"meeting_id": "81000000001"})
        assert other.status_code == 201, other.text
        meeting_id = 80_000_000_000 + secrets.randbelow(9_999_999_999)
        meeting = stack.sim.create_meeting("standup", meeting_id=meeting_id, start=False)
        created = await api.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]

    async with dashboard(stack) as url:
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                problems.append(msg.text)
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        refused: list[tuple[int, str]] = []
        page.on(
            "response",
            lambda r: refused.append((r.status, urlsplit(r.url).path)) if r.status >= 400 else None,
        )
        try:
            await page.goto(url + "/")
            await sign_in(page, key)
            await follow_the_meeting(page, meeting, session_id)
            await pause_and_resume(page)
            # The list refreshes by itself: another client ends the other session.
            async with httpx.AsyncClient(base_url=stack.api_url, headers=headers) as api:
                ended = await api.post(f"/api/v1/sdk/sessions/{other.json()['id']}/end")
                assert ended.status_code == 200, ended.text
            other_link = page.locator(".session-link", has_text="Meeting 810 0000 0001")
            await expect(other_link.locator(".badge")).to_have_text("Ended")
            await screenshot(page)
            await reload(page)
            await sign_out(page)
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "dashboard-failure.png"), full_page=True)
            raise
        finally:
            await context.close()
    assert problems == []  # no script error, no CSP violation
    # The only refusals are the two the test provoked: the wrong key, the start before the meeting.
    assert refused == [
        (401, "/api/v1/sdk/sessions"),
        (409, f"/api/v1/sdk/sessions/{session_id}/rtms/start"),
    ]


async def sign_in(page: Page, key: str) -> None:
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("API key").fill("mm_wrong")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.locator("#sign-in-error")
    await expect(alert).to_contain_text("Sign-in failed")
    await expect(alert).to_contain_text("unauthorized")  # the API's error code, shown to the user

    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('meetmind.apiKey')") == key
    assert await page.evaluate("localStorage.getItem('meetmind.apiKey')") is None


async def follow_the_meeting(page: Page, meeting: Meeting, session_id: str) -> None:
    meeting_id = meeting.id
    sessions = page.locator("#session-list")
    await expect(sessions.locator(".session-link")).to_have_count(2)
    link = sessions.locator(".session-link", has_text=meeting_label(meeting_id))
    await expect(link.locator(".badge")).to_have_text("Created")
    await link.click()
    assert page.url.endswith(f"#/sessions/{session_id}")
    await expect(page.locator("#session-title")).to_have_text(meeting_label(meeting_id))
    await expect(page.locator("#feed-state")).to_have_text("Live")
    status = page.locator("#session-status")
    await expect(status).to_have_text("Created")
    for action in ("Pause", "Resume", "Stop"):
        await expect(page.get_by_role("button", name=action, exact=True)).to_be_disabled()

    # The meeting has not started at Zoom: the API's error reaches the user, nothing changes.
    start = page.get_by_role("button", name="Start RTMS")
    await start.click()
    error = page.locator("#control-error")
    await expect(error).to_contain_text("Could not start RTMS")
    await expect(error).to_contain_text("zoom_meeting_not_live")
    await expect(status).to_have_text("Created")
    await expect(start).to_be_enabled()

    meeting.start()
    await start.click()
    await expect(error).to_be_hidden()
    await expect(status).to_have_text("Listening")
    await expect(page.locator("#stream-state")).to_have_text("connected")

    # Scripted lines arrive live, each under its speaker's name.
    transcript = page.locator("#transcript")
    lines = [
        ("Alice Chen", "Morning Bob. Let's give Carol a second to join."),
        ("Carol Diaz", "Hi both, sorry, my headset was acting up."),
        ("Bob Okafor", "The blocker is the production maintenance window."),
        ("Carol Diaz", "Okay, I'll start from the timezone angle then."),
    ]
    for speaker, text in lines:
        turn = transcript.locator(".turn", has_text=text)
        await expect(turn.locator(".speaker")).to_have_text(speaker)
        await expect(turn.locator("time")).to_have_text(CLOCK_TIME)
    colours = {
        await transcript.locator(".turn .speaker", has_text=name).first.evaluate(
            "e => getComputedStyle(e).color"
        )
        for name in ("Alice Chen", "Bob Okafor", "Carol Diaz")
    }
    assert len(colours) == 3  # three speakers, three colours

    participants = page.locator("#participants .participant-name")
    await expect(participants).to_have_text(["Alice Chen", "Bob Okafor", "Carol Diaz"])
    await expect(page.locator("#participant-count")).to_have_text("3 in the meeting")

    # Carol's "Hey MeetMind, can you recap…": the turn and the detection are marked...
    wake = transcript.locator(".turn--wake")
    await expect(wake).to_have_count(1)
    await expect(wake).to_contain_text("can you recap the action items")
    await expect(wake.locator(".tag--wake")).to_have_text("Wake word")
    await expect(wake.locator("mark")).to_have_text("Hey MeetMind")
    detection = transcript.locator(".marker--wake")
    await expect(detection).to_contain_text("from Carol Diaz")
    # ...and the agent's answer is its own, differently styled turn, with the delivery noted.
    agent = transcript.locator(".turn--agent")
    await expect(agent).to_have_count(1)
    await expect(agent.locator(".tag--agent")).to_have_text("Agent")
    reply = transcript.locator(".marker--reply")
    await expect(reply).to_contain_text("delivered via simulator")
    agent_text = await agent.locator(".turn-text").text_content()
    assert agent_text and any(w in agent_text for w in ("Dana", "estimates", "runbook"))
    agent_bg, turn_bg = [
        await loc.evaluate("e => getComputedStyle(e).backgroundColor")
        for loc in (agent, transcript.locator(".turn", has_text="Morning Bob"))
    ]
    assert agent_bg != turn_bg

    await expect(link.locator(".badge")).to_have_text("Listening")


async def pause_and_resume(page: Page) -> None:
    status = page.locator("#session-status")
    stream = page.locator("#stream-state")
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(status).to_have_text("Paused")
    await expect(stream).to_have_text("paused")  # Zoom's webhook, through the live feed
    await expect(page.get_by_role("button", name="Pause", exact=True)).to_be_disabled()

    await page.get_by_role("button", name="Resume", exact=True).click()
    await expect(status).to_have_text("Listening")
    await expect(stream).to_have_text("resumed")
    await expect(page.locator("#transcript .note", has_text="Stream paused")).to_have_count(1)
    await expect(page.locator("#transcript .note", has_text="Stream resumed")).to_have_count(1)


async def screenshot(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.locator("#transcript .turn--wake").scroll_into_view_if_needed()
    path = ARTIFACTS / "dashboard.png"
    await page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=str(ARTIFACTS / "dashboard-dark.png"))
    await page.emulate_media(color_scheme="light")


async def reload(page: Page) -> None:
    """A reload renders the same page from the feed's replay: the replay is the live path."""
    transcript = page.locator("#transcript")
    before = await transcript.locator(".turn[data-turn-id]").count()
    await page.reload()
    await expect(page.locator("#feed-state")).to_have_text("Live")
    await expect(transcript.locator(".turn[data-turn-id]")).not_to_have_count(0)
    assert await transcript.locator(".turn[data-turn-id]").count() >= before
    ids = await transcript.locator(".turn[data-turn-id]").evaluate_all(
        "items => items.map(i => i.dataset.turnId)"
    )
    assert len(ids) == len(set(ids))  # each stored turn once
    await expect(transcript.locator(".turn--wake")).to_have_count(1)
    await expect(transcript.locator(".turn--agent")).to_have_count(1)
    await expect(transcript.locator(".note", has_text="Stream paused")).to_have_count(1)
    await expect(page.locator("#participant-count")).to_contain_text("in the meeting")


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('meetmind.apiKey')") is None
