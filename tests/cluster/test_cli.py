"""``meetmind worker``, ``serve --api`` and ``meetmind cluster`` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from meetmind.store.vault import generate_key_spec
from tests.cluster.conftest import REDIS_URL


def _meetmind(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meetmind", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", [["worker"], ["serve", "--api"], ["cluster"]])
def test_scale_out_refuses_sqlite_and_a_missing_redis(command: list[str], tmp_path: object) -> None:
    sqlite = _meetmind(*command, env={"MEETMIND_DATABASE_URL": "sqlite:///x.db"})
    assert sqlite.returncode in (1, 2)
    assert "MEETMIND_DATABASE_URL" in sqlite.stderr and "PostgreSQL" in sqlite.stderr
    assert "Traceback" not in sqlite.stderr
    no_redis = _meetmind(
        *command,
        env={"MEETMIND_DATABASE_URL": "postgresql://127.0.0.1/test", "MEETMIND_REDIS_URL": ""},
    )
    assert no_redis.returncode in (1, 2)
    assert "MEETMIND_REDIS_URL" in no_redis.stderr
    assert "Traceback" not in no_redis.stderr


@pytest.mark.postgres
async def test_meetmind_cluster_starts_real_processes(
    cluster_database_url: str, namespace: str
) -> None:
    env = {
        **os.environ,
        "MEETMIND_DATABASE_URL": cluster_database_url,
        "MEETMIND_REDIS_URL": REDIS_URL,
        "MEETMIND_REDIS_NAMESPACE": namespace,
        "MEETMIND_ENCRYPTION_KEYS": generate_key_spec("cli"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "meetmind",
        "cluster",
        "--api",
        "1",
        "--workers",
        "2",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not lines or not lines[-1].startswith("Ctrl-C"):
                lines.append((await process.stdout.readline()).decode().strip())
        urls = [
            re.sub(r"/metrics$", "", line.split()[1])
            for line in lines
            if line[:3] in ("api", "wor")
        ]
        assert len(urls) == 3, lines
        async with httpx.AsyncClient() as http:
            for url in urls:
                assert (await http.get(f"{url}/healthz")).status_code == 200
            metrics = (await http.get(f"{urls[1]}/metrics")).text
            assert 'meetmind_process_role{role="worker"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            await process.wait()
    assert process.returncode in (0, 1, 130, -signal.SIGINT)
