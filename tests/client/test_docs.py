"""Every Python example of docs/client.md runs, in order, against a live server and simulator."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path

import pytest

from meetmind.local import LocalStack
from tests.client.conftest import StackTenant, install_zoom

DOC = Path(__file__).parents[2] / "docs" / "client.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def examples() -> list[tuple[int, str]]:
    """``(line, code)`` of each Python block."""
    text = DOC.read_text()
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def run(line: int, code: str) -> str:
    """Run one example as a script (in a worker thread: the server runs on the test's loop)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": "__main__"})  # noqa: S102
    return out.getvalue()


async def test_every_example_runs(
    stack: LocalStack,
    stack_tenant: StackTenant,
    meeting_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await install_zoom(stack_tenant.client)
    stack.sim.create_meeting("standup", meeting_id=int(meeting_id))
    monkeypatch.setenv("MEETMIND_URL", stack.api_url)
    monkeypatch.setenv("MEETMIND_API_KEY", stack_tenant.key)
    monkeypatch.setenv("MEETING_ID", meeting_id)

    outputs = [await asyncio.to_thread(run, line, code) for line, code in examples()]

    connect, sessions, errors, live, sync_live = outputs
    assert re.fullmatch(r"ses_\S+ created \d{4}-\d\d-\d\dT\S+\n", connect)
    assert sessions.startswith(connect.split()[0])  # the session made by the first example
    assert sessions.endswith("0 turns so far\n")
    invalid, conflict, deleted = errors.splitlines()
    assert invalid.startswith("bad meeting_id - meeting_id: ")
    assert conflict == "illegal_transition {'from': 'ended', 'to': 'ended'}"
    assert deleted == "deleted"
    lines = live.splitlines()
    assert lines[0] == f"Zoom user {stack.sim.user.id} active"
    assert re.fullmatch(r"RTMS start 204 (rtms_start_requested|listening)", lines[1])
    assert re.fullmatch(r".+ said .+", lines[-2])
    assert re.fullmatch(r"resume after \d+", lines[-1])
    assert [line.split()[1] for line in lines[2:-2]][-1] == "transcript.turn"
    first_turn, status = sync_live.splitlines()
    assert first_turn.split(" ", 1)[1] == lines[-2].split(" said ", 1)[1]
    assert status == "paused"
