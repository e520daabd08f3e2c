"""``python -m bench audio``: the most 16 kHz mono L16 20 ms streams one process keeps up with.

For each N of the sweep: a fresh simulator process (time scale 1, pinned to one CPU) starts N
meetings with RTMS; a client process (pinned to the other CPU) runs N of MeetMind's
``RtmsStreamClient`` with ``media=("audio",)`` and measures, after a warm-up, the receive lag
of every frame (now - frame timestamp, in the event handler; a frame is sent once its 20 ms are
over, so ~20 ms is the floor) and its own CPU time. The sweep stops at the first N whose p99
lag passes 200 ms or that receives under 95 % of the frames. ``sim CPU`` is shown because when
the simulator saturates its core, the lag is the simulator's, not the client's.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench._common import RESULTS_DIR, markdown_table, plot_lines, write_results
from bench._rtms_run import SimProcess, run_clients

LAG_LIMIT_MS = 200.0


def keeps_up(row: dict[str, Any]) -> bool:
    """p99 lag under the limit and (nearly) every frame received."""
    expected = row["audio_frames_expected"] or 1
    return row["lag_p99_ms"] < LAG_LIMIT_MS and row["audio_frames"] >= 0.95 * expected


async def measure(n: int, *, warmup: float, seconds: float) -> dict[str, Any]:
    """One point of the sweep."""
    sim = await SimProcess.start()
    try:
        targets = await sim.meetings(n)
        row = await run_clients(
            sim, "meetmind", targets, media=["audio"], warmup=warmup, seconds=seconds
        )
    finally:
        await sim.stop()
    row["keeps_up"] = keeps_up(row)
    return row


HEADERS = [
    "streams",
    "joined",
    "frames recv/expected",
    "lag p50 ms",
    "lag p99 ms",
    "client CPU % of core",
    "CPU ms per stream-second",
    "streams/core (extrapolated)",
    "sim CPU %",
    "RSS KiB/stream",
    "keeps up",
]


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown rows of a run."""
    return markdown_table(
        HEADERS,
        [
            [
                r["streams"],
                r["joined"],
                f"{r['audio_frames']}/{r['audio_frames_expected']}",
                r["lag_p50_ms"],
                r["lag_p99_ms"],
                r["cpu_pct_of_core"],
                r["cpu_ms_per_stream_s"],
                int(1000 / r["cpu_ms_per_stream_s"]) if r["cpu_ms_per_stream_s"] else "-",
                r["sim_cpu_pct_of_core"],
                r["rss_kib_per_stream"],
                "yes" if r["keeps_up"] else "NO",
            ]
            for r in rows
        ],
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The sweep, stopping at the first point that does not keep up."""
    rows: list[dict[str, Any]] = []
    for n in args.streams:
        row = await measure(n, warmup=args.warmup, seconds=args.seconds)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
        if not row["keeps_up"]:
            break
    capacity = max((r["streams"] for r in rows if r["keeps_up"]), default=0)
    return {"rows": rows, "max_streams_keeping_up": capacity, "lag_limit_ms": LAG_LIMIT_MS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench audio``."""
    parser.add_argument("--streams", nargs="+", type=int, default=[10, 50, 100, 200, 300, 400])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="5 streams for a few seconds")


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run, print the table, write JSON and the lag/CPU plot."""
    if args.quick:
        args.streams, args.seconds, args.warmup = [5], 3.0, 1.5
    print(markdown_table(HEADERS, []), flush=True)
    data = asyncio.run(run(args))
    path = write_results("audio", data, quick=args.quick)
    print(f"\n{table(data['rows'])}\n\nmost streams keeping up: {data['max_streams_keeping_up']}")
    print(f"results: {path}")
    if not args.quick and len(data["rows"]) > 1:
        xs = [r["streams"] for r in data["rows"]]
        plot_lines(
            RESULTS_DIR / "audio.png",
            title="MeetMind RTMS client: audio streams in one process (1 core)",
            xlabel="concurrent 16 kHz L16 20 ms streams",
            ylabel="ms",
            series={
                "receive lag p99 (ms)": (xs, [r["lag_p99_ms"] for r in data["rows"]]),
                "client CPU % of core": (xs, [r["cpu_pct_of_core"] for r in data["rows"]]),
                "simulator CPU % of core": (xs, [r["sim_cpu_pct_of_core"] for r in data["rows"]]),
            },
            hline=LAG_LIMIT_MS,
        )
    return data
