"""Smoke test of ``python -m bench latency --quick``: real processes, sane samples.

It starts the simulator and ``meetmind serve`` as subprocesses (SQLite), follows one and then
five meetings over SSE for a few seconds and checks that latencies were measured. No timing
thresholds: this checks that the harness measures something real, not how fast the machine is.
"""

from __future__ import annotations

import argparse

import pytest

from bench import latency


@pytest.mark.slow
async def test_quick_latency_measures_every_turn() -> None:
    parser = argparse.ArgumentParser()
    latency.add_arguments(parser)
    args = latency.quick(parser.parse_args(["--quick"]))
    data = await latency.run(args)

    rows = data["rows"]
    assert [(r["db"], r["meetings"]) for r in rows] == [("sqlite", 1), ("sqlite", 5)]
    for row in rows:
        assert row["followers_ready"] == row["meetings"]
        assert row["samples"] > 0
        assert row["missing"] == 0
        assert row["negative"] == 0
        samples = row["latencies_ms"]
        assert len(samples) == row["samples"]
        assert all(value > 0 for value in samples)
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["max_ms"] == pytest.approx(max(samples), abs=0.01)
        assert row["turns_per_s"] > 0
        assert row["meetmind_cpu_pct"] > 0
        assert row["event_types"].get("transcript.turn", 0) >= row["samples"]
    assert "p99 ms" in latency.table(rows)
