"""``python -m bench official-sdk``: MeetMind's RTMS client next to Zoom's official ``rtms`` SDK.

One run, one simulator process (time scale 1, its own CPU): N meetings from the same script
(16 kHz L16 audio every 20 ms plus a transcript line every 3 s) are joined by N official
clients in one process, then N fresh meetings of the same script by N MeetMind clients in
another process (each client set in its own process so CPU time and RSS are separable; both
pinned to the same CPU). Reported per stream: CPU milliseconds per second of streaming, RSS
growth over the idle process, receive lag; and the ratios MeetMind / official (target <= 1.0).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from typing import Any

from bench._common import RESULTS_DIR, markdown_table, plot_lines, write_results
from bench._rtms_run import SimProcess, run_clients

MEDIA = ["audio", "transcript"]


async def measure(n: int, *, warmup: float, seconds: float) -> dict[str, Any]:
    """Both clients over N meetings each, on one simulator."""
    sim = await SimProcess.start()
    rows: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="meetmind-rtms-sdk-") as logs_cwd:
            for kind in ("official", "meetmind"):
                targets = await sim.meetings(n)
                rows[kind] = await run_clients(
                    sim,
                    kind,
                    targets,
                    media=MEDIA,
                    warmup=warmup,
                    seconds=seconds,
                    cwd=logs_cwd if kind == "official" else None,
                )
                await sim.end_meetings()
    finally:
        await sim.stop()
    official, meetmind = rows["official"], rows["meetmind"]

    def ratio(key: str) -> float | None:
        return round(meetmind[key] / official[key], 2) if official[key] else None

    return {
        "streams": n,
        "official": official,
        "meetmind": meetmind,
        "cpu_ratio": ratio("cpu_ms_per_stream_s"),
        "rss_ratio": ratio("rss_kib_per_stream"),
    }


HEADERS = [
    "streams",
    "client",
    "joined",
    "audio frames",
    "transcripts",
    "CPU ms per stream-s",
    "RSS KiB/stream",
    "process RSS MiB",
    "lag p50/p99 ms",
    "CPU ratio MM/official",
    "RSS ratio MM/official",
]


def table(points: list[dict[str, Any]]) -> str:
    """The markdown rows of a run (two per point)."""
    rows = []
    for p in points:
        for kind in ("official", "meetmind"):
            r = p[kind]
            rows.append(
                [
                    p["streams"],
                    "Zoom rtms SDK" if kind == "official" else "MeetMind",
                    r["joined"],
                    f"{r['audio_frames']}/{r['audio_frames_expected']}",
                    r["transcripts_total"],
                    r["cpu_ms_per_stream_s"],
                    r["rss_kib_per_stream"],
                    r["rss_mib"],
                    f"{r['lag_p50_ms']}/{r['lag_p99_ms']}",
                    p["cpu_ratio"] if kind == "meetmind" else "",
                    p["rss_ratio"] if kind == "meetmind" else "",
                ]
            )
    return markdown_table(HEADERS, rows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Each N of ``--streams``."""
    points = []
    for n in args.streams:
        point = await measure(n, warmup=args.warmup, seconds=args.seconds)
        points.append(point)
        print("\n".join(table([point]).splitlines()[2:]), flush=True)
    return {"points": points}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench official-sdk``."""
    parser.add_argument("--streams", nargs="+", type=int, default=[10, 50])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="3 streams for a few seconds")


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run, print the table, write JSON and the ratio plot."""
    try:
        import rtms  # noqa: F401
    except ImportError:
        raise SystemExit("Zoom's official SDK is not installed: pip install 'rtms>=1.1'") from None
    if args.quick:
        args.streams, args.seconds, args.warmup = [3], 3.0, 2.0
    print(markdown_table(HEADERS, []), flush=True)
    data = asyncio.run(run(args))
    path = write_results("official_sdk", data, quick=args.quick)
    print(f"\n{table(data['points'])}\n\nresults: {path}")
    if not args.quick and len(data["points"]) > 1:
        xs = [p["streams"] for p in data["points"]]
        plot_lines(
            RESULTS_DIR / "official_sdk.png",
            title="CPU per stream: MeetMind client vs Zoom rtms SDK",
            xlabel="concurrent streams (audio L16 20 ms + transcript)",
            ylabel="CPU ms per stream-second",
            series={
                kind: (xs, [p[key]["cpu_ms_per_stream_s"] for p in data["points"]])
                for kind, key in (("Zoom rtms SDK", "official"), ("MeetMind", "meetmind"))
            },
        )
    return data
