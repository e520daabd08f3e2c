"""``python -m bench agent``: wake word -> reply latency in a simulated meeting.

One process runs the simulator and MeetMind (offline extractive responder, simulator bridge).
Each round plays a short meeting in which a participant says "Hey MeetMind, can you recap…";
the agent's ``agent.reply`` event carries its timings, measured with the process's performance
counter from the moment ingest stored the turn: detection, response (responder plus the
wake-word event and context reads), delivery through the bridge (the simulated meeting receives
the chat message and utterance) and the total. Reported as p50/p95/p99 over the rounds, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from typing import Any

import httpx
from sqlalchemy import select

from bench._common import fresh_database, markdown_table, percentile, write_results
from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.store.schema import SessionEventRow


def _script(round_: int) -> dict[str, Any]:
    lines = [
        ("ana", "Morning everyone, let's keep this short."),
        ("ben", f"I shipped the billing retry fix, ticket {round_}."),
        ("ana", "I'll review the migration plan by Thursday."),
        ("ben", "We decided to move the launch to next Monday."),
        ("ana", "Hey MeetMind, can you recap the action items?"),
        ("ben", "Thanks, that's all from me."),
    ]
    return {
        "title": f"Latency round {round_}",
        "duration": 3 * len(lines) + 4,
        "participants": [
            {"id": "ana", "name": "Ana Silva", "join": 0, "host": True},
            {"id": "ben", "name": "Ben Ito", "join": 0},
        ],
        "utterances": [
            {"at": 1 + 3 * i, "speaker": who, "text": text, "duration": 2}
            for i, (who, text) in enumerate(lines)
        ],
    }


async def _round(stack: LocalStack, http: httpx.AsyncClient, index: int) -> dict[str, float]:
    meeting_id = 80_000_000_000 + secrets.randbelow(9_999_999_999)
    meeting = stack.sim.create_meeting(_script(index), meeting_id=meeting_id)
    session = (await http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting.id)})).json()
    await http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    await stack.sim.record.wait_for(
        lambda e: (
            e.kind == "meeting.rtms_stopped" and e.meeting_id == meeting.id and "status" in e.data
        ),
        limit_s=120,
    )
    await stack.meetmind.zoom_inbox.drained()
    await stack.meetmind.ingestor.drained()
    await stack.meetmind.agent.drained()
    async with stack.meetmind.database.transaction() as db:
        payload = await db.scalar(
            select(SessionEventRow.payload).where(
                SessionEventRow.session_id == session["id"], SessionEventRow.type == "agent.reply"
            )
        )
    if payload is None:
        async with stack.meetmind.database.transaction() as db:
            kinds = list(
                await db.scalars(
                    select(SessionEventRow.type).where(
                        SessionEventRow.session_id == session["id"]
                    )
                )
            )
            texts = list(
                await db.scalars(
                    select(SessionEventRow.payload).where(
                        SessionEventRow.session_id == session["id"],
                        SessionEventRow.type == "transcript.turn",
                    )
                )
            )
        raise RuntimeError(
            f"round {index}: the agent did not reply; events {kinds}; "
            f"turns {[t['text'] for t in texts]}"
        )
    timings: dict[str, float] = payload["timings"]
    if not payload["delivered"]:
        raise RuntimeError(f"round {index}: the reply was not delivered")
    return timings


async def _measure(kind: str, rounds: int, speed: float) -> dict[str, Any]:
    async with (
        fresh_database(kind) as url,
        local_stack(
            database_url=url, time_scale=speed, settings={"rtms_media": ["transcript"]}
        ) as stack,
    ):
        tenant = await stack.meetmind.create_tenant("bench")
        key = await stack.meetmind.create_api_key(tenant.id)
        headers = {"Authorization": f"Bearer {key.secret}"}
        async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=60) as http:
            await connect_zoom(http)
            samples = [await _round(stack, http, i) for i in range(rounds)]
    result: dict[str, Any] = {"database": kind, "rounds": rounds}
    for name in ("detect_ms", "respond_ms", "deliver_ms", "total_ms"):
        values = [s[name] for s in samples]
        result[name] = {q: round(percentile(values, q), 2) for q in (50, 95, 99)}
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this bench."""
    parser.add_argument("--rounds", type=int, default=40, help="meetings per database")
    parser.add_argument("--speed", type=float, default=20.0, help="simulator time scale")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="3 rounds on SQLite")


def main(args: argparse.Namespace) -> None:
    """Run and print the table."""
    kinds = ["sqlite"] if args.quick else args.databases.split(",")
    rounds = 3 if args.quick else args.rounds
    results = [asyncio.run(_measure(kind, rounds, args.speed)) for kind in kinds]
    rows = [
        [
            r["database"],
            r["rounds"],
            *(
                f"{r[name][50]} / {r[name][99]}"
                for name in ("detect_ms", "respond_ms", "deliver_ms", "total_ms")
            ),
        ]
        for r in results
    ]
    print(
        markdown_table(
            [
                "database",
                "rounds",
                "detect ms p50/p99",
                "respond ms p50/p99",
                "deliver ms p50/p99",
                "turn stored -> reply delivered ms p50/p99",
            ],
            rows,
        )
    )
    path = write_results("agent", {"results": results}, quick=args.quick)
    print(f"\nresults: {path}")
