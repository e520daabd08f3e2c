"""One measured point for the RTMS benchmarks: a simulator process and a client process."""

from __future__ import annotations

import os
import time
from typing import Any

from bench._common import proc_cpu_seconds
from bench._procs import Child

__all__ = ["SimProcess", "cpus", "run_clients"]


def cpus() -> tuple[int | None, int | None]:
    """(client CPU, simulator CPU) when there are two CPUs to separate them."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    found = sorted(os.sched_getaffinity(0))
    return (found[0], found[1]) if len(found) >= 2 else (None, None)


class SimProcess:
    """``bench.sim_process`` at time scale 1, pinned to the simulator CPU."""

    def __init__(self, child: Child, info: dict[str, Any]) -> None:
        self.child = child
        self.info = info

    @classmethod
    async def start(cls) -> SimProcess:
        """Start it and read its credentials."""
        child = await Child.start("bench.sim_process", {"time_scale": 1, "cpu": cpus()[1]})
        return cls(child, await child.read(60))

    async def meetings(self, count: int) -> list[dict[str, Any]]:
        """Start ``count`` meetings with RTMS; their join targets."""
        await self.child.send({"cmd": "meetings", "count": count})
        targets: list[dict[str, Any]] = (await self.child.read(120))["targets"]
        return targets

    async def end_meetings(self) -> None:
        """End every meeting (their streams stop sending)."""
        await self.child.send({"cmd": "end"})
        await self.child.read(120)

    async def stop(self) -> None:
        """Stop the simulator."""
        await self.child.finish()


async def run_clients(
    sim: SimProcess,
    kind: str,
    targets: list[dict[str, Any]],
    *,
    media: list[str],
    warmup: float,
    seconds: float,
    cwd: str | None = None,
) -> dict[str, Any]:
    """Run one client process over ``targets``; adds the simulator's CPU share meanwhile."""
    from pathlib import Path

    sim_cpu0, wall0 = proc_cpu_seconds(sim.child.pid), time.monotonic()
    child = await Child.start(
        "bench.rtms_clients",
        {
            "kind": kind,
            "targets": targets,
            "client_id": sim.info["client_id"],
            "client_secret": sim.info["client_secret"],
            "media": media,
            "warmup": warmup,
            "seconds": seconds,
            "cpu": cpus()[0],
        },
        cwd=Path(cwd) if cwd else None,
    )
    result = await child.read(seconds + warmup + 180)
    await child.finish()
    wall = time.monotonic() - wall0
    result["sim_cpu_pct_of_core"] = round(
        100 * (proc_cpu_seconds(sim.child.pid) - sim_cpu0) / wall, 1
    )
    return result
