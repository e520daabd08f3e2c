"""The README's Python example and its curl walk-through work as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

README = Path(__file__).parents[2] / "README.md"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MEETMIND_")}


def test_python_example(tmp_path: Path) -> None:
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created 0\n"


def test_curl_walkthrough(tmp_path: Path) -> None:
    """`meetmind keys create`, then the README's two curl calls against `meetmind serve`."""
    env = clean_env()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    created = subprocess.run(
        [sys.executable, "-m", "meetmind", "keys", "create", "--tenant", "acme", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    env["KEY"] = json.loads(created.stdout)["api_key"]
    server = subprocess.Popen(
        [sys.executable, "-m", "meetmind", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        block = re.findall(r"```bash\n(curl .*?)```", README.read_text(), re.S)[0]
        script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        commands = [c for c in script.replace("\\\n", " ").splitlines() if c.strip()]
        outputs = [
            subprocess.run(
                ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30
            ).stdout
            for command in commands
        ]
    finally:
        server.terminate()
        server.wait(timeout=20)
    session = json.loads(outputs[0])
    assert session["meeting_id"] == "81234567890"
    assert session["wake_words"] == ["Hey MeetMind"]
    listed = json.loads(outputs[1])
    assert [s["id"] for s in listed["data"]] == [session["id"]]
    assert shlex.split(commands[0])[0] == "curl"
