"""A paused worker is fenced out; a drained worker hands its streams over at once.

* SIGSTOP (a long GC pause, a frozen VM, a partition): its leases expire, another worker takes
  the streams with newer fencing tokens; after SIGCONT the paused worker finds its leases gone
  and its late writes refused, and leaves those streams. Nothing is stored twice.
* SIGTERM: the worker leaves its streams, gives the leases back and asks the others to take
  them, so they move without waiting for a lease to expire.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from typing import Any

import httpx
import pytest

from meetmind.cluster.local import (
    ClusterProcess,
    LocalCluster,
    create_tenant_key,
    simulator_env,
)
from meetmind.local import WEBHOOK_PATH, connect_zoom
from meetmind.sim.context import SimConfig
from meetmind.sim.meeting import Meeting
from meetmind.sim.scripts import load_script
from meetmind.sim.simulator import Simulator
from meetmind.store.vault import generate_key_spec
from tests.cluster.conftest import REDIS_URL
from tests.streams.conftest import expected_lines, spoken_lines

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

LEASE_TTL_S = 2.0


async def _streams(http: httpx.AsyncClient, member: ClusterProcess) -> set[str]:
    streams: list[str] = (await http.get(f"{member.url}/healthz")).json()["streams"]
    return set(streams)


async def _until_owned(
    http: httpx.AsyncClient, members: list[ClusterProcess], sessions: set[str]
) -> float:
    """Seconds until ``members`` together hold every stream of ``sessions``."""
    began = time.monotonic()
    while True:
        owned: set[str] = set()
        for member in members:
            owned |= await _streams(http, member)
        if sessions <= owned:
            return time.monotonic() - began
        await asyncio.sleep(0.05)


def _lost_while_frozen(meeting: Meeting, frozen_at: float, taken_at: float) -> set[tuple[str, str]]:
    """Utterances sent between the freeze and the takeover (plus the reconnection after it)."""
    script = meeting.script
    return {
        (script.participant(u.speaker).name, u.text)
        for u in script.utterances
        if frozen_at - 2 <= meeting.started_t + u.end <= taken_at + 15
    }


def _debug(sim: Simulator, meeting: Meeting) -> list[str]:
    return [
        f"{e.t - meeting.started_t:7.2f} {e.channel} {e.kind} {str(e.data)[:120]}"
        for e in sim.record.entries(meeting_id=meeting.id)
        if e.channel != "media" or e.kind.startswith(("msg_type:17", "msg_type:8"))
    ][-60:]


async def test_paused_worker_is_fenced_out_and_drained_worker_hands_over(
    cluster_database_url: str, namespace: str, tmp_path: Any
) -> None:
    async with Simulator(time_scale=10, config=SimConfig(seed=11)) as sim:
        keys = generate_key_spec("cluster")
        env = {
            "MEETMIND_DATABASE_URL": cluster_database_url,
            "MEETMIND_REDIS_URL": REDIS_URL,
            "MEETMIND_REDIS_NAMESPACE": namespace,
            "MEETMIND_WORKER_LEASE_TTL_SECONDS": str(LEASE_TTL_S),
            **simulator_env(sim),
            "MEETMIND_ENCRYPTION_KEYS": keys,
            "MEETMIND_RTMS_MEDIA": "transcript,chat",
            "MEETMIND_RTMS_RECONNECT_BASE_SECONDS": "0.1",
            "MEETMIND_RTMS_RECONNECT_MAX_SECONDS": "0.5",
        }
        log_dir = os.environ.get("MEETMIND_TEST_ARTIFACTS", str(tmp_path)) + "/pause-logs"
        async with LocalCluster(env, api=1, workers=2, log_dir=log_dir) as cluster:
            assert await sim.register_webhook(cluster.api_urls[0] + WEBHOOK_PATH)
            key = await create_tenant_key(
                cluster_database_url, keys, f"pause-{secrets.token_hex(3)}"
            )
            headers = {"Authorization": f"Bearer {key}"}
            async with (
                httpx.AsyncClient(base_url=cluster.api_urls[0], headers=headers) as api,
                httpx.AsyncClient() as http,
            ):
                await connect_zoom(api)
                meetings: dict[str, Meeting] = {}
                for _ in range(6):
                    meeting_id = 82_000_000_000 + secrets.randbelow(999_999_999)
                    meeting = sim.create_meeting(
                        load_script("standup"), meeting_id=meeting_id, wait_for_rtms=True
                    )
                    created = await api.post(
                        "/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)}
                    )
                    session_id = created.json()["id"]
                    meetings[session_id] = meeting
                    assert (
                        await api.post(f"/api/v1/sdk/sessions/{session_id}/rtms/start")
                    ).status_code == 200
                sessions = set(meetings)
                first, second = cluster.workers
                if not await _streams(http, first):  # freeze one that holds something
                    first, second = second, first
                async with asyncio.timeout(30):
                    await _until_owned(http, cluster.workers, sessions)
                await sim.clock.sleep(40)

                # Freeze the busier worker past its leases' TTL: the other takes everything.
                frozen, other = first, second
                held_by_frozen = await _streams(http, frozen)
                frozen_at = sim.clock.monotonic()
                cluster.kill(frozen, signal.SIGSTOP)
                try:
                    async with asyncio.timeout(30):
                        await _until_owned(http, [other], sessions)
                finally:
                    cluster.kill(frozen, signal.SIGCONT)
                taken_at = sim.clock.monotonic()
                # Thawed, it learns from its heartbeat (or a refused write) that it lost them.
                async with asyncio.timeout(10):
                    while True:
                        if not await _streams(http, frozen):
                            break
                        await asyncio.sleep(0.05)
                assert held_by_frozen <= sessions

                # A graceful drain hands the streams over well before a lease would expire.
                await sim.clock.sleep(40)
                cluster.kill(other, signal.SIGTERM)
                async with asyncio.timeout(30):
                    handover_s = await _until_owned(http, [frozen], sessions)
                print(f"\nSIGTERM hand-over of {len(sessions)} streams took {handover_s:.2f} s")

                async with asyncio.timeout(90):
                    for session_id in sessions:
                        while True:
                            status = (await api.get(f"/api/v1/sdk/sessions/{session_id}")).json()
                            if status["status"] == "ended":
                                break
                            await asyncio.sleep(0.2)
                for session_id, meeting in meetings.items():
                    page = (
                        await api.get(
                            f"/api/v1/sdk/sessions/{session_id}/transcript", params={"limit": 500}
                        )
                    ).json()
                    turns = page["data"]
                    assert len({t["start_ms"] for t in turns}) == len(turns)
                    if session_id not in held_by_frozen:
                        assert spoken_lines(turns) == expected_lines(meeting), session_id
                        continue
                    # What Zoom wrote into the frozen worker's sockets counts as delivered: those
                    # turns are lost with the fenced-out worker (it may not write them). Every
                    # other turn is there, in order, once.
                    stored = spoken_lines(turns)
                    lost = _lost_while_frozen(meeting, frozen_at, taken_at)
                    expected = [line for line in expected_lines(meeting) if line not in lost]
                    window = (frozen_at - meeting.started_t, taken_at - meeting.started_t)
                    assert [line for line in stored if line not in lost] == expected, (
                        session_id,
                        window,
                        _debug(sim, meeting),
                    )
