"""`meetmind demo`, the README's first command, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meetmind", "demo", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_demo_runs_the_whole_product(tmp_path: Path) -> None:
    result = demo(tmp_path, "--json", "--speed", "60")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["turns_stored"] == summary["turns_scripted"] == 22
    assert summary["participants"] == 3
    assert summary["wake_word_detections"] == 1
    assert summary["agent_replies"] == 1
    assert summary["latency_samples"] >= 22
    assert summary["latency_ms_p50"] > 0
    assert summary["dashboard_url"].startswith("http://127.0.0.1:")
    assert (tmp_path / ".meetmind" / "demo.db").exists()


def test_the_human_output_names_each_step(tmp_path: Path) -> None:
    result = demo(tmp_path, "--speed", "80")
    assert result.returncode == 0, result.stderr
    for step in [
        "Zoom connected",
        "RTMS started from the backend",
        "wake word",
        "agent replied",
        "22 of 22 scripted",
    ]:
        assert step in result.stdout, step


def test_a_failing_step_exits_non_zero_saying_which(tmp_path: Path) -> None:
    result = demo(tmp_path, "--script", "no-such-meeting")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no-such-meeting" in lines[0]
    assert "Traceback" not in result.stderr
