"""The Zoom simulator in its own process, so its CPU is never counted against the client.

Run by the audio and official-SDK benchmarks (never by hand)::

    python -m bench.sim_process '{"time_scale": 1, "cpu": 1}'

Prints ``{"client_id", "client_secret", "pid"}`` once up, then reads JSON-line commands:
``{"cmd": "meetings", "count": N, "script": {...}}`` answers ``{"targets": [{meeting_uuid,
rtms_stream_id, server_urls}, ...]}``; ``{"cmd": "stats"}`` answers frame counts. EOF stops it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any


def bench_script(*, seconds: int = 3600, utterance_every: float = 3.0) -> dict[str, Any]:
    """One speaker talking for ``seconds``, a transcript line every ``utterance_every`` s."""
    utterances = [
        {
            "at": round(1 + n * utterance_every, 2),
            "speaker": "ana",
            "duration": round(utterance_every * 0.8, 2),
            "text": f"Line {n}: the numbers look good for the release this week.",
        }
        for n in range(int((seconds - 2) / utterance_every))
    ]
    return {
        "title": "Bench meeting",
        "duration": seconds,
        "audio": {"source": "tone", "amplitude": 0.2},
        "participants": [{"id": "ana", "name": "Ana Silva", "join": 0, "host": True, "tone": 300}],
        "utterances": utterances,
    }


async def serve(args: dict[str, Any]) -> None:
    """Run the simulator until stdin closes."""
    from meetmind.sim.simulator import Simulator

    async with Simulator(time_scale=float(args.get("time_scale", 1.0)), record_audio=False) as sim:
        print(
            json.dumps(
                {"client_id": sim.client_id, "client_secret": sim.client_secret, "pid": os.getpid()}
            ),
            flush=True,
        )
        next_id = 82_000_000_000
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            if command["cmd"] == "meetings":
                targets = []
                for _ in range(int(command["count"])):
                    next_id += 1
                    meeting = sim.create_meeting(
                        command.get("script") or bench_script(), meeting_id=next_id
                    )
                    stream = sim.start_rtms(meeting)
                    targets.append(
                        {
                            "meeting_uuid": meeting.uuid,
                            "rtms_stream_id": stream.stream_id,
                            "server_urls": stream.server_urls,
                        }
                    )
                print(json.dumps({"targets": targets}), flush=True)
            elif command["cmd"] == "end":
                for meeting in list(sim.ctx.meetings.values()):
                    await sim.end_meeting(meeting)
                print(json.dumps({"ended": True}), flush=True)


def main() -> None:
    """Entry point of the simulator subprocess."""
    args = json.loads(sys.argv[1])
    if args.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(args["cpu"])})
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
