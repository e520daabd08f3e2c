"""``python -m bench latency``: end-to-end transcript latency, simulator send -> stored -> SSE.

Three processes per point, on a fresh database:

- **MeetMind**: ``python -m meetmind serve`` (the real CLI, uvicorn, ingest writer, webhook inbox,
  agent), pinned to the first CPU on two-CPU machines. It opens only the transcript socket of
  each stream (``MEETMIND_RTMS_MEDIA=transcript``).
- **The simulator** (:mod:`bench._latency_sim`), pinned to the second CPU. Its meetings run in
  real time (time scale 1). Each has two speakers taking turns every ``--every`` seconds on
  average (uniform 0.5x-1.5x, random phase). It logs when it sends each transcript frame: the
  record entry of every sent ``msg_type:17`` carries its clock reading, mapped back to
  ``CLOCK_MONOTONIC``.
- **This process** sets up each meeting as an application would: it creates a session, opens
  an SSE follower (``GET /api/v1/sdk/sessions/{id}/events``) and starts RTMS through MeetMind's
  API. It then follows every session at once (one raw HTTP/1.1 connection per meeting, see
  :mod:`bench._latency_follow`). It shares the simulator's CPU.

Once every follower has had its first turn, and after ``--warmup`` seconds more, a window of
``--seconds`` opens. Latency is measured for every turn the simulator sends inside that window:
the ``time.monotonic()`` at which the follower's socket delivered the event, minus the send time.
Both processes read the same machine-wide monotonic clock.
The event's ``created_at`` (MeetMind's wall clock when the writer started that batch) splits the
latency into "send -> write starts" and "write starts -> delivered". The CPU of each process over
the window is read from ``/proc``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    RESULTS_DIR,
    fresh_database,
    markdown_table,
    percentile,
    plot_lines,
    proc_cpu_seconds,
    proc_rss_bytes,
    summary_ms,
    write_results,
)
from bench._latency_follow import Arrivals, Follower, follow
from bench._procs import ROOT, Child, SpyProfile, summarize_collapsed
from bench._rtms_run import cpus
from meetmind.config import Settings
from meetmind.local import connect_zoom, free_port
from meetmind.sdk import MeetMind
from meetmind.store.vault import generate_key_spec

__all__ = ["HEADERS", "add_arguments", "main", "measure", "run", "table"]

TARGET_P99_MS = 50.0


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from ``/proc/stat``."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class Server:
    """``python -m meetmind serve`` configured against the simulator, in its own process."""

    def __init__(
        self, proc: asyncio.subprocess.Process, url: str, log: Path, sql_stats: Path | None
    ) -> None:
        self.proc = proc
        self.url = url
        self.log = log
        self.sql_stats = sql_stats

    @classmethod
    async def start(
        cls,
        database_url: str,
        sim: dict[str, Any],
        *,
        cpu: int | None,
        workdir: Path,
        statements: bool = False,
        no_silence_reconnect: bool = False,
    ) -> Server:
        """Start it and wait until ``/readyz`` answers.

        With ``statements`` or ``no_silence_reconnect`` it runs under
        :mod:`bench._latency_server` (SQL accounting; the reconnect experiment).
        """
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETMIND_")}
        env.update(
            {
                "MEETMIND_DATABASE_URL": database_url,
                "MEETMIND_HOST": "127.0.0.1",
                "MEETMIND_PORT": str(port),
                "MEETMIND_ZOOM_CLIENT_ID": sim["client_id"],
                "MEETMIND_ZOOM_CLIENT_SECRET": sim["client_secret"],
                "MEETMIND_ZOOM_WEBHOOK_SECRET_TOKEN": sim["webhook_secret_token"],
                "MEETMIND_ZOOM_OAUTH_BASE_URL": sim["oauth_base_url"],
                "MEETMIND_ZOOM_API_BASE_URL": sim["api_base_url"],
                "MEETMIND_ENCRYPTION_KEYS": _KEYS,
                "MEETMIND_RTMS_MEDIA": "transcript",
                "MEETMIND_DATA_DIR": str(workdir / "data"),
                "MEETMIND_LOG_LEVEL": "WARNING",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            }
        )
        sql_stats = workdir / "sql-stats.json" if statements else None
        if sql_stats is not None:
            env["MEETMIND_BENCH_SQL_STATS"] = str(sql_stats)
        if no_silence_reconnect:
            env["MEETMIND_BENCH_NO_SILENCE_RECONNECT"] = "1"
        wrapped = statements or no_silence_reconnect
        command = ["bench._latency_server"] if wrapped else ["meetmind", "serve"]
        log = workdir / "serve.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                *command,
                cwd=workdir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(proc.pid, {cpu})
        server = cls(proc, f"http://127.0.0.1:{port}", log, sql_stats)
        async with httpx.AsyncClient(base_url=server.url, timeout=2) as http:
            deadline = time.monotonic() + 60
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"meetmind serve exited: {server.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return server
                if time.monotonic() > deadline:
                    await server.stop()
                    raise RuntimeError(f"meetmind serve did not get ready: {server.tail()}")
                await asyncio.sleep(0.2)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    async def sql_snapshot(self) -> dict[str, list[float]]:
        """The SQL totals so far (``{}`` without ``statements``)."""
        if self.sql_stats is None:
            return {}
        self.sql_stats.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(100):
            await asyncio.sleep(0.05)
            if self.sql_stats.exists():
                with contextlib.suppress(ValueError):
                    data: dict[str, list[float]] = json.loads(self.sql_stats.read_text())
                    return data
        return {}

    def tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> int:
        """SIGINT (uvicorn's graceful shutdown), then SIGKILL if it hangs."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode or 0


_KEYS = generate_key_spec("bench")


async def _tenant_key(database_url: str) -> str:
    """A tenant and an API key, written straight into the fresh database."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        encryption_keys=_KEYS,
    )
    mm = MeetMind(settings)
    await mm.start(background=False)
    try:
        tenant = await mm.create_tenant("bench")
        return (await mm.create_api_key(tenant.id)).secret
    finally:
        await mm.close()


async def _open_meeting(
    http: httpx.AsyncClient,
    server: Server,
    meeting_id: int,
    api_key: str,
    sink: Arrivals,
) -> Follower:
    """Session, SSE follower, then RTMS start: what an application does per meeting."""
    created = await http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})
    if created.status_code != 201:
        raise RuntimeError(f"creating a session failed: {created.status_code} {created.text}")
    session_id = created.json()["id"]
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    follower = await follow(host, int(port), session_id, meeting_id, api_key, sink)
    started = await http.post(f"/api/v1/sdk/sessions/{session_id}/rtms/start")
    if started.status_code != 200:
        raise RuntimeError(f"starting RTMS failed: {started.status_code} {started.text}")
    return follower


def _in_window(sends: list[list[Any]], t0: float, t1: float) -> dict[tuple[int, str, int], float]:
    """First send time per turn, for the turns first sent inside ``[t0, t1)``.

    A frame the simulator sends again after a reconnect counts from its first send.
    """
    first: dict[tuple[int, str, int], float] = {}
    for meeting_id, user_id, start_ms, sent in sends:
        key = (int(meeting_id), str(user_id), int(start_ms))
        if key not in first or sent < first[key]:
            first[key] = float(sent)
    return {key: sent for key, sent in first.items() if t0 <= sent < t1}


async def _drain(
    sim: Child, sink: Arrivals, t0: float, t1: float, limit: float, early: list[list[Any]]
) -> tuple[list[list[Any]], float]:
    """Collect the send log until every turn of the window arrived, or arrivals stop.

    An overloaded server delivers the window's turns late; waiting (up to ``limit`` s, while
    the undelivered count still falls within 15 s) keeps the percentiles honest.
    """
    sends = list(early)
    started = last_progress = time.monotonic()
    best: int | None = None
    while True:
        await sim.send({"cmd": "sends"})
        sends += (await sim.read(timeout=60))["sends"]
        missing = sum(1 for key in _in_window(sends, t0, t1) if key not in sink.turns)
        now = time.monotonic()
        if best is None or missing < best:
            best, last_progress = missing, now
        if missing == 0 or now - started > limit or now - last_progress > 15:
            return sends, now - started
        await asyncio.sleep(1.0)


def _summary(latencies: list[float], missing: int) -> dict[str, float | None]:
    """p50/p95/p99/max in ms, counting undelivered turns as infinitely late (shown as None)."""
    if not missing:
        return dict(summary_ms(latencies))
    values = sorted(latencies) + [float("inf")] * missing
    out: dict[str, float | None] = {}
    for name, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
        value = percentile(values, q)
        out[name] = None if value == float("inf") else round(value * 1000, 2)
    out["max_ms"] = None
    return out


def _wall(created_at: str) -> float | None:
    try:
        when = datetime.fromisoformat(created_at)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


async def wait_quiet(threshold: float, limit: float = 600.0) -> float:
    """Wait until the machine's CPU use over 10 s is below ``threshold`` % (others share it).

    Returns the last reading; gives up after ``limit`` seconds and measures anyway.
    """
    deadline = time.monotonic() + limit
    while True:
        before = _machine_cpu()
        await asyncio.sleep(10)
        after = _machine_cpu()
        total = after[1] - before[1]
        busy = 100 * (after[0] - before[0]) / total if total else 0.0
        if busy < threshold or time.monotonic() > deadline:
            return round(busy, 1)
        print(f"(machine {busy:.0f} % busy: waiting for < {threshold:.0f} %)", flush=True)


def _others(
    cpu0: tuple[float, float, float, tuple[int, int]],
    cpu1: tuple[float, float, float, tuple[int, int]],
    seconds: float,
    busy: int,
    total: int,
) -> float | None:
    """CPU % (of one core) used by everything else: PostgreSQL, and whatever else runs here."""
    if not total:
        return None
    machine = 100 * busy / total * (os.cpu_count() or 1)
    ours = sum(_cpu_pct(a, b, seconds) for a, b in zip(cpu0[:3], cpu1[:3], strict=True))
    return round(machine - ours, 1)


def _cpu_pct(before: float, after: float, seconds: float) -> float:
    return round(100 * (after - before) / seconds, 1)


async def measure(
    db: str,
    meetings: int,
    *,
    every: float = 3.0,
    seconds: float = 30.0,
    warmup: float = 3.0,
    grace: float = 3.0,
    drain_limit: float = 90.0,
    profile: Path | None = None,
    statements: bool = False,
    no_silence_reconnect: bool = False,
    seed: int = 1,
) -> dict[str, Any]:
    """One point: ``meetings`` concurrent meetings on a fresh ``db``; latencies of one window."""
    server_cpu, load_cpu = cpus()
    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    sink = Arrivals()
    followers: list[Follower] = []
    setup_started = time.monotonic()
    async with fresh_database(db) as url:
        api_key = await _tenant_key(url)
        sim = await Child.start("bench._latency_sim", {"time_scale": 1, "cpu": load_cpu})
        server: Server | None = None
        try:
            hello = await sim.read(timeout=60)
            info, sim_pid = hello["info"], int(hello["pid"])
            with tempfile.TemporaryDirectory(prefix="meetmind-latency-") as tmp:
                server = live = await Server.start(
                    url,
                    info,
                    cpu=server_cpu,
                    workdir=Path(tmp),
                    statements=statements,
                    no_silence_reconnect=no_silence_reconnect,
                )
                if load_cpu is not None and mine is not None:
                    os.sched_setaffinity(0, {load_cpu})
                await sim.send({"cmd": "webhook", "url": f"{server.url}/api/v1/zoom/rtms/webhook"})
                if not (await sim.read())["validated"]:
                    raise RuntimeError("the simulator could not validate MeetMind's webhook URL")
                headers = {"Authorization": f"Bearer {api_key}"}
                limits = httpx.Limits(max_connections=16)
                async with httpx.AsyncClient(
                    base_url=server.url, headers=headers, timeout=60, limits=limits
                ) as http:
                    await connect_zoom(http)
                    script_s = 120 + 0.3 * meetings + warmup + seconds + grace + drain_limit
                    await sim.send(
                        {
                            "cmd": "meetings",
                            "count": meetings,
                            "every": every,
                            "seconds": round(script_s),
                            "seed": seed,
                        }
                    )
                    meeting_ids: list[int] = (await sim.read())["meetings"]
                    gate = asyncio.Semaphore(8)

                    async def open_one(meeting_id: int) -> None:
                        async with gate:
                            followers.append(
                                await _open_meeting(http, live, meeting_id, api_key, sink)
                            )

                    await asyncio.gather(*(open_one(m) for m in meeting_ids))
                ready_limit = 30 + 3 * every + 0.1 * meetings
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(ready_limit):
                        await asyncio.gather(*(f.first_turn.wait() for f in followers))
                ready = sum(f.first_turn.is_set() for f in followers)
                setup_s = time.monotonic() - setup_started
                await asyncio.sleep(warmup)

                spy = None
                if profile is not None and SpyProfile.available():
                    spy = SpyProfile(server.pid, profile)
                    await spy.start()
                await sim.send({"cmd": "sends"})
                # Sends before the window only tell re-sends (after a reconnect) from first sends.
                early: list[list[Any]] = (await sim.read())["sends"]
                sql0 = await server.sql_snapshot()
                t0 = time.monotonic()
                cpu0 = (
                    proc_cpu_seconds(server.pid),
                    proc_cpu_seconds(sim_pid),
                    time.process_time(),
                    _machine_cpu(),
                )
                await asyncio.sleep(seconds)
                t1 = time.monotonic()
                cpu1 = (
                    proc_cpu_seconds(server.pid),
                    proc_cpu_seconds(sim_pid),
                    time.process_time(),
                    _machine_cpu(),
                )
                rss = proc_rss_bytes(server.pid)
                sql1 = await server.sql_snapshot()
                if spy is not None:
                    await spy.stop()
                await asyncio.sleep(grace)
                sends, drain_s = await _drain(sim, sink, t0, t1, drain_limit, early)
                offset = time.time() - time.monotonic()
                for follower in followers:
                    follower.close()
                await asyncio.gather(*(f.done for f in followers), return_exceptions=True)
                followers.clear()
                code = await server.stop()
                server_log = server.tail() if code not in (0, -signal.SIGINT) else ""
                server = None
        finally:
            for follower in followers:
                follower.close()
            if mine is not None:
                os.sched_setaffinity(0, mine)
            if server is not None:
                await server.stop()
            await sim.finish()

    latencies: list[float] = []
    to_write: list[float] = []
    missing = 0
    for key, sent in _in_window(sends, t0, t1).items():
        got = sink.turns.get(key)
        if got is None:
            missing += 1
            continue
        latencies.append(got[0] - sent)
        wall = _wall(got[1])
        if wall is not None:
            to_write.append(wall - offset - sent)
    window = t1 - t0
    machine_busy = cpu1[3][0] - cpu0[3][0]
    machine_total = cpu1[3][1] - cpu0[3][1]
    result: dict[str, Any] = {
        "db": db,
        "meetings": meetings,
        "followers_ready": ready,
        "every_s": every,
        "turns_per_meeting_per_s": round(1 / every, 3),
        "setup_s": round(setup_s, 1),
        "window_s": round(window, 2),
        "sent": len(latencies) + missing,
        "turns_per_s": round((len(latencies) + missing) / window, 1),
        "samples": len(latencies),
        "missing": missing,
        "waited_after_window_s": round(grace + drain_s, 1),
        "negative": sum(1 for v in latencies if v <= 0),
        **_summary(latencies, missing),
        "to_write_start": summary_ms(to_write),
        "meetmind_cpu_pct": _cpu_pct(cpu0[0], cpu1[0], window),
        "sim_cpu_pct": _cpu_pct(cpu0[1], cpu1[1], window),
        "follower_cpu_pct": _cpu_pct(cpu0[2], cpu1[2], window),
        "machine_cpu_pct": round(100 * machine_busy / machine_total, 1) if machine_total else None,
        "other_cpu_pct": _others(cpu0, cpu1, window, machine_busy, machine_total),
        "meetmind_rss_mib": round(rss / 2**20, 1),
        "event_types": dict(sink.types),
        "follower_errors": sink.errors[:5],
        "latencies_ms": [round(v * 1000, 3) for v in latencies],
    }
    if server_log:
        result["server_log_tail"] = server_log
    if statements:
        result["sql"] = sql_per_turn(sql0, sql1, len(latencies) + missing, window)
    if profile is not None and await asyncio.to_thread(profile.exists):
        summary = await asyncio.to_thread(summarize_collapsed, profile)
        summary["meetmind_inclusive_pct"] = await asyncio.to_thread(meetmind_frames, profile)
        result["profile"] = summary
    return result


def sql_per_turn(
    before: dict[str, list[float]], after: dict[str, list[float]], turns: int, seconds: float
) -> dict[str, Any]:
    """Statements and transactions in the window, per transcript turn, by task and shape."""
    rows: list[dict[str, Any]] = []
    for key, (count, spent, longest) in after.items():
        count0, spent0, _ = before.get(key, [0, 0.0, 0.0])
        n, busy = count - count0, spent - spent0
        if n <= 0:
            continue
        task, _, shape = key.partition(" | ")
        timed = shape != "(transaction)"
        rows.append(
            {
                "task": task,
                "statement": shape,
                "per_s": round(n / seconds, 1),
                "per_turn": round(n / turns, 2) if turns else None,
                "avg_ms": round(1000 * busy / n, 3) if timed else None,
                "max_ms": round(1000 * longest, 1) if timed else None,
            }
        )
    rows.sort(key=lambda r: -float(r["per_s"]))
    statements = sum(float(r["per_s"]) for r in rows if r["statement"] != "(transaction)")
    transactions = sum(float(r["per_s"]) for r in rows if r["statement"] == "(transaction)")
    return {
        "statements_per_s": round(statements, 1),
        "transactions_per_s": round(transactions, 1),
        "statements_per_turn": round(statements * seconds / turns, 2) if turns else None,
        "transactions_per_turn": round(transactions * seconds / turns, 2) if turns else None,
        "rows": rows,
    }


def meetmind_frames(path: Path, top: int = 30) -> list[tuple[str, float]]:
    """Inclusive share of MeetMind's own functions in a py-spy raw profile.

    This says where the server's CPU goes in product terms (ingest writer, feed reads, agent,
    RTMS client...). The aiosqlite worker threads are counted as one line.
    """
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        names: set[str] = set()
        for raw in stack.split(";"):
            func, _, where = raw.partition(" (")
            if "meetmind/" in where and not where.startswith(("meetmind/__main__", "meetmind/cli")):
                names.add(f"{func} (meetmind/{where.rsplit('meetmind/', 1)[1].split(':')[0]})")
            elif func == "_connection_worker_thread":
                names.add("aiosqlite worker threads")
        for name in names:
            inclusive[name] += count
    return [(f, round(100 * c / total, 1)) for f, c in inclusive.most_common(top)] if total else []


HEADERS = [
    "db",
    "meetings",
    "turns/s",
    "samples",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "send -> write start p50/p99 ms",
    "MeetMind CPU %",
    "sim CPU %",
    "follower CPU %",
    "other CPU %",
    "missing",
]


def _ms(row: dict[str, Any], name: str) -> str:
    value = row[name]
    return f"> {row['waited_after_window_s']:.0f} s" if value is None else str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown rows of a run."""
    return markdown_table(
        HEADERS,
        [
            [
                r["db"],
                r["meetings"],
                r["turns_per_s"],
                r["samples"],
                *(_ms(r, name) for name in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
                f"{r['to_write_start']['p50_ms']} / {r['to_write_start']['p99_ms']}",
                r["meetmind_cpu_pct"],
                r["sim_cpu_pct"],
                r["follower_cpu_pct"],
                r["other_cpu_pct"],
                r["missing"],
            ]
            for r in rows
        ],
    )


def _code() -> dict[str, Any]:
    """Which product code ran: a snapshot's marker, else the commit and uncommitted files.

    Others edit this working tree while benchmarks run, so the README's figures come from a
    clean ``git archive`` of a commit (with this bench copied in) that has a
    ``.bench-snapshot`` file ``{"commit": ...}`` at its root.
    """
    marker = ROOT / ".bench-snapshot"
    if marker.exists():
        snapshot: dict[str, Any] = json.loads(marker.read_text())
        return {**snapshot, "uncommitted_product_files": []}

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=ROOT, check=False
        ).stdout

    dirty = git("status", "--porcelain", "--", "meetmind").splitlines()
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_product_files": sorted(line[3:] for line in dirty if line.strip()),
    }


def window_for(meetings: int, every: float, samples: int, lo: float, hi: float) -> float:
    """Seconds of measurement for about ``samples`` turns, clamped to ``[lo, hi]``."""
    rate = meetings / every
    return round(max(lo, min(hi, 1.15 * samples / rate)), 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every database x meeting count, one after the other."""
    rows: list[dict[str, Any]] = []
    for db in args.db:
        for meetings in args.meetings:
            seconds = args.seconds or window_for(
                meetings, args.every, args.samples, args.min_seconds, args.max_seconds
            )
            busy_before = None
            if args.wait_quiet:
                busy_before = await wait_quiet(args.wait_quiet, args.wait_limit)
            profile = None
            if args.profile and meetings == max(args.meetings):
                profile = Path(tempfile.gettempdir()) / f"latency-{os.getpid()}-{db}-{meetings}.txt"
            row = await measure(
                db,
                meetings,
                every=args.every,
                seconds=seconds,
                warmup=args.warmup,
                profile=profile,
                statements=args.statements,
                no_silence_reconnect=args.no_silence_reconnect,
            )
            if profile is not None:
                profile.unlink(missing_ok=True)
            row["machine_busy_before_pct"] = busy_before
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    return {
        "code": _code(),
        "settings": {
            "every_s": args.every,
            "warmup_s": args.warmup,
            "time_scale": 1,
            "rtms_media": ["transcript"],
            "profiled": bool(args.profile),
            "sql_accounting": bool(args.statements),
            "no_silence_reconnect_experiment": bool(args.no_silence_reconnect),
        },
        "rows": rows,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench latency``."""
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--meetings", nargs="+", type=int, default=[1, 50, 100, 200, 500])
    parser.add_argument(
        "--every", type=float, default=3.0, help="mean seconds between turns per meeting"
    )
    parser.add_argument("--samples", type=int, default=2500, help="turns to aim for per point")
    parser.add_argument("--seconds", type=float, default=0, help="fixed window (0: from samples)")
    parser.add_argument("--min-seconds", type=float, default=30)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy (--gil) on the server at the largest point; writes latency-profiled.json",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=15.0,
        help="before each point wait until the machine is below this CPU %% (0: do not wait)",
    )
    parser.add_argument(
        "--wait-limit", type=float, default=180.0, help="longest wait for a quiet machine (s)"
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count SQL per turn by task (bench._latency_server); writes latency-statements.json",
    )
    parser.add_argument(
        "--no-silence-reconnect",
        action="store_true",
        help="experiment: patch out the RTMS client's 65 s reconnect (bench._latency_server); "
        "writes latency-no-silence-reconnect.json",
    )
    parser.add_argument("--quick", action="store_true", help="1 and 5 meetings, SQLite, seconds")


def quick(args: argparse.Namespace) -> argparse.Namespace:
    """The ``--quick`` settings: a turn every 0.5 s so a few seconds give samples."""
    args.db, args.meetings, args.every = ["sqlite"], [1, 5], 0.5
    args.seconds, args.warmup, args.wait_quiet = 4.0, 1.0, 0.0
    return args


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run, print the table, write JSON and the plot."""
    if args.quick:
        quick(args)
    print(markdown_table(HEADERS, []), flush=True)
    data = asyncio.run(run(args))
    name = "latency"
    if args.profile:
        name += "-profiled"
    elif args.statements:
        name += "-statements"
    elif args.no_silence_reconnect:
        name += "-no-silence-reconnect"
    path = write_results(name, data, quick=args.quick)
    print(f"\n{table(data['rows'])}\n\nresults: {path}")
    for row in data["rows"]:
        if "profile" in row:
            top = ", ".join(f"{f} {p}%" for f, p in row["profile"]["self_pct"][:8])
            print(f"\n{row['db']} {row['meetings']} meetings, top self frames: {top}")
        if "sql" in row:
            sql = row["sql"]
            print(
                f"\n{row['db']} {row['meetings']} meetings: {sql['statements_per_turn']} statements"
                f" and {sql['transactions_per_turn']} transactions per turn"
            )
            for r in sql["rows"][:15]:
                print(
                    f"  {r['per_turn']:>6}/turn avg {r['avg_ms']} max {r['max_ms']} ms"
                    f"  {r['task']}  {r['statement']}"
                )
    if name == "latency" and not args.quick:
        points: dict[str, list[tuple[float, float]]] = {}
        for row in data["rows"]:
            for q in ("p50", "p99"):
                value = row[f"{q}_ms"]
                points.setdefault(f"{row['db']} {q}", []).append(
                    (row["meetings"], float("nan") if value is None else value)
                )
        series: dict[str, tuple[Sequence[float], Sequence[float]]] = {
            label: ([x for x, _ in xy], [y for _, y in xy]) for label, xy in points.items()
        }
        plot_lines(
            RESULTS_DIR / "latency.png",
            title="Transcript latency: simulator send -> stored -> SSE client",
            xlabel="concurrent meetings (one MeetMind process, one core)",
            ylabel="latency ms",
            series=series,
            hline=TARGET_P99_MS,
            logx=True,
        )
    return data
