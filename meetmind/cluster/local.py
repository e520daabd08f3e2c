"""A local cluster of real MeetMind processes (API nodes and workers) for tests and trials."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self

import httpx

if TYPE_CHECKING:
    from meetmind.sim.simulator import Simulator

__all__ = ["ClusterProcess", "LocalCluster", "create_tenant_key", "simulator_env"]


def simulator_env(sim: Simulator) -> dict[str, str]:
    """``MEETMIND_*`` settings that point every process of a cluster at a Zoom simulator."""
    return {
        "MEETMIND_ZOOM_CLIENT_ID": sim.client_id,
        "MEETMIND_ZOOM_CLIENT_SECRET": sim.client_secret,
        "MEETMIND_ZOOM_WEBHOOK_SECRET_TOKEN": sim.webhook_secret_token,
        "MEETMIND_ZOOM_OAUTH_BASE_URL": sim.oauth_base_url,
        "MEETMIND_ZOOM_API_BASE_URL": sim.api_base_url,
    }


async def create_tenant_key(database_url: str, encryption_keys: str, name: str) -> str:
    """Create a tenant and an API key the way an operator does (the SDK on the database)."""
    from meetmind.config import Settings
    from meetmind.sdk import MeetMind

    settings = Settings(
        _env_file=None,
        database_url=database_url,
        encryption_keys=encryption_keys,
    )
    operator = MeetMind(settings)
    await operator.start(background=False)
    try:
        tenant = await operator.create_tenant(name)
        return (await operator.create_api_key(tenant.id)).secret
    finally:
        await operator.close()


def _open_log(log_dir: str, name: str) -> BinaryIO:
    os.makedirs(log_dir, exist_ok=True)
    return open(os.path.join(log_dir, f"{name}.log"), "ab")  # noqa: SIM115 (closed in stop)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ClusterProcess:
    """One process of the cluster."""

    role: str
    url: str
    process: asyncio.subprocess.Process

    @property
    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.returncode is None


class LocalCluster:
    """Starts ``api`` API processes and ``workers`` worker processes; stops them on exit.

    Every process gets the environment of this one plus ``env`` (database, Redis, Zoom
    settings). The database is migrated first. Output goes to ``log_dir`` if given.

    Args:
        env: ``MEETMIND_*`` settings for every process.
        api: Number of ``meetmind serve --api`` processes.
        workers: Number of ``meetmind worker`` processes.
        base_port: First API port (0: free ports).
        log_dir: Where each process writes ``<role>-<n>.log`` (default: inherit stderr).
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        api: int = 2,
        workers: int = 3,
        base_port: int = 0,
        log_dir: str | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self._env = {**os.environ, **env}
        self._api = api
        self._workers = workers
        self._base_port = base_port
        self._log_dir = log_dir
        self._timeout = start_timeout
        self.apis: list[ClusterProcess] = []
        self.workers: list[ClusterProcess] = []
        self._logs: list[BinaryIO] = []

    @property
    def api_urls(self) -> list[str]:
        """Base URLs of the API processes."""
        return [p.url for p in self.apis]

    @property
    def worker_urls(self) -> list[str]:
        """Base URLs of the workers' /healthz and /metrics."""
        return [p.url for p in self.workers]

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Migrate, then start every process and wait until each answers /healthz."""
        migrate = await self._spawn("migrate", ["migrate"])
        if await migrate.wait() != 0:
            raise RuntimeError("meetmind migrate failed (see its output)")
        try:
            for n in range(self._api):
                port = self._base_port + n if self._base_port else _free_port()
                self.apis.append(
                    await self._start("api", n, ["serve", "--api", "--port", str(port)], port)
                )
            for _ in range(self._workers):
                await self.add_worker()
        except BaseException:
            await self.stop()
            raise

    async def add_worker(self) -> ClusterProcess:
        """Start one more worker."""
        port = _free_port()
        worker = await self._start(
            "worker", len(self.workers), ["worker", "--port", str(port)], port
        )
        self.workers.append(worker)
        return worker

    async def _spawn(self, name: str, args: list[str]) -> asyncio.subprocess.Process:
        out: int | object = asyncio.subprocess.DEVNULL
        if self._log_dir is not None:
            handle = _open_log(self._log_dir, name)
            self._logs.append(handle)
            out = handle
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "meetmind",
            *args,
            env=self._env,
            stdout=out,  # type: ignore[arg-type]
            stderr=out if self._log_dir is not None else None,  # type: ignore[arg-type]
        )

    async def _start(self, role: str, n: int, args: list[str], port: int) -> ClusterProcess:
        process = await self._spawn(f"{role}-{n}", args)
        url = f"http://127.0.0.1:{port}"
        member = ClusterProcess(role, url, process)
        async with httpx.AsyncClient() as http, asyncio.timeout(self._timeout):
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"{role} {n} exited with {process.returncode} at start")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{url}/healthz", timeout=1)).status_code == 200:
                        return member
                await asyncio.sleep(0.1)

    def kill(self, member: ClusterProcess, signum: int = signal.SIGKILL) -> None:
        """Send a signal to one process (SIGKILL: a crash; SIGTERM: a graceful drain)."""
        if member.alive:
            member.process.send_signal(signum)

    async def wait(self) -> None:
        """Wait until any process exits (``meetmind cluster`` runs until Ctrl-C)."""
        waits = [asyncio.ensure_future(p.process.wait()) for p in (*self.apis, *self.workers)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM every process (workers drain), then SIGKILL what is left after ``grace_s``."""
        members = [*self.workers, *self.apis]
        for member in members:
            self.kill(member, signal.SIGTERM)
        for member in members:
            try:
                async with asyncio.timeout(grace_s):
                    await member.process.wait()
            except TimeoutError:
                self.kill(member, signal.SIGKILL)
                await member.process.wait()
        for handle in self._logs:
            handle.close()
        self._logs.clear()
