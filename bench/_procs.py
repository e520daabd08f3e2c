"""Subprocess plumbing shared by the benchmarks: JSON-line children and py-spy profiles."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "Child", "SpyProfile", "summarize_collapsed"]

ROOT = Path(__file__).resolve().parents[1]


class Child:
    """A ``python -m <module> '<json args>'`` subprocess that talks in JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, module: str, args: dict[str, Any], *, cwd: Path | None = None) -> Child:
        """Start the child with stdin/stdout pipes (stderr is inherited for tracebacks)."""
        extra = os.environ.get("PYTHONPATH", "")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            json.dumps(args),
            cwd=cwd or ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), extra]))},
        )
        return cls(proc)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    async def read(self, timeout: float = 120) -> dict[str, Any]:  # noqa: ASYNC109 - a deadline
        """The next JSON line the child prints (other lines are skipped)."""
        assert self.proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not line:
                raise RuntimeError(f"child {self.pid} exited (code {await self.proc.wait()})")
            if line.startswith(b"{"):
                data: dict[str, Any] = json.loads(line)
                return data

    async def send(self, message: dict[str, Any] | str) -> None:
        """Write one line to the child's stdin."""
        assert self.proc.stdin is not None
        text = message if isinstance(message, str) else json.dumps(message)
        self.proc.stdin.write(text.encode() + b"\n")
        await self.proc.stdin.drain()

    async def finish(self, timeout: float = 30) -> int:  # noqa: ASYNC109 - a deadline
        """Close stdin and wait for the exit; terminate the child if it hangs."""
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.terminate()
            return await self.proc.wait()


class SpyProfile:
    """``py-spy record`` attached to a running process, collapsed stacks, stopped with SIGINT."""

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        self.pid = pid
        self.output = output
        self.rate = rate
        self.proc: asyncio.subprocess.Process | None = None

    @staticmethod
    def available() -> bool:
        """Whether py-spy is on PATH."""
        return shutil.which("py-spy") is not None

    async def start(self) -> None:
        """Attach to the process."""
        self.proc = await asyncio.create_subprocess_exec(
            "py-spy",
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(self.rate),
            "--format",
            "raw",
            "--nonblocking",
            "--gil",
            "-o",
            str(self.output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)

    async def stop(self) -> None:
        """Stop sampling and write the file."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


_LINE = re.compile(r" \(([^)]*?)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (file.py)``: aggregate over line numbers."""
    match = _LINE.search(raw)
    if not match:
        return raw
    name = raw[: match.start()]
    path = match.group(1)
    parts = path.split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{name} ({short})"


_COMPONENTS = (
    ("meetmind/", "meetmind"),
    ("sqlalchemy/", "sqlalchemy"),
    ("aiosqlite/", "aiosqlite"),
    ("asyncpg/", "asyncpg"),
    ("uvicorn/", "uvicorn"),
    ("h11/", "h11"),
    ("starlette/", "starlette"),
    ("fastapi/", "fastapi"),
    ("pydantic", "pydantic"),
    ("websockets/", "websockets"),
    ("greenlet", "greenlet"),
    ("asyncio/", "asyncio"),
    ("selectors.py", "asyncio"),
)


def _component(raw: str) -> str:
    for needle, name in _COMPONENTS:
        if needle in raw:
            return name
    return "other (stdlib, C)"


def summarize_collapsed(path: Path, top: int = 15) -> dict[str, Any]:
    """Top frames by self and inclusive samples, and self samples by library, from py-spy raw."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_library: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        raw = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not raw:
            continue
        frames = [_frame(f) for f in raw]
        total += count
        self_counts[frames[-1]] += count
        by_library[_component(raw[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(counter: Counter[str], n: int = top) -> list[tuple[str, float]]:
        return [(f, round(100 * c / total, 1)) for f, c in counter.most_common(n)] if total else []

    return {
        "samples": total,
        "self_pct": share(self_counts),
        "inclusive_pct": share(inclusive, 60),
        "self_by_library_pct": share(by_library),
    }
