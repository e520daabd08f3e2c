"""MeetMind killed (SIGKILL) mid-meeting and started again: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from meetmind.local import connect_zoom, free_port
from meetmind.sim.simulator import Simulator
from meetmind.store.vault import generate_key_spec

pytestmark = pytest.mark.slow

SCRIPT: dict[str, Any] = {
    "title": "Restart drill",
    "duration": 80,
    "participants": [
        {"id": "ana", "name": "Ana Silva", "join": 0, "host": True},
        {"id": "ben", "name": "Ben Ito", "join": 0},
    ],
    "utterances": [
        {
            "at": 2 + 3 * i,
            "speaker": "ana" if i % 2 == 0 else "ben",
            "duration": 2,
            "text": f"Line {i:02d} of the restart drill.",
        }
        for i in range(22)
    ],
}


class Server:
    """`meetmind serve` as a child process on a fixed port."""

    def __init__(self, env: dict[str, str], cwd: Path, port: int) -> None:
        self.env, self.cwd, self.port = env, cwd, port
        self.process: asyncio.subprocess.Process | None = None
        self.url = f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        with (self.cwd / "server.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "meetmind", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.cwd,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        async with httpx.AsyncClient() as http:
            for _ in range(400):
                assert self.process.returncode is None, "meetmind serve exited"
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    await asyncio.sleep(0.025)
        raise AssertionError("meetmind serve did not come up")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 20)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(time_scale=10) as simulator:
        yield simulator


async def test_sigkill_mid_meeting_loses_nothing(
    sim: Simulator, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETMIND_")}
    env.update(
        MEETMIND_DATABASE_URL=database_url,
        MEETMIND_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        MEETMIND_ZOOM_CLIENT_ID=sim.client_id,
        MEETMIND_ZOOM_CLIENT_SECRET=sim.client_secret,
        MEETMIND_ZOOM_WEBHOOK_SECRET_TOKEN=sim.webhook_secret_token,
        MEETMIND_ZOOM_OAUTH_BASE_URL=sim.oauth_base_url,
        MEETMIND_ZOOM_API_BASE_URL=sim.api_base_url,
        MEETMIND_ENCRYPTION_KEYS=generate_key_spec("drill"),
        MEETMIND_RTMS_MEDIA="transcript,chat",
        MEETMIND_RTMS_RECONNECT_BASE_SECONDS="0.05",
        MEETMIND_LOG_LEVEL="WARNING",
    )
    creating = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "meetmind", "keys", "create", "--tenant", "drill", "--json"],
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await creating.communicate()
    assert creating.returncode == 0
    key = json.loads(output)["api_key"]
    server = Server(env, tmp_path, port)
    await server.start()
    try:
        assert await sim.register_webhook(server.url + "/api/v1/zoom/rtms/webhook")
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=20) as http:
            await connect_zoom(http)
            meeting = sim.create_meeting(SCRIPT, meeting_id=81000000001, wait_for_rtms=True)
            session = (
                await http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting.id)})
            ).json()
            url = f"/api/v1/sdk/sessions/{session['id']}"
            assert (await http.post(f"{url}/rtms/start")).status_code == 200

            # Kill it once a third of the meeting is stored (between two utterances).
            await sim.record.wait_for(
                lambda e: e.kind == "msg_type:17" and "Line 07" in json.dumps(e.data),
                limit_s=30,
            )
            for _ in range(500):
                if len((await http.get(f"{url}/transcript")).json()["data"]) >= 8:
                    break
                await asyncio.sleep(0.02)
            await server.kill()
            await server.start()

            await sim.record.wait_for(
                lambda e: (
                    e.channel == "webhook"
                    and e.kind == "meeting.rtms_stopped"
                    and e.data.get("status") == 200
                ),
                limit_s=60,
            )
            for _ in range(200):  # the stop webhook is processed in the background
                if (await http.get(url)).json()["status"] == "ended":
                    break
                await asyncio.sleep(0.05)
            turns = (await http.get(f"{url}/transcript", params={"limit": "500"})).json()["data"]
    finally:
        await server.stop()
    assert [t["text"] for t in turns] == [u["text"] for u in SCRIPT["utterances"]]
    assert [t["speaker_name"] for t in turns] == [
        "Ana Silva" if i % 2 == 0 else "Ben Ito" for i in range(22)
    ]
    assert sim.record.entries(kind="reconnect_window_expired") == []
