"""`meetmind serve`, `migrate` and `keys create` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic.script import ScriptDirectory

from meetmind.store.db import _alembic_config
from tests.conftest import POSTGRES_URL, _server_dsn, _unavailable

MEETMIND = [sys.executable, "-m", "meetmind"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def env_for(database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETMIND_")}
    if database_url:
        env["MEETMIND_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        MEETMIND + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def wait_until_up(process: subprocess.Popen[str], url: str) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.communicate()[1]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
    raise AssertionError("server did not come up")


def test_serve_on_sqlite_with_no_configuration(tmp_path: Path) -> None:
    port = free_port()
    env = env_for()
    created = run(["keys", "create", "--tenant", "acme", "--json"], tmp_path, env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["api_key"]
    other = json.loads(
        run(["keys", "create", "--tenant", "globex", "--json"], tmp_path, env).stdout
    )
    assert (tmp_path / ".meetmind" / "meetmind.db").exists()

    server = subprocess.Popen(
        [*MEETMIND, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, url)
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=auth) as http:
            session = http.post("/api/v1/sdk/sessions", json={"meeting_id": "81234567890"}).json()
            assert session["status"] == "created"
            assert [s["id"] for s in http.get("/api/v1/sdk/sessions").json()["data"]] == [
                session["id"]
            ]
            stranger = {"Authorization": f"Bearer {other['api_key']}"}
            assert (
                httpx.get(
                    f"{url}/api/v1/sdk/sessions/{session['id']}", headers=stranger
                ).status_code
                == 404
            )
            bad = http.post("/api/v1/sdk/sessions", json={"meeting_id": "12"})
            assert bad.status_code == 422
            assert bad.json()["error"]["details"]["field"] == "meeting_id"
            assert http.delete(f"/api/v1/sdk/sessions/{session['id']}").status_code == 204
            assert http.get(f"/api/v1/sdk/sessions/{session['id']}").status_code == 404
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert key not in stderr


def test_bad_configuration_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["serve"], tmp_path, env_for(MEETMIND_PORT="eighty"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "MEETMIND_PORT" in lines[0]


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A PostgreSQL database with no schema at all."""
    name = f"meetmind_empty_{os.getpid()}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        _unavailable("PostgreSQL", exc)
    yield _server_dsn(name)
    asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_postgres_until_migrate(
    tmp_path: Path, empty_postgres_url: str
) -> None:
    env = env_for(empty_postgres_url)
    refused = run(["serve", "--port", str(free_port())], tmp_path, env)
    assert refused.returncode == 1
    assert "run `meetmind migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr

    migrated = run(["migrate"], tmp_path, env)
    assert migrated.returncode == 0, migrated.stderr
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert migrated.stdout.strip() == f"database schema is at revision {head}"
    created = run(["keys", "create", "--tenant", "acme", "--json"], tmp_path, env)
    assert created.returncode == 0, created.stderr
