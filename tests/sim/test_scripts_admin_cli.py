"""Scripts, audio synthesis, time scale, the admin HTTP API and the command line."""

from __future__ import annotations

import array
import asyncio
import json
import signal
import sys
import time

import httpx
import pytest

from meetmind.sim import ScriptError, Simulator, load_script, shipped_scripts
from meetmind.sim.audio import AudioRenderer, alaw_encode
from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.rtms.params import AudioParams

from .conftest import RawSession, SimFactory, WebhookReceiver, join


def test_shipped_scripts_are_valid_and_realistic() -> None:
    assert {"standup", "planning"} <= set(shipped_scripts())
    standup = load_script("standup")
    assert len(standup.participants) == 3 and standup.duration == 300
    assert any(u.text.startswith("Hey MeetMind, can you recap") for u in standup.utterances)
    planning = load_script("planning")
    assert planning.duration == 1800 and len(planning.participants) == 4


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"participants": []}, "participants"),
        (
            {"participants": [{"id": "a"}], "utterances": [{"at": 1, "speaker": "b", "text": "x"}]},
            "utterances[0].speaker",
        ),
        (
            {
                "participants": [{"id": "a", "leave": 5}],
                "utterances": [{"at": 9, "speaker": "a", "text": "x"}],
            },
            "utterances[0].at",
        ),
        ({"participants": [{"id": "a"}, {"id": "a"}]}, "participants[1].id"),
        (
            {"participants": [{"id": "a"}], "faults": [{"kind": "explode", "at": 1}]},
            "faults[0].kind",
        ),
        (
            {"participants": [{"id": "a"}], "audio": {"source": "wav", "wav": "/nope.wav"}},
            "audio.wav",
        ),
    ],
)
def test_script_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ScriptError) as info:
        load_script(raw)
    assert info.value.field == field


def test_audio_renderer_tones_and_alaw() -> None:
    script = load_script("standup")
    renderer = AudioRenderer(script)
    params = AudioParams(2, 1, 1, 1, 1, 20)
    silent = renderer.frames(0.0, params, per_participant=False)
    assert len(silent) == 1 and silent[0].payload == bytes(640)
    speaking = renderer.frames(7.0, params, per_participant=True)
    assert [f.speaker.name for f in speaking if f.speaker] == ["Alice Chen"]
    samples = array.array("h")
    samples.frombytes(speaking[0].payload)
    assert max(samples) > 5000  # a 0.2 full-scale tone
    assert alaw_encode(array.array("h", [0, -1, 32767, -32768])) == bytes([0xD5, 0x55, 0xAA, 0x2A])


async def test_a_30_minute_meeting_runs_in_seconds(
    make_sim: SimFactory, sessions: list[RawSession]
) -> None:
    sim = await make_sim(time_scale=600)
    meeting = sim.create_meeting("planning")
    stream = sim.start_rtms(meeting)
    s = await join(sim, stream)
    sessions.append(s)
    t0 = time.monotonic()
    await s.wait(lambda: s.closed["signaling"].is_set(), limit_s=10)
    assert time.monotonic() - t0 < 6
    texts = [m.data for m in s.of("transcript", p.MediaDataTranscript)]
    assert texts == [u.text for u in meeting.script.utterances]
    assert len(s.of("transcript", p.MediaDataChat)) == 3
    assert (
        meeting.status.value == "ended" and stream.stop_reason == p.StopReason.STOP_BC_MEETING_ENDED
    )


async def test_admin_api_drives_a_meeting(sim: Simulator, receiver: WebhookReceiver) -> None:
    async with httpx.AsyncClient(base_url=sim.admin_base_url) as client:
        info = (await client.get("/info")).json()
        assert info["client_id"] == sim.client_id and info["signaling_url"].startswith("ws://")
        assert "standup" in (await client.get("/scripts")).json()["scripts"]
        inline = {
            "participants": [{"id": "a", "name": "Ann"}],
            "utterances": [{"at": 1, "speaker": "a", "text": "hello"}],
        }
        created = await client.post("/meetings", json={"script": inline})
        assert created.status_code == 201
        meeting = created.json()
        bad = await client.post("/meetings", json={"script": {"participants": []}})
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_script"
        assert (await client.get("/meetings/999")).status_code == 404
        assert (await client.post("/webhooks", json={"url": receiver.url})).json()[
            "validated"
        ] is True
        stream = (await client.post(f"/meetings/{meeting['id']}/rtms/start", json={})).json()
        assert stream["server_urls"] == sim.signaling_url
        hook = await receiver.wait("meeting.rtms_started")
        assert hook[0].body["payload"]["rtms_stream_id"] == stream["rtms_stream_id"]
        conflict = await client.post(f"/meetings/{meeting['id']}/rtms/start", json={})
        assert conflict.status_code == 409
        posted = await client.post(
            f"/meetings/{meeting['id']}/chat", json={"text": "Here is the recap"}
        )
        assert posted.json()["posted"]["content"]["user_name"] == "MeetMind"
        await client.post(f"/meetings/{meeting['id']}/utterances", json={"text": "Recap: ship it"})
        agent = (await client.get(f"/meetings/{meeting['id']}/agent")).json()["posts"]
        assert [a["kind"] for a in agent] == ["chat", "utterance"]
        fault = await client.post(
            f"/meetings/{meeting['id']}/faults", json={"kind": "duplicate_frames", "count": 2}
        )
        assert fault.json()["fault"]["kind"] == "duplicate_frames"
        assert (
            await client.post(f"/meetings/{meeting['id']}/faults", json={"kind": "nope"})
        ).status_code == 422
        assert (await client.post("/faults/rest", json={"status": 500})).json()["queued"] == 1
        assert (await client.post("/oauth/tokens")).json()["token_type"] == "bearer"
        await client.post(f"/meetings/{meeting['id']}/end")
        await receiver.wait("meeting.rtms_stopped")
        record = (await client.get("/record", params={"channel": "webhook"})).json()
        kinds = [e["kind"] for e in record["entries"]]
        assert "endpoint.url_validation" in kinds and "meeting.rtms_stopped" in kinds
        agent_rec = (await client.get("/record", params={"channel": "agent"})).json()["entries"]
        assert [e["data"]["text"] for e in agent_rec] == ["Here is the recap", "Recap: ship it"]
        adv = await client.post("/clock/advance", json={"seconds": 10})
        assert adv.status_code == 200


async def test_cli_json_line_and_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "meetmind.sim",
        "--json",
        "--time-scale",
        "5",
        "--script",
        "standup",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        info = json.loads(line)
        assert {
            "oauth_base_url",
            "api_base_url",
            "admin_base_url",
            "signaling_url",
            "client_id",
            "client_secret",
            "webhook_secret_token",
        } <= set(info)
        async with httpx.AsyncClient() as client:
            meetings = (await client.get(info["admin_base_url"] + "/meetings")).json()["meetings"]
        assert meetings[0]["id"] == info["meeting"]["id"] and meetings[0]["status"] == "started"
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
