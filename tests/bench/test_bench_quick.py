"""Smoke tests of the benchmark harness: the quick webhook and ingest runs give sane numbers.

No timing thresholds: these check that the harness measures something real (requests answered
and verified, turns stored exactly once), not how fast this machine is.
"""

from __future__ import annotations

import pytest

from bench import ingest, webhooks


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["unique", "duplicates"])
async def test_quick_webhooks_are_verified_and_counted(variant: str) -> None:
    row = await webhooks.measure(
        "sqlite",
        variant,
        seconds=1.0,
        connections=4,
        warmup=20,
        profile=False,
        background=True,
    )
    assert row["requests"] > 0 and row["per_s"] > 0
    assert row["statuses"] == {"200": row["requests"]}  # every signed webhook was accepted
    answers = row["answers"]
    if variant == "unique":
        assert answers == {"accepted": row["requests"]}
    else:
        assert answers.get("duplicate", 0) > 0
    assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert row["server_cpu_s"] > 0
    assert "webhooks/s" in webhooks.table([row])


@pytest.mark.parametrize("duplicates", [0.0, 0.5])
async def test_quick_ingest_stores_each_turn_once(duplicates: float) -> None:
    row = await ingest.measure(
        "sqlite", batch_size=50, duplicates=duplicates, turns=200, sessions=3
    )
    assert row["submitted"] == 200
    assert row["stored"] == row["unique"] > 0
    assert row["exactly_once"]
    assert row["duplicates_caught"] == row["submitted"] - row["unique"]
    assert row["batches"] >= row["submitted"] / 50
    assert row["stored_per_s"] > 0 and row["stored_per_cpu_s"]
    assert "stored/s" in ingest.table([row])
