"""``meetmind serve`` with diagnostics, for ``bench latency`` (never by hand).

The server is the real CLI (``meetmind.cli.main(["serve"])``) plus, each only when asked for:

- ``MEETMIND_BENCH_SQL_STATS=<path>`` (``--statements``): SQL accounting, below.
- ``MEETMIND_BENCH_NO_SILENCE_RECONNECT=1`` (``--no-silence-reconnect``): an experiment, not a
  fix. ``RtmsStreamClient._serve`` waits up to ``silence_timeout`` (65 s) for a trigger and,
  when none came, reconnects as "signaling silent too long" without looking at
  ``_last_signal`` again, so every stream reconnects every 65 s although Zoom's keep-alives
  arrive every 10 s. The experiment sets ``silence_timeout`` out of reach to show what those
  reconnects cost.

SQL accounting is a pair of SQLAlchemy ``Engine`` cursor hooks. For every statement they
record who ran it (the coroutine
of the current asyncio task, e.g. ``Ingestor._run``, ``DeliveryWorker._run``, or the uvicorn
request task that streams a feed), its shape (verb and table) and how long it took on the
event loop's clock. Awaiting the driver and, on SQLite, sleeping in the busy handler are
included; so is the longest one since the previous snapshot. ``begin`` events count
transactions. On ``SIGUSR1`` the totals so far are written as
JSON to ``$MEETMIND_BENCH_SQL_STATS``; the bench diffs two snapshots to get one window.

The hooks cost a few microseconds per statement, so their numbers come from a separate run,
never from the latency sweep itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_STATS: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
_SHAPE = re.compile(
    r"^\s*(?P<verb>\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+(?P<table>[\w\".]+))?",
    re.IGNORECASE | re.DOTALL,
)


def _who() -> str:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return "(no loop)"
    if task is None:
        return "(no task)"
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return str(name)


def _shape(statement: str) -> str:
    if statement.lstrip().upper().startswith("UPDATE"):
        table = statement.split()[1] if len(statement.split()) > 1 else "?"
        return f"UPDATE {table.strip(chr(34))}"
    match = _SHAPE.match(statement)
    if match is None:
        return "?"
    verb = match.group("verb").upper()
    table = (match.group("table") or "").strip('"')
    return f"{verb} {table}".strip()


def _before(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    conn.info.setdefault("bench_t", []).append(time.perf_counter())


def _after(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    started = conn.info.get("bench_t", [])
    if not started:
        return
    spent = time.perf_counter() - started.pop()
    entry = _STATS[f"{_who()} | {_shape(statement)}"]
    entry[0] += 1
    entry[1] += spent
    entry[2] = max(entry[2], spent)


def _begin(conn: Any) -> None:
    _STATS[f"{_who()} | (transaction)"][0] += 1


def _dump(_signum: int, _frame: FrameType | None) -> None:
    path = os.environ.get("MEETMIND_BENCH_SQL_STATS")
    if path:
        snapshot = {key: [int(v[0]), round(v[1], 6), round(v[2], 6)] for key, v in _STATS.items()}
        for entry in _STATS.values():
            entry[2] = 0.0  # the longest statement is per snapshot interval
        Path(path).write_text(json.dumps(snapshot))


def _no_silence_reconnect() -> None:
    from meetmind.zoom.rtms.client import RtmsClientConfig

    checked = RtmsClientConfig.__post_init__

    def post_init(self: RtmsClientConfig) -> None:
        checked(self)
        object.__setattr__(self, "silence_timeout", 10.0**9)

    RtmsClientConfig.__post_init__ = post_init  # type: ignore[method-assign]


def main() -> None:
    """Install what the environment asks for and run ``meetmind serve``."""
    if os.environ.get("MEETMIND_BENCH_SQL_STATS"):
        event.listen(Engine, "before_cursor_execute", _before)
        event.listen(Engine, "after_cursor_execute", _after)
        event.listen(Engine, "begin", _begin)
        signal.signal(signal.SIGUSR1, _dump)
    if os.environ.get("MEETMIND_BENCH_NO_SILENCE_RECONNECT"):
        _no_silence_reconnect()
    from meetmind.cli import main as cli

    cli(["serve"])


if __name__ == "__main__":
    main()
