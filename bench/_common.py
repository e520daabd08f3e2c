"""Shared helpers for the benchmarks: machine facts, databases, percentiles, results, plots."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "POSTGRES_URL",
    "RESULTS_DIR",
    "command_line",
    "fresh_database",
    "machine",
    "markdown_table",
    "percentile",
    "plot_lines",
    "proc_cpu_seconds",
    "proc_rss_bytes",
    "summary_ms",
    "write_results",
]

RESULTS_DIR = Path(__file__).with_name("results")
POSTGRES_URL = os.environ.get("MEETMIND_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    try:
        commit = subprocess.run(  # noqa: S603 - fixed argv
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def command_line() -> str:
    """The command that produced this run."""
    return "python -m bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` (0-100) percentile by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[rank])


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of durations given in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(percentile(ordered, 50) * 1000, 2),
        "p95_ms": round(percentile(ordered, 95) * 1000, 2),
        "p99_ms": round(percentile(ordered, 99) * 1000, 2),
        "max_ms": round((ordered[-1] if ordered else 0.0) * 1000, 2),
    }


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def proc_rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` now."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], *, quick: bool = False) -> Path:
    """Write ``bench/results/<name>[.quick].json`` with the machine and command attached."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}{'.quick' if quick else ''}.json"
    record = {"bench": name, "command": command_line(), "machine": machine(), **data}
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def plot_lines(
    path: Path,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    hline: float | None = None,
    logx: bool = False,
) -> Path | None:
    """A line plot per series; returns None (and says so) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot written; tables are in the JSON)")
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for label, (xs, ys) in series.items():
        ax.plot(list(xs), list(ys), marker="o", label=label)
    if hline is not None:
        ax.axhline(hline, color="grey", linestyle="--", linewidth=1)
    if logx:
        ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


@asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[str]:
    """A new, migrated database for one measurement: ``sqlite`` (temp file) or ``postgres``.

    PostgreSQL gets a throwaway database on the server at ``MEETMIND_BENCH_POSTGRES_URL``
    (default ``postgresql://127.0.0.1:5432/test``), dropped afterwards.
    """
    from meetmind.store.db import Database

    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="meetmind-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            database = Database(url)
            try:
                await database.migrate()
            finally:
                await database.dispose()
            yield url
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r} (sqlite or postgres)")
    import asyncpg

    name = f"meetmind_bench_{os.getpid()}_{secrets.token_hex(3)}"
    base = POSTGRES_URL.rpartition("/")[0]
    conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://")
    try:
        database = Database(url)
        try:
            await database.migrate()
        finally:
            await database.dispose()
        yield url
    finally:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await asyncio.wait_for(
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'), 30
            )
        finally:
            await conn.close()
