"""Worker failover: how fast a dead worker's streams are taken over and rejoined.

A local cluster (``meetmind serve --api`` + ``meetmind worker`` processes on PostgreSQL and
Redis) follows simulated meetings; mid-meeting the busiest worker gets SIGKILL. Measured, per
lease TTL: the time until the surviving workers hold every orphaned stream, and for each orphan
the time until Zoom (the simulator) accepted its new signaling handshake. The target is
"resumed within lease TTL + 2 s". Also a graceful SIGTERM drain of the next busiest worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import tempfile
import time
from typing import Any

import httpx

from bench._common import fresh_database, markdown_table, summary_ms, write_results
from meetmind.cluster.local import ClusterProcess, LocalCluster, create_tenant_key, simulator_env
from meetmind.local import WEBHOOK_PATH, connect_zoom
from meetmind.sim.context import SimConfig
from meetmind.sim.scripts import load_script
from meetmind.sim.simulator import Simulator
from meetmind.store.vault import generate_key_spec

REDIS_URL = os.environ.get("MEETMIND_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def time_scale(ttl: float) -> float:
    """Fast simulated time, but with Zoom's 60 s reconnection window at least 6 TTLs long in
    real seconds (a takeover slower than the window loses the stream, as with Zoom)."""
    return min(10.0, 60.0 / (6 * ttl))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m bench takeover``."""
    parser.add_argument("--quick", action="store_true", help="6 meetings, 2 workers, TTL 2 s.")
    parser.add_argument("--meetings", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--ttl", type=float, nargs="+", default=[2.0, 5.0, 10.0], help="Lease TTLs (s)."
    )


def main(args: argparse.Namespace) -> None:
    """Run every TTL and report."""
    if args.quick:
        args.meetings, args.workers, args.ttl = 6, 2, [2.0]
    rows = [asyncio.run(_run(ttl, args.meetings, args.workers)) for ttl in args.ttl]
    print(
        markdown_table(
            [
                "lease TTL s",
                "meetings",
                "orphans",
                "all held after s",
                "rejoined p50 ms",
                "rejoined max ms",
                "target (TTL + 2 s) met",
                "SIGTERM hand-over s",
            ],
            [
                [
                    r["ttl_s"],
                    r["meetings"],
                    r["orphans"],
                    r["held_after_s"],
                    r["rejoined"]["p50_ms"],
                    r["rejoined"]["max_ms"],
                    "yes" if r["rejoined"]["max_ms"] <= (r["ttl_s"] + 2) * 1000 else "no",
                    r["drain_handover_s"],
                ]
                for r in rows
            ],
        )
    )
    path = write_results("takeover", {"runs": rows}, quick=args.quick)
    print(f"\nwrote {path}")


async def _streams(http: httpx.AsyncClient, member: ClusterProcess) -> set[str]:
    return set((await http.get(f"{member.url}/healthz")).json()["streams"])


async def _until_held(
    http: httpx.AsyncClient, members: list[ClusterProcess], sessions: set[str]
) -> None:
    while True:
        held: set[str] = set()
        for member in members:
            held |= await _streams(http, member)
        if sessions <= held:
            return
        await asyncio.sleep(0.02)


async def _run(ttl: float, meetings: int, workers: int) -> dict[str, Any]:
    async with (
        fresh_database("postgres") as database_url,
        Simulator(time_scale=time_scale(ttl), config=SimConfig(seed=3)) as sim,
    ):
        keys = generate_key_spec("bench")
        env = {
            "MEETMIND_DATABASE_URL": database_url.replace("+asyncpg", ""),
            "MEETMIND_REDIS_URL": REDIS_URL,
            "MEETMIND_REDIS_NAMESPACE": f"bench-{secrets.token_hex(4)}",
            "MEETMIND_WORKER_LEASE_TTL_SECONDS": str(ttl),
            "MEETMIND_ENCRYPTION_KEYS": keys,
            "MEETMIND_RTMS_MEDIA": "transcript,chat",
            "MEETMIND_LOG_LEVEL": "WARNING",
            **simulator_env(sim),
        }
        logs = tempfile.mkdtemp(prefix="meetmind-takeover-")
        async with (
            LocalCluster(env, api=1, workers=workers, log_dir=logs) as cluster,
            httpx.AsyncClient() as http,
        ):
            await sim.register_webhook(cluster.api_urls[0] + WEBHOOK_PATH)
            key = await create_tenant_key(env["MEETMIND_DATABASE_URL"], keys, "bench")
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=cluster.api_urls[0], headers=headers) as api:
                await connect_zoom(api)
                streams: dict[str, Any] = {}
                for _ in range(meetings):
                    meeting_id = 83_000_000_000 + secrets.randbelow(999_999_999)
                    meeting = sim.create_meeting(load_script("planning"), meeting_id=meeting_id)
                    answer = await api.post(
                        "/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)}
                    )
                    session_id = answer.json()["id"]
                    await api.post(f"/api/v1/sdk/sessions/{session_id}/rtms/start")
                    streams[session_id] = meeting
                await _until_held(http, cluster.workers, set(streams))
                await sim.clock.sleep(30)

                owned = {w.url: await _streams(http, w) for w in cluster.workers}
                victim = max(cluster.workers, key=lambda w: len(owned[w.url]))
                orphans = owned[victim.url]
                stream_ids = {streams[s].live_streams()[0].stream_id: s for s in orphans}
                killed_sim_t = sim.clock.monotonic()
                killed = time.monotonic()
                cluster.kill(victim, signal.SIGKILL)
                survivors = [w for w in cluster.workers if w is not victim]
                await _until_held(http, survivors, orphans)
                held_after = time.monotonic() - killed
                rejoined = await _rejoin_times(sim, stream_ids, killed_sim_t)

                # A graceful drain of the busiest survivor (if another is left to take over).
                drain_s: float | str = "-"
                if len(survivors) >= 2:
                    now = {w.url: await _streams(http, w) for w in survivors}
                    leaving = max(survivors, key=lambda w: len(now[w.url]))
                    moving = now[leaving.url]
                    began = time.monotonic()
                    cluster.kill(leaving, signal.SIGTERM)
                    await _until_held(http, [w for w in survivors if w is not leaving], moving)
                    drain_s = round(time.monotonic() - began, 2)
        return {
            "ttl_s": ttl,
            "time_scale": time_scale(ttl),
            "meetings": meetings,
            "workers": workers,
            "orphans": len(orphans),
            "held_after_s": round(held_after, 2),
            "rejoined": summary_ms(rejoined),
            "rejoined_s": [round(r, 3) for r in rejoined],
            "drain_handover_s": drain_s,
        }


async def _rejoin_times(
    sim: Simulator, stream_ids: dict[str, str], killed_sim_t: float
) -> list[float]:
    """Real seconds from the kill to each orphan's accepted signaling handshake."""
    times: dict[str, float] = {}
    try:
        await _collect(sim, stream_ids, killed_sim_t, times)
    except TimeoutError:
        missing = set(stream_ids) - set(times)
        for stream_id in missing:
            for e in sim.record.entries(stream_id=stream_id):
                if e.t > killed_sim_t - 1 and e.channel in ("signaling", "stream", "webhook"):
                    print(f"{e.t - killed_sim_t:8.2f} {e.channel} {e.kind} {str(e.data)[:150]}")
        raise
    return sorted(times.values())


async def _collect(
    sim: Simulator, stream_ids: dict[str, str], killed_sim_t: float, times: dict[str, float]
) -> None:
    async with asyncio.timeout(60):
        while len(times) < len(stream_ids):
            for entry in sim.record.entries(channel="signaling", kind="msg_type:2"):
                frame = entry.data.get("frame", {})
                if (
                    entry.stream_id in stream_ids
                    and entry.stream_id not in times
                    and entry.t > killed_sim_t
                    and frame.get("status_code") == 0
                ):
                    times[entry.stream_id] = (entry.t - killed_sim_t) / sim.clock.time_scale
            await asyncio.sleep(0.1)
