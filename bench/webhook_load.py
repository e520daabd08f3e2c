"""The load generator of ``bench webhooks``: signed Zoom webhooks over raw HTTP/1.1 keep-alive.

Run by :mod:`bench.webhooks` in its own process (never by hand)::

    python -m bench.webhook_load '{"url": ..., "secret": ..., "seconds": 10, "connections": 16,
                                   "duplicates": 0.0, "warmup": 300, "server_pid": 123}'

Requests are built and signed on the fly with :func:`meetmind.zoom.webhooks.sign_webhook`; the
client is a few lines over ``asyncio`` streams so the generator costs far less CPU per request than
the server it measures. Prints one JSON line: counts, statuses, latency percentiles, server CPU.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from bench._common import proc_cpu_seconds, summary_ms
from meetmind.zoom.webhooks import sign_webhook

PATH = "/api/v1/zoom/rtms/webhook"


def webhook_body(n: int, run: str) -> bytes:
    """A ``meeting.rtms_started`` envelope unique by ``n`` (as Zoom sends it, ~400 bytes)."""
    event = {
        "event": "meeting.rtms_started",
        "event_ts": 1_700_000_000_000 + n,
        "payload": {
            "meeting_uuid": f"bench{run}{n:09d}==",
            "operator_id": "bench-operator",
            "rtms_stream_id": f"{run}{n:024x}",
            "server_urls": "ws://127.0.0.1:9/signaling",
            "account_id": "bench-account",
            "meeting_id": 90_000_000_000 + n,
            "is_original_host": True,
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


class Load:
    """Request factory and tallies shared by the connections."""

    def __init__(self, args: dict[str, Any]) -> None:
        parts = urlsplit(args["url"])
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.secret: str = args["secret"]
        self.duplicates: float = float(args.get("duplicates", 0.0))
        self.run = os.urandom(3).hex()
        self.counter = 0
        self.sent_bodies: list[bytes] = []
        self.rng = random.Random(7)
        self.measuring = False
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.answers: dict[str, int] = {}

    def next_body(self) -> bytes:
        """A fresh body, or (with probability ``duplicates``) one sent before."""
        if self.sent_bodies and self.rng.random() < self.duplicates:
            return self.rng.choice(self.sent_bodies)
        self.counter += 1
        body = webhook_body(self.counter, self.run)
        if len(self.sent_bodies) < 1000:
            self.sent_bodies.append(body)
        return body

    def request(self) -> bytes:
        """One signed POST, as bytes on the wire."""
        body = self.next_body()
        ts = str(int(time.time()))
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-zm-request-timestamp: {ts}\r\n"
            f"x-zm-signature: {sign_webhook(self.secret, ts, body)}\r\n\r\n"
        )
        return head.encode() + body


async def _connection(load: Load, stop_at: list[float], budget: list[int]) -> None:
    reader, writer = await asyncio.open_connection(load.host, load.port)
    try:
        while time.monotonic() < stop_at[0] and budget[0] != 0:
            budget[0] -= 1
            request = load.request()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            elapsed = time.perf_counter() - started
            if load.measuring:
                status = head.split(b" ", 2)[1].decode()
                load.statuses[status] = load.statuses.get(status, 0) + 1
                load.latencies.append(elapsed)
                try:
                    answer = str(json.loads(body).get("status", "error"))
                except ValueError:
                    answer = "unparsed"
                load.answers[answer] = load.answers.get(answer, 0) + 1
    finally:
        writer.close()


async def drive(args: dict[str, Any]) -> dict[str, Any]:
    """Warm up, then send for ``seconds`` on ``connections`` keep-alive connections."""
    load = Load(args)
    connections = int(args.get("connections", 16))
    warmup = [int(args.get("warmup", 300))]
    await asyncio.gather(*(_connection(load, [float("inf")], warmup) for _ in range(connections)))
    server_pid = args.get("server_pid")
    cpu0 = proc_cpu_seconds(server_pid) if server_pid else 0.0
    load.measuring = True
    started = time.monotonic()
    stop_at = [started + float(args.get("seconds", 10))]
    budget = [int(args.get("max_requests", -1))]
    await asyncio.gather(*(_connection(load, stop_at, budget) for _ in range(connections)))
    elapsed = time.monotonic() - started
    cpu = (proc_cpu_seconds(server_pid) - cpu0) if server_pid else 0.0
    done = len(load.latencies)
    return {
        "requests": done,
        "seconds": round(elapsed, 3),
        "per_s": round(done / elapsed, 1),
        "server_cpu_s": round(cpu, 3),
        "per_cpu_s": round(done / cpu, 1) if cpu else None,
        "statuses": load.statuses,
        "answers": load.answers,
        "unique_bodies": load.counter,
        **summary_ms(load.latencies),
    }


def main() -> None:
    """Entry point of the load-generator subprocess."""
    args = json.loads(sys.argv[1])
    if args.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(args["cpu"])})
    print(json.dumps(asyncio.run(drive(args))), flush=True)


if __name__ == "__main__":
    main()
