"""``python -m bench webhooks``: verified Zoom webhooks per second and latency, one worker.

The server is MeetMind's real HTTP API (``POST /api/v1/zoom/rtms/webhook`` through uvicorn, the
webhook inbox writing receipts and processing them in the background) in one process pinned to
one CPU; the load generator is another process on the other CPU. Variants: every body unique
(each one verified, stored and processed) and duplicate-heavy (90 % re-deliveries, answered
``duplicate``). Server CPU seconds are read from ``/proc`` so the figure per CPU-second does not
depend on how busy the generator kept the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from bench._common import (
    RESULTS_DIR,
    fresh_database,
    markdown_table,
    plot_lines,
    write_results,
)
from bench._procs import Child, SpyProfile, summarize_collapsed

VARIANTS = {"unique": 0.0, "duplicates": 0.9}


def _cpus() -> tuple[int | None, int | None]:
    """(server CPU, generator CPU) when there are two CPUs to separate them."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)


async def measure(
    db: str,
    variant: str,
    *,
    seconds: float,
    connections: int,
    warmup: int,
    profile: bool,
    background: bool,
) -> dict[str, Any]:
    """One server, one load run; returns the row."""
    server_cpu, load_cpu = _cpus()
    secret = secrets.token_hex(16)
    async with fresh_database(db) as url:
        server = await Child.start(
            "bench.webhook_server",
            {"database_url": url, "secret": secret, "cpu": server_cpu, "background": background},
        )
        try:
            ready = await server.read(60)
            spy: SpyProfile | None = None
            spy_file = Path(tempfile.gettempdir()) / f"meetmind-webhooks-{db}-{variant}.txt"
            if profile and SpyProfile.available():
                spy = SpyProfile(server.pid, spy_file)
                await spy.start()
            load = await Child.start(
                "bench.webhook_load",
                {
                    "url": ready["url"],
                    "secret": secret,
                    "seconds": seconds,
                    "connections": connections,
                    "duplicates": VARIANTS[variant],
                    "warmup": warmup,
                    "server_pid": server.pid,
                    "cpu": load_cpu,
                },
            )
            result = await load.read(seconds + 120)
            await load.finish()
            if spy is not None:
                await spy.stop()
            await server.send("stop")
            drained = await server.read(150)
        finally:
            await server.finish()
    row: dict[str, Any] = {
        "db": db,
        "variant": variant,
        "connections": connections,
        "background": background,
        **result,
        "drain_after_s": drained.get("drain_s"),
    }
    if spy is not None and spy_file.exists():
        row["profile"] = summarize_collapsed(spy_file)
    return row


def _print_profile(row: dict[str, Any]) -> None:
    prof = row.get("profile")
    if not prof:
        return
    print(f"\nprofile of the server, {row['db']} / {row['variant']} ({prof['samples']} samples)")
    print("  self time:")
    for frame, pct in prof["self_pct"][:12]:
        print(f"    {pct:5.1f}%  {frame}")
    print("  self time by library:")
    for frame, pct in prof["self_by_library_pct"]:
        print(f"    {pct:5.1f}%  {frame}")
    print("  inclusive (MeetMind and library entry points):")
    skip = ("asyncio/", "runpy", "bench/", "threading.py", "greenlet", "selectors.py")
    shown = [(f, p) for f, p in prof["inclusive_pct"] if not any(s in f for s in skip)]
    for frame, pct in shown[:30]:
        print(f"    {pct:5.1f}%  {frame}")


HEADERS = [
    "db",
    "bodies",
    "conns",
    "webhooks/s",
    "per server CPU-s",
    "p50 ms",
    "p99 ms",
    "statuses",
    "backlog drained after s",
]


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown rows of a run."""
    return markdown_table(
        HEADERS,
        [
            [
                r["db"],
                r["variant"],
                r["connections"],
                r["per_s"],
                r["per_cpu_s"],
                r["p50_ms"],
                r["p99_ms"],
                " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items())),
                r["drain_after_s"],
            ]
            for r in rows
        ],
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every (database, variant) pair."""
    rows: list[dict[str, Any]] = []
    for db in args.db:
        for variant in args.variant:
            for connections in args.connections:
                row = await measure(
                    db,
                    variant,
                    seconds=args.seconds,
                    connections=connections,
                    warmup=args.warmup,
                    profile=args.profile,
                    background=not args.no_background,
                )
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
    return {"rows": rows}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench webhooks``."""
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--variant", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--connections", nargs="+", type=int, default=[16])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy")
    parser.add_argument(
        "--no-background", action="store_true", help="receive only: no inbox worker"
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds, SQLite only")


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run, print the table, write JSON (and a plot when several connection counts ran)."""
    if args.quick:
        args.db, args.seconds, args.warmup = ["sqlite"], 1.5, 50
        args.connections = args.connections[:1]
    print(markdown_table(HEADERS, []), flush=True)
    data = asyncio.run(run(args))
    name = "webhooks-profiled" if args.profile else "webhooks"
    if args.no_background:
        name += "-receive-only"
    path = write_results(name, data, quick=args.quick)
    print(f"\n{table(data['rows'])}\n\nresults: {path}")
    for row in data["rows"]:
        _print_profile(row)
    if len(args.connections) > 1 and not args.quick:
        series: dict[str, tuple[list[float], list[float]]] = {}
        for row in data["rows"]:
            xs, ys = series.setdefault(f"{row['db']} {row['variant']}", ([], []))
            xs.append(row["connections"])
            ys.append(row["per_s"])
        plot_lines(
            RESULTS_DIR / "webhooks.png",
            title="Verified webhooks/s, one MeetMind worker",
            xlabel="concurrent connections",
            ylabel="webhooks/s",
            series=series,
            hline=2000,
        )
    return data
