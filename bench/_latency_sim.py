"""The simulator side of ``bench latency``: Zoom in its own process, noting when it sends turns.

Run by :mod:`bench.latency` as a subprocess (never by hand)::

    python -m bench._latency_sim '{"time_scale": 1, "cpu": 1}'

Prints ``{"info": <Simulator.info()>, "pid": ...}`` once up, then reads JSON-line commands:

- ``{"cmd": "webhook", "url": ...}`` registers MeetMind's webhook URL: ``{"validated": bool}``.
- ``{"cmd": "meetings", "count", "every", "seconds", "seed"}`` starts ``count`` meetings whose
  scripts speak a turn every ``every`` seconds on average: ``{"meetings": [id, ...]}``.
- ``{"cmd": "sends"}`` answers and forgets every transcript frame sent so far:
  ``{"sends": [[meeting_id, user_id, start_time, monotonic_s], ...]}``.

EOF stops it. The send time comes from the simulator's own record: the entry of each sent
``msg_type:17`` frame (added right after ``ws.send`` returned) carries its simulated monotonic
time ``t``. Without ``clock.advance`` that is ``(time.monotonic() - origin) * time_scale``, so it
maps back to this machine's ``CLOCK_MONOTONIC``, which every process shares: the load process
subtracts it from its own ``time.monotonic()`` at arrival.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from typing import Any

from meetmind.sim.record import Entry
from meetmind.sim.simulator import Simulator

WORDS = [
    *("we", "should", "ship", "the", "release", "on", "friday", "after", "the", "review"),
    *("and", "the", "numbers", "look", "good", "for", "the", "migration", "plan", "so"),
    *("let", "us", "keep", "the", "launch", "date", "and", "follow", "up", "with", "the", "team"),
]


def meeting_script(seed: int, *, every: float, seconds: float) -> dict[str, Any]:
    """Two people taking turns, a turn every ``every`` s on average (uniform 0.5x-1.5x).

    The first turn comes at a random phase, so meetings started together do not speak in step.
    A turn is transcribed (and sent) when it ends, 80 % of its gap after it starts.
    """
    rng = random.Random(seed)
    utterances = []
    at = 1.0 + rng.uniform(0, every)
    while at < seconds - 2 * every:
        gap = every * rng.uniform(0.5, 1.5)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
        utterances.append(
            {
                "at": round(at, 3),
                "speaker": rng.choice(("ana", "ben")),
                "duration": round(gap * 0.8, 3),
                "text": text,
            }
        )
        at += gap
    return {
        "title": f"Latency bench meeting {seed}",
        "duration": seconds,
        "audio": {"source": "silence"},
        "participants": [
            {"id": "ana", "name": "Ana Silva", "join": 0, "host": True},
            {"id": "ben", "name": "Ben Ito", "join": 0},
        ],
        "utterances": utterances,
    }


class SendLog:
    """Collects the real send time of every transcript frame from the simulator's record."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.scale = sim.clock.time_scale
        before = time.monotonic()
        sim_now = sim.clock.monotonic()
        after = time.monotonic()
        self.real0 = (before + after) / 2
        self.sim0 = sim_now
        self.sends: list[tuple[int | None, str, int, float]] = []

    def see(self, entry: Entry) -> bool:
        """Record predicate: note transcript sends, never match (the watch runs forever)."""
        if (
            entry.kind == "msg_type:17"
            and entry.direction == "sent"
            and not entry.data.get("duplicate")
        ):
            content = entry.data.get("frame", {}).get("content", {})
            real = self.real0 + (entry.t - self.sim0) / self.scale
            self.sends.append(
                (
                    entry.meeting_id,
                    str(content.get("user_id")),
                    int(content.get("start_time") or 0),
                    round(real, 6),
                )
            )
        return False

    def take(self) -> list[tuple[int | None, str, int, float]]:
        """Everything noted since the last call."""
        sends, self.sends = self.sends, []
        return sends


async def serve(args: dict[str, Any]) -> None:
    """Run the simulator until stdin closes."""
    async with Simulator(time_scale=float(args.get("time_scale", 1.0)), record_audio=False) as sim:
        log = SendLog(sim)
        watch = asyncio.create_task(
            sim.record.wait_for(log.see, limit_s=10**8, since=sim.record.last_seq),
            name="latency-send-log",
        )
        print(json.dumps({"info": sim.info(), "pid": os.getpid()}), flush=True)
        next_id = 83_000_000_000
        try:
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    return
                command = json.loads(line)
                if command["cmd"] == "webhook":
                    validated = await sim.register_webhook(command["url"])
                    print(json.dumps({"validated": validated}), flush=True)
                elif command["cmd"] == "meetings":
                    ids = []
                    for n in range(int(command["count"])):
                        next_id += 1
                        script = meeting_script(
                            int(command.get("seed", 1)) * 100_000 + n,
                            every=float(command["every"]),
                            seconds=float(command["seconds"]),
                        )
                        ids.append(sim.create_meeting(script, meeting_id=next_id).id)
                    print(json.dumps({"meetings": ids}), flush=True)
                elif command["cmd"] == "sends":
                    print(json.dumps({"sends": log.take()}), flush=True)
        finally:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)


def main() -> None:
    """Entry point of the simulator subprocess."""
    args = json.loads(sys.argv[1])
    if args.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(args["cpu"])})
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
