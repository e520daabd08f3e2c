"""``python -m bench ingest``: transcript turns per second through the group-commit writer.

In one process: ``Ingestor.submit`` of ``--turns`` transcript turns spread over ``--sessions``
sessions (a share of them re-deliveries of earlier turns, as reconnect bursts produce), then
``drained()``. Swept over the writer's batch size and the duplicate share, on SQLite and
PostgreSQL. Reported: turns stored per second (wall), per CPU-second of this process, the
number of transactions (batches) it took, and whether every duplicate was caught.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

from bench._common import (
    RESULTS_DIR,
    fresh_database,
    markdown_table,
    plot_lines,
    write_results,
)
from meetmind.clock import SystemClock
from meetmind.config import Settings
from meetmind.domain.events import TranscriptReceived
from meetmind.runtime.ingest import Ingestor, StreamContext
from meetmind.sdk import MeetMind
from meetmind.store.vault import generate_key_spec

WORDS = ["we", "should", "ship", "the", "release", "on", "friday", "after", "the", "review"]


def _turns(
    sessions: list[StreamContext], count: int, duplicates: float, seed: int = 1
) -> list[tuple[StreamContext, TranscriptReceived]]:
    """``count`` submissions, ``duplicates`` of them repeats of an earlier one."""
    rng = random.Random(seed)
    unique = max(1, round(count * (1 - duplicates)))
    fresh: list[tuple[StreamContext, TranscriptReceived]] = []
    for n in range(unique):
        context = sessions[n % len(sessions)]
        start = 1_700_000_000_000 + n * 1500
        text = " ".join(rng.choice(WORDS) for _ in range(12))
        fresh.append(
            (
                context,
                TranscriptReceived(text, start, start + 1400, f"u{n % 4}", f"Speaker {n % 4}"),
            )
        )
    out = list(fresh)
    for _ in range(count - unique):
        # A re-delivery lands shortly after its original (a reconnect burst), or much later.
        out.insert(rng.randrange(len(out) + 1), rng.choice(fresh))
    return out


async def measure(
    db: str, *, batch_size: int, duplicates: float, turns: int, sessions: int
) -> dict[str, Any]:
    """Write the turns through a fresh Ingestor on a fresh database."""
    async with fresh_database(db) as url:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            encryption_keys=generate_key_spec("bench"),
        )
        async with MeetMind(settings) as mm:
            tenant = await mm.create_tenant("bench")
            scope = mm.tenant(tenant.id)
            contexts = []
            for n in range(sessions):
                session = await scope.create_session(meeting_id=str(81_000_000_000 + n))
                contexts.append(StreamContext(tenant.id, session.id, f"stream{n:04d}"))
            work = _turns(contexts, turns, duplicates)
            unique = len({(c.stream_id, t.speaker_id, t.start_ms) for c, t in work})
            ingestor = Ingestor(mm.database, SystemClock(), batch_size=batch_size)
            ingestor.start()
            try:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for context, event in work:
                    ingestor.submit(context, event)
                await asyncio.wait_for(ingestor.drained(), 600)
                wall = time.perf_counter() - wall0
                cpu = time.process_time() - cpu0
            finally:
                await ingestor.stop()
            stats = ingestor.stats
    return {
        "db": db,
        "batch_size": batch_size,
        "duplicates": duplicates,
        "submitted": len(work),
        "unique": unique,
        "stored": stats.turns_stored,
        "duplicates_caught": stats.duplicates,
        "exactly_once": stats.turns_stored == unique,
        "batches": stats.batches,
        "seconds": round(wall, 3),
        "submitted_per_s": round(len(work) / wall, 1),
        "stored_per_s": round(stats.turns_stored / wall, 1),
        "stored_per_cpu_s": round(stats.turns_stored / cpu, 1) if cpu else None,
    }


HEADERS = [
    "db",
    "batch size",
    "dup share",
    "submitted",
    "stored",
    "exactly once",
    "transactions",
    "submitted/s",
    "stored/s",
    "stored per CPU-s",
]


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown rows of a run."""
    return markdown_table(
        HEADERS,
        [
            [
                r["db"],
                r["batch_size"],
                r["duplicates"],
                r["submitted"],
                r["stored"],
                "yes" if r["exactly_once"] else "NO",
                r["batches"],
                r["submitted_per_s"],
                r["stored_per_s"],
                r["stored_per_cpu_s"],
            ]
            for r in rows
        ],
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Batch-size sweep without duplicates, then the duplicate sweep at the default batch."""
    rows: list[dict[str, Any]] = []
    points = [(b, 0.0) for b in args.batch_sizes]
    points += [(args.batch_sizes[-1], d) for d in args.duplicates if d > 0]
    for db in args.db:
        for batch_size, duplicates in points:
            row = await measure(
                db,
                batch_size=batch_size,
                duplicates=duplicates,
                turns=args.turns,
                sessions=args.sessions,
            )
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    return {"rows": rows}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench ingest``."""
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 10, 100, 500])
    parser.add_argument("--duplicates", nargs="+", type=float, default=[0.1, 0.5, 0.9])
    parser.add_argument("--turns", type=int, default=4000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a few seconds, SQLite only")


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run, print the table, write JSON and the batch-size plot."""
    if args.quick:
        args.db, args.turns, args.sessions = ["sqlite"], 300, 4
        args.batch_sizes, args.duplicates = [10, 500], [0.5]
    print(markdown_table(HEADERS, []), flush=True)
    data = asyncio.run(run(args))
    path = write_results("ingest", data, quick=args.quick)
    print(f"\n{table(data['rows'])}\n\nresults: {path}")
    if not args.quick:
        series: dict[str, tuple[list[float], list[float]]] = {}
        for row in data["rows"]:
            if row["duplicates"] == 0:
                xs, ys = series.setdefault(row["db"], ([], []))
                xs.append(row["batch_size"])
                ys.append(row["stored_per_s"])
        plot_lines(
            RESULTS_DIR / "ingest.png",
            title="Transcript turns stored per second (group commit)",
            xlabel="writer batch size (max turns per transaction)",
            ylabel="turns stored/s",
            series=series,
            logx=True,
        )
    return data
