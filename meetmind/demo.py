"""``meetmind demo``: the whole product on one machine, with no Zoom account.

It starts the Zoom simulator and the MeetMind server (SQLite), creates a tenant and an API key,
connects Zoom through the simulated OAuth flow, creates a session for a simulated meeting,
starts RTMS from the backend, and follows the meeting live over the SSE feed, as an
application would. At the end it prints what was stored and how fast it arrived.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meetmind.domain.errors import MeetMindError
from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.sim.record import Entry
from meetmind.sim.scripts import Script, load_script

__all__ = ["DemoError", "DemoSummary", "run_demo"]

SPEAKER_STYLES = ["cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan"]


class DemoError(MeetMindError):
    """A step of the demo failed; the message says which."""

    code = "demo_failed"


@dataclass
class DemoSummary:
    """What the demo saw."""

    session_id: str
    turns_stored: int
    turns_scripted: int
    participants: int
    detections: int
    replies: int
    latencies_ms: list[float] = field(default_factory=list)
    dashboard_url: str = ""
    api_key: str = field(default="", repr=False)

    def percentile(self, q: float) -> float | None:
        """A latency percentile (ms), or None without samples."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for ``--json``)."""
        return {
            "session_id": self.session_id,
            "turns_stored": self.turns_stored,
            "turns_scripted": self.turns_scripted,
            "participants": self.participants,
            "wake_word_detections": self.detections,
            "agent_replies": self.replies,
            "latency_ms_p50": self.percentile(50),
            "latency_ms_p99": self.percentile(99),
            "latency_samples": len(self.latencies_ms),
            "dashboard_url": self.dashboard_url,
        }


class _Step:
    def __init__(self, console: Console, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet

    async def run(self, title: str, work: Any) -> Any:
        try:
            result = await work
        except Exception as exc:
            raise DemoError(f"{title} failed: {exc}") from exc
        if not self.quiet:
            self.console.print(f"[green]✓[/green] {title}")
        return result


async def _sse(http: httpx.AsyncClient, url: str) -> AsyncIterator[dict[str, Any]]:
    async with http.stream("GET", url, timeout=None) as response:
        if response.status_code != 200:
            raise DemoError(f"following the meeting failed: HTTP {response.status_code}")
        data = ""
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                yield json.loads(data)
                data = ""


async def _watch_sends(
    stack: LocalStack, meeting_id: int, sent: dict[tuple[str, int], float]
) -> None:
    """Note when the simulator sends each transcript frame (its real send time)."""
    since = stack.sim.record.last_seq

    def is_transcript(entry: Entry) -> bool:
        return (
            entry.kind == "msg_type:17"
            and entry.direction == "sent"
            and entry.meeting_id == meeting_id
        )

    while True:
        entry = await stack.sim.record.wait_for(is_transcript, since=since, limit_s=3600)
        since = entry.seq
        content = entry.data.get("frame", {}).get("content", {})
        key = (str(content.get("user_id")), int(content.get("start_time") or 0))
        sent.setdefault(key, time.perf_counter())


def _fresh_database(data_dir: Path) -> Path:
    """Each demo starts from an empty SQLite file (streams of an old run would be resumed)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob("demo.db*"):
        stale.unlink()
    return data_dir / "demo.db"


async def run_demo(
    *,
    script: str = "standup",
    speed: float = 30.0,
    data_dir: Path = Path(".meetmind"),
    keep_running: bool = False,
    console: Console | None = None,
    quiet: bool = False,
) -> DemoSummary:
    """Run the demo end to end; raises :class:`DemoError` naming the step that failed."""
    out = console or Console()
    step = _Step(out, quiet)
    parsed: Script = load_script(script)
    database = await asyncio.to_thread(_fresh_database, data_dir)
    stack_cm = local_stack(
        database_url=f"sqlite:///{database}",
        time_scale=speed,
        settings={
            "rtms_media": ["transcript", "chat"],
            "data_dir": str(data_dir),
            "rtms_reconnect_base_seconds": 0.2,
        },
    )
    stack: LocalStack = await step.run(
        "Zoom simulator and MeetMind server started", stack_cm.__aenter__()
    )
    try:
        mm = stack.meetmind
        tenant = await step.run("tenant `demo` created", mm.get_or_create_tenant("demo"))
        key = await step.run("API key created", mm.create_api_key(tenant.id))
        headers = {"Authorization": f"Bearer {key.secret}"}
        async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=30) as http:
            await step.run("Zoom connected (simulated OAuth, tokens encrypted)", connect_zoom(http))
            meeting = stack.sim.create_meeting(parsed, start=False)
            created = await http.post(
                "/api/v1/sdk/sessions",
                json={"meeting_id": str(meeting.id), "agent_name": "MeetMind"},
            )
            if created.status_code != 201:
                raise DemoError(f"creating the session failed: {created.text}")
            session = created.json()
            step_text = f"session {session['id']} created for meeting {meeting.id}"
            if not quiet:
                out.print(f"[green]✓[/green] {step_text}")
            meeting.start(wait_for_rtms=True)  # the whole script, however slow the start
            started = await http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
            if started.status_code != 200:
                raise DemoError(f"starting RTMS from the backend failed: {started.text}")
            if not quiet:
                out.print("[green]✓[/green] RTMS started from the backend (rtms_app/status)\n")
            summary = await _follow(stack, http, session["id"], meeting.id, parsed, out, quiet)
            summary.api_key = key.secret
            summary.dashboard_url = f"{stack.api_url}/"
        if not quiet:
            _print_summary(out, summary)
        if keep_running:
            out.print(
                f"\nDashboard: [bold]{summary.dashboard_url}[/bold]  API key: {key.secret}\n"
                "Running until Ctrl-C."
            )
            await asyncio.Event().wait()
        return summary
    finally:
        await stack_cm.__aexit__(None, None, None)


async def _follow(
    stack: LocalStack,
    http: httpx.AsyncClient,
    session_id: str,
    meeting_id: int,
    script: Script,
    out: Console,
    quiet: bool,
) -> DemoSummary:
    styles: dict[str, str] = {}
    sent: dict[tuple[str, int], float] = {}
    watcher = asyncio.create_task(_watch_sends(stack, meeting_id, sent), name="demo-watch")
    latencies: list[float] = []
    detections = replies = 0
    people: set[str] = set()
    duration = script.duration or max((u.end for u in script.utterances), default=60.0)
    progress = Progress(
        TextColumn("[bold]meeting time"),
        BarColumn(),
        TextColumn("{task.completed:>4.0f}/{task.total:.0f} s"),
        TimeElapsedColumn(),
        console=out,
        disable=quiet,
        transient=True,
    )
    try:
        with progress:
            bar = progress.add_task("meeting", total=duration)
            async for event in _sse(http, f"/api/v1/sdk/sessions/{session_id}/events"):
                payload = event["payload"]
                kind = event["type"]
                meeting = stack.sim.ctx.find_meeting(meeting_id)
                if meeting is not None:
                    progress.update(bar, completed=min(duration, meeting.script_time()))
                if kind == "transcript.turn":
                    name = payload.get("speaker_name") or "?"
                    if payload.get("role") == "agent":
                        progress.console.print(f"  [bold reverse] {name} [/] {payload['text']}")
                        continue
                    if name == "MeetMind":
                        continue  # Zoom's transcription of the agent's own speech
                    key = (str(payload.get("speaker_id")), int(payload["start_ms"]))
                    if key in sent:
                        latencies.append((time.perf_counter() - sent[key]) * 1000)
                    style = styles.setdefault(
                        name, SPEAKER_STYLES[len(styles) % len(SPEAKER_STYLES)]
                    )
                    progress.console.print(f"  [{style}]{name:>14}[/]  {payload['text']}")
                elif kind == "chat.message" and payload.get("sender_name") != "MeetMind":
                    sender = payload.get("sender_name") or "?"
                    progress.console.print(f"  [dim]{sender:>14}  (chat) {payload['text']}[/dim]")
                elif kind == "participant.joined":
                    for person in payload["participants"]:
                        people.add(str(person["user_id"]))
                        progress.console.print(f"  [dim]→ {person.get('user_name')} joined[/dim]")
                elif kind == "wake_word.detected":
                    detections += 1
                    progress.console.print(
                        f"  [bold yellow]★ wake word[/] from {payload['speaker_name']}: "
                        f"“{payload['request']}”"
                    )
                elif kind == "agent.reply":
                    replies += 1
                    timing = payload["timings"].get("total_ms")
                    where = "delivered to the meeting" if payload["delivered"] else "not delivered"
                    progress.console.print(
                        f"  [bold green]↳ agent replied[/] in {timing:.1f} ms ({where})"
                    )
                elif kind == "stream.state" and payload["phase"] in {"stopped", "failed"}:
                    progress.update(bar, completed=duration)
                    if payload["phase"] == "failed":
                        raise DemoError(f"the stream failed: {payload.get('detail')}")
                    break
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    await stack.meetmind.agent.drained()
    turns: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"limit": "500"} | ({"after": after} if after else {})
        page = (
            await http.get(f"/api/v1/sdk/sessions/{session_id}/transcript", params=params)
        ).json()
        turns += page["data"]
        after = page["next_cursor"]
        if after is None:
            break
    stored = [t for t in turns if t["role"] == "participant" and t["speaker_name"] != "MeetMind"]
    return DemoSummary(
        session_id=session_id,
        turns_stored=len(stored),
        turns_scripted=len(script.utterances),
        participants=len(people),
        detections=detections,
        replies=replies,
        latencies_ms=latencies,
    )


def _print_summary(out: Console, summary: DemoSummary) -> None:
    table = Table(title="MeetMind demo", show_header=False, box=None)
    table.add_row(
        "transcript turns stored", f"{summary.turns_stored} of {summary.turns_scripted} scripted"
    )
    table.add_row("participants", str(summary.participants))
    table.add_row("wake-word detections", str(summary.detections))
    table.add_row("agent replies", str(summary.replies))
    p50, p99 = summary.percentile(50), summary.percentile(99)
    if p50 is not None and p99 is not None:
        table.add_row(
            "latency simulator → stored → SSE",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(summary.latencies_ms)} turns)",
        )
    table.add_row("dashboard", summary.dashboard_url + " (with --keep-running)")
    out.print()
    out.print(Panel(table, expand=False))
