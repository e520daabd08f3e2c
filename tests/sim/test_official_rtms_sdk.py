"""Conformance: Zoom's official ``rtms`` SDK joins a simulated meeting and receives its media."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from meetmind.sim import Simulator

from .conftest import SimFactory

pytest.importorskip("rtms")

DRIVER = Path(__file__).with_name("rtms_official_driver.py")


async def _run_driver(
    sim: Simulator, tmp_path: Path, audio: str, want: int
) -> list[dict[str, Any]]:
    meeting = sim.create_meeting("standup")
    stream = sim.start_rtms(meeting)
    (tmp_path / "logs").mkdir()
    args = {
        "meeting_uuid": meeting.uuid,
        "rtms_stream_id": stream.stream_id,
        "server_urls": stream.server_urls,
        "client": sim.client_id,
        "secret": sim.client_secret,
        "want_transcripts": want,
        "audio": audio,
        "limit_s": 40,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(DRIVER),
        json.dumps(args),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, err.decode()[-2000:]
    return lines


async def test_official_client_receives_the_scripted_transcript_and_l16_audio(
    make_sim: SimFactory, tmp_path: Path
) -> None:
    sim = await make_sim(time_scale=10)
    lines = await _run_driver(sim, tmp_path, "l16", want=3)
    kinds = [line["kind"] for line in lines]
    assert {"kind": "join_confirm", "reason": 0} in lines
    transcripts = [line for line in lines if line["kind"] == "transcript"]
    script = sim.ctx.meetings[next(iter(sim.ctx.meetings))].script
    expected = [(u.text, script.participant(u.speaker)) for u in script.utterances[:3]]
    assert [(t["text"], t["user_name"], t["user_id"]) for t in transcripts[:3]] == [
        (text, who.name, who.user_id) for text, who in expected
    ]
    for t in transcripts:
        assert t["start"] < t["end"] and t["timestamp"] == t["start"]
    audio = [line for line in lines if line["kind"] == "audio"]
    assert audio and all(a["size"] == 640 == a["length"] for a in audio)
    timestamps = [a["timestamp"] for a in audio]
    assert all(b - a == 20 for a, b in zip(timestamps, timestamps[1:], strict=False))
    assert "participant" in kinds and "active_speaker" in kinds
    done = lines[-1]
    assert done["kind"] == "done" and done["finished"] is True
    # What the official client sent: binary frames, tab-indented JSON, the agent field.
    hello = sim.record.entries(channel="signaling", direction="received", kind="msg_type:1")[0]
    assert hello.data["binary"] is True
    assert hello.data["frame"]["rtms_client_agent"].startswith("rtms_sdk_cpp")
    assert sim.record.entries(channel="signaling", direction="received", kind="msg_type:7")
    assert sim.record.entries(channel="media", direction="received", kind="msg_type:13")


async def test_official_client_with_sdk_default_opus_audio(
    make_sim: SimFactory, tmp_path: Path
) -> None:
    sim = await make_sim(time_scale=10)
    lines = await _run_driver(sim, tmp_path, "default", want=1)
    assert {"kind": "join_confirm", "reason": 0} in lines
    audio = [line for line in lines if line["kind"] == "audio"]
    assert audio and audio[0]["size"] == 1  # empty 20 ms CELT frame (documented)
    req = sim.record.entries(channel="media", direction="received", kind="msg_type:3")
    audio_req = next(e for e in req if e.data["frame"]["media_type"] == 1)
    assert audio_req.data["frame"]["media_params"]["audio"]["codec"] == 4
    assert any(line["kind"] == "transcript" for line in lines)
