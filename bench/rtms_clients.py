"""The measured process of ``bench audio`` and ``bench official-sdk``: N RTMS clients.

Run by those benchmarks (never by hand)::

    python -m bench.rtms_clients '{"kind": "meetmind" | "official", "targets": [...],
                                   "client_id": ..., "client_secret": ..., "media": ["audio"],
                                   "warmup": 3, "seconds": 20, "cpu": 0}'

It joins every target, waits ``warmup`` seconds (connect storm, buffered backlog), then measures
for ``seconds``: audio receive lag (now - frame timestamp, in the application's callback), frames
and transcript lines received, CPU seconds of the whole process (all threads) and RSS growth over
the process before any client existed. Prints one JSON line.

MeetMind's side is :class:`meetmind.zoom.rtms.client.RtmsStreamClient` on one asyncio loop. The
official side is Zoom's ``rtms`` SDK (C++ core) driven the way its docs advise for many clients:
an ``EventLoopPool`` with one SDK thread per 25 clients, callbacks inline on those threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench._common import percentile, proc_rss_bytes


class Tally:
    """What the callbacks saw (thread-safe enough: one writer per counter under the GIL)."""

    def __init__(self) -> None:
        self.measuring = False
        self.audio = 0
        self.audio_bytes = 0
        self.transcripts = 0
        self.lags_ms: list[float] = []
        self.joined = 0

    def on_audio(self, size: int, timestamp_ms: int) -> None:
        """One audio frame arrived."""
        self.audio += 1
        self.audio_bytes += size
        if self.measuring:
            self.lags_ms.append(time.time() * 1000 - timestamp_ms)


def _result(
    tally: Tally, args: dict[str, Any], rss0: int, cpu: float, wall: float, frames0: int
) -> dict[str, Any]:
    n = len(args["targets"])
    frames = tally.audio - frames0
    expected = n * wall * 1000 / 20 if "audio" in args["media"] else 0
    rss = proc_rss_bytes(os.getpid())
    return {
        "kind": args["kind"],
        "streams": n,
        "joined": tally.joined,
        "seconds": round(wall, 3),
        "audio_frames": frames,
        "audio_frames_expected": round(expected),
        "audio_bytes_total": tally.audio_bytes,
        "transcripts_total": tally.transcripts,
        "cpu_s": round(cpu, 3),
        "cpu_pct_of_core": round(100 * cpu / wall, 1),
        "cpu_ms_per_stream_s": round(1000 * cpu / wall / n, 3),
        "rss_base_mib": round(rss0 / 2**20, 1),
        "rss_mib": round(rss / 2**20, 1),
        "rss_kib_per_stream": round((rss - rss0) / 1024 / n, 1),
        "lag_p50_ms": round(percentile(tally.lags_ms, 50), 1),
        "lag_p99_ms": round(percentile(tally.lags_ms, 99), 1),
        "lag_max_ms": round(max(tally.lags_ms, default=0.0), 1),
    }


async def run_meetmind(args: dict[str, Any], rss0: int) -> dict[str, Any]:
    """N RtmsStreamClient on this loop."""
    from meetmind.domain.events import AudioReceived, TranscriptReceived
    from meetmind.zoom.rtms.client import RtmsClientConfig, RtmsStreamClient, RtmsTarget

    tally = Tally()

    async def on_event(event: object) -> None:
        if isinstance(event, AudioReceived):
            tally.on_audio(len(event.data), event.timestamp_ms)
        elif isinstance(event, TranscriptReceived):
            tally.transcripts += 1

    config = RtmsClientConfig(
        client_id=args["client_id"], client_secret=args["client_secret"], media=tuple(args["media"])
    )
    clients = [RtmsStreamClient(RtmsTarget(**t), config, on_event) for t in args["targets"]]
    tasks = [asyncio.create_task(c.run(), name=f"bench-client-{i}") for i, c in enumerate(clients)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(c.ready.wait() for c in clients)), float(args.get("join_s", 60))
        )
    tally.joined = sum(c.ready.is_set() for c in clients)
    await asyncio.sleep(float(args["warmup"]))
    frames0 = tally.audio
    tally.measuring = True
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(float(args["seconds"]))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    tally.measuring = False
    result = _result(tally, args, rss0, cpu, wall, frames0)
    for client in clients:
        await client.close()
    await asyncio.wait(tasks, timeout=10)
    return result


def run_official(args: dict[str, Any], rss0: int) -> dict[str, Any]:
    """N ``rtms.Client`` on an ``EventLoopPool`` (one SDK thread per 25 clients)."""
    import rtms

    Path("logs").mkdir(exist_ok=True)  # the C SDK writes ./logs
    tally = Tally()
    lock = threading.Lock()

    def on_join(reason: int) -> None:
        if reason == 0:
            with lock:
                tally.joined += 1

    def on_audio(data: bytes, size: int, timestamp: int, md: object) -> None:
        tally.on_audio(len(data), timestamp)

    def on_transcript(data: bytes, size: int, timestamp: int, md: object) -> None:
        data.decode("utf-8")  # what any application does with it; MeetMind's client decodes too
        tally.transcripts += 1

    n = len(args["targets"])
    pool = rtms.EventLoopPool(threads=max(1, math.ceil(n / 25)))
    clients = []
    for target in args["targets"]:
        client = rtms.Client()
        client.on_join_confirm(on_join)
        if "audio" in args["media"]:
            client.set_audio_params(
                rtms.AudioParams(
                    content_type=rtms.AudioContentType.RAW_AUDIO,
                    codec=rtms.AudioCodec.L16,
                    sample_rate=rtms.AudioSampleRate.SR_16K,
                    channel=rtms.AudioChannel.MONO,
                    data_opt=rtms.AudioDataOption.AUDIO_MIXED_STREAM,
                    duration=20,
                    frame_size=320,
                )
            )
            client.on_audio_data(on_audio)
        if "transcript" in args["media"]:
            client.on_transcript_data(on_transcript)
        pool.add(client)
        client.join(
            meeting_uuid=target["meeting_uuid"],
            rtms_stream_id=target["rtms_stream_id"],
            server_urls=target["server_urls"],
            client=args["client_id"],
            secret=args["client_secret"],
        )
        clients.append(client)
    for loop in pool.loops:
        loop.start()
    deadline = time.monotonic() + float(args.get("join_s", 60))
    while tally.joined < n and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(float(args["warmup"]))
    frames0 = tally.audio
    tally.measuring = True
    cpu0, wall0 = time.process_time(), time.monotonic()
    time.sleep(float(args["seconds"]))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    tally.measuring = False
    return _result(tally, args, rss0, cpu, wall, frames0)


def main() -> None:
    """Entry point of the client subprocess."""
    args = json.loads(sys.argv[1])
    if args.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(args["cpu"])})
    # Import the client stack before the baseline RSS so per-stream memory is only streams.
    if args["kind"] == "official":
        import rtms  # noqa: F401

        rss0 = proc_rss_bytes(os.getpid())
        result = run_official(args, rss0)
    else:
        import meetmind.zoom.rtms.client  # noqa: F401

        rss0 = proc_rss_bytes(os.getpid())
        result = asyncio.run(run_meetmind(args, rss0))
    print(json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # the official C SDK keeps threads alive; a hard exit is the reliable stop


if __name__ == "__main__":
    main()
