"""Evaluate wake-word detection on the labelled set and write a markdown results snippet.

Run ``python -m bench.wakeword.evaluate`` (``--help`` for options). Every item goes through a
fresh :class:`~meetmind.agent.wakeword.WakeWordDetector`, exactly as a session would use it:
single utterances are one turn followed by ``drain()``; conversations replay their turns,
then ``flush(flush_ms)`` and ``drain()``.

Counting: a single utterance is one positive or negative decision. In a conversation each
expected detection is a positive; a detection matches it when speaker and wake turn agree;
any other detection is a false positive. Request extraction is scored on true positives:
"exact" compares strings, "normalized" ignores case, punctuation and spacing.

Latency is the wall time of ``WakeWordDetector.process()`` per utterance (the measurement,
not the detector, reads the clock), over several rounds; it is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meetmind.agent.wakeword import (
    Turn,
    WakeWordConfig,
    WakeWordDetection,
    WakeWordDetector,
)

__all__ = [
    "EVAL_SET",
    "Counts",
    "Report",
    "evaluate",
    "load_items",
    "main",
    "render_markdown",
]

EVAL_SET = Path(__file__).with_name("eval_set.jsonl")
RESULTS = Path(__file__).with_name("results.md")

ConfigFactory = Callable[[tuple[str, ...] | None], WakeWordConfig]
"""Builds the session config for an item (its own wake words, or None for the defaults)."""


def load_items(path: Path = EVAL_SET, split: str = "all") -> list[dict[str, Any]]:
    """Read the evaluation set.

    Args:
        path: The JSONL file.
        split: ``"dev"``, ``"test"`` or ``"all"``.

    Returns:
        The items of that split, in file order.
    """
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [it for it in items if split == "all" or it["split"] == split]


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@dataclass
class Counts:
    """Confusion counts and request-extraction tallies."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    request_checked: int = 0
    request_exact: int = 0
    request_normalized: int = 0

    @property
    def precision(self) -> float:
        """TP / (TP + FP), 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN), 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def extraction_exact(self) -> float:
        """Share of true positives whose request matches the label exactly."""
        return self.request_exact / self.request_checked if self.request_checked else 1.0

    @property
    def extraction_normalized(self) -> float:
        """Same, ignoring case, punctuation and spacing."""
        return self.request_normalized / self.request_checked if self.request_checked else 1.0

    def add(self, other: Counts) -> None:
        """Accumulate another tally into this one."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn
        self.request_checked += other.request_checked
        self.request_exact += other.request_exact
        self.request_normalized += other.request_normalized


@dataclass
class Report:
    """Results of one evaluation run."""

    overall: Counts = field(default_factory=Counts)
    by_split: dict[str, Counts] = field(default_factory=dict)
    by_category: dict[str, Counts] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies_us: list[float] = field(default_factory=list)
    n_items: int = 0

    def latency(self, quantile: float) -> float:
        """Latency quantile in microseconds (0.5 for the median)."""
        if not self.latencies_us:
            return 0.0
        ordered = sorted(self.latencies_us)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def _default_factory(base: WakeWordConfig) -> ConfigFactory:
    def factory(wake_words: tuple[str, ...] | None) -> WakeWordConfig:
        return base if wake_words is None else replace(base, wake_words=wake_words)

    return factory


def _check_request(counts: Counts, got: str, expected: str) -> bool:
    counts.request_checked += 1
    exact = got == expected
    normalized = _normalize(got) == _normalize(expected)
    counts.request_exact += exact
    counts.request_normalized += normalized
    return normalized


def _run_single(
    item: dict[str, Any], config: WakeWordConfig, timings: list[float] | None
) -> tuple[Counts, list[str]]:
    counts = Counts()
    errors: list[str] = []
    detector = WakeWordDetector(config)
    turn = Turn("t0", "speaker", item["text"], 0, 1_000 + 60 * len(item["text"]))
    started = time.perf_counter_ns()
    detections = detector.process(turn)
    elapsed = time.perf_counter_ns() - started
    if timings is not None:
        timings.append(elapsed / 1_000)
    detections += detector.drain()
    label = bool(item["label"])
    if label and detections:
        counts.tp += 1
        got = detections[0].request
        if not _check_request(counts, got, item["request"]):
            errors.append(f"REQUEST {item['id']} {item['text']!r}: {got!r} != {item['request']!r}")
    elif label:
        counts.fn += 1
        errors.append(f"MISS    {item['id']} [{item['category']}] {item['text']!r}")
    elif detections:
        counts.fp += 1
        d = detections[0]
        errors.append(
            f"FALSE   {item['id']} [{item['category']}] {item['text']!r} "
            f"(matched {d.matched_text!r}, {d.confidence:.3f})"
        )
    else:
        counts.tn += 1
    return counts, errors


def _run_conversation(item: dict[str, Any], config: WakeWordConfig) -> tuple[Counts, list[str]]:
    counts = Counts()
    errors: list[str] = []
    detector = WakeWordDetector(config)
    detections: list[WakeWordDetection] = []
    for t in item["turns"]:
        turn = Turn(t["turn_id"], t["speaker"], t["text"], t["start_ms"], t["end_ms"])
        detections += detector.process(turn)
    detections += detector.flush(item["flush_ms"])
    detections += detector.drain()
    unmatched = list(detections)
    for expected in item["expected"]:
        hit = next(
            (
                d
                for d in unmatched
                if d.speaker_id == expected["speaker"]
                and d.wake_turn_id == expected["wake_turn_id"]
            ),
            None,
        )
        if hit is None:
            counts.fn += 1
            errors.append(f"MISS    {item['id']} [{item['category']}] expected {expected}")
            continue
        unmatched.remove(hit)
        counts.tp += 1
        if not _check_request(counts, hit.request, expected["request"]):
            errors.append(
                f"REQUEST {item['id']} [{item['category']}]: {hit.request!r} "
                f"!= {expected['request']!r}"
            )
    for extra in unmatched:
        counts.fp += 1
        errors.append(
            f"FALSE   {item['id']} [{item['category']}] turn {extra.wake_turn_id} "
            f"{extra.matched_text!r} request {extra.request!r}"
        )
    if not item["expected"] and not detections:
        counts.tn += 1
    return counts, errors


def evaluate(
    items: Iterable[dict[str, Any]],
    config: WakeWordConfig | None = None,
    *,
    config_factory: ConfigFactory | None = None,
    timing_rounds: int = 0,
) -> Report:
    """Run the detector over the items and tally the results.

    Args:
        items: Evaluation items (see ``build_eval_set``).
        config: Base session config; items with their own wake words override them.
        config_factory: Builds each item's config instead (used by the tuner).
        timing_rounds: How many timed passes over the single utterances (0: no timing).

    Returns:
        The report.
    """
    factory = config_factory or _default_factory(config or WakeWordConfig())
    report = Report()
    materialized = list(items)
    report.n_items = len(materialized)
    for item in materialized:
        wake_words = tuple(item["wake_words"]) if "wake_words" in item else None
        item_config = factory(wake_words)
        if "turns" in item:
            counts, errors = _run_conversation(item, item_config)
        else:
            counts, errors = _run_single(item, item_config, None)
        report.overall.add(counts)
        report.by_split.setdefault(item["split"], Counts()).add(counts)
        report.by_category.setdefault(item["category"], Counts()).add(counts)
        report.errors.extend(errors)
    singles = [it for it in materialized if "turns" not in it]
    for _ in range(timing_rounds):
        for item in singles:
            wake_words = tuple(item["wake_words"]) if "wake_words" in item else None
            _run_single(item, factory(wake_words), report.latencies_us)
    return report


def _row(name: str, c: Counts) -> str:
    return (
        f"| {name} | {c.tp + c.fn} | {c.fp + c.tn} | {c.precision:.3f} | {c.recall:.3f} "
        f"| {c.f1:.3f} | {c.extraction_normalized:.3f} | {c.extraction_exact:.3f} |"
    )


def render_markdown(report: Report, config: WakeWordConfig) -> str:
    """Format the report as a markdown snippet.

    Args:
        report: The evaluation results.
        config: The config that produced them.

    Returns:
        Markdown text.
    """
    header = (
        "| slice | positives | negatives | precision | recall | F1 "
        "| request (normalized) | request (exact) |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [
        "# Wake-word detection: evaluation results",
        "",
        f"Evaluation set: `bench/wakeword/eval_set.jsonl`, {report.n_items} items. "
        f"Default config: wake words {list(config.wake_words)}, threshold {config.threshold}, "
        f"require_address={config.require_address}. Thresholds were tuned on `dev` only; "
        "`test` is held out.",
        "",
        header,
        _row("**all**", report.overall),
    ]
    for split in sorted(report.by_split):
        lines.append(_row(split, report.by_split[split]))
    lines += [
        "",
        "Per category:",
        "",
        "| category | positives | negatives | missed | false triggers | request wrong |",
        "|---|---|---|---|---|---|",
    ]
    for category in sorted(report.by_category):
        c = report.by_category[category]
        wrong = c.request_checked - c.request_normalized
        lines.append(f"| {category} | {c.tp + c.fn} | {c.fp + c.tn} | {c.fn} | {c.fp} | {wrong} |")
    if report.latencies_us:
        lines += [
            "",
            f"Detection latency per utterance (`WakeWordDetector.process`, "
            f"{len(report.latencies_us)} samples): p50 {report.latency(0.5):.1f} µs, "
            f"p99 {report.latency(0.99):.1f} µs, mean "
            f"{statistics.fmean(report.latencies_us):.1f} µs.",
        ]
    lines += ["", f"Errors ({len(report.errors)}):", "", "```"]
    lines += report.errors or ["(none)"]
    lines += ["```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", type=Path, default=EVAL_SET, help="evaluation set (JSONL)")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes for latency")
    parser.add_argument("--markdown", type=Path, default=RESULTS, help="results snippet path")
    parser.add_argument("--no-address", action="store_true", help="require_address=False")
    parser.add_argument("--errors", action="store_true", help="print every error")
    args = parser.parse_args(argv)

    config = WakeWordConfig(require_address=not args.no_address)
    report = evaluate(load_items(args.set, args.split), config, timing_rounds=args.rounds)
    c = report.overall
    print(f"items: {report.n_items}  positives: {c.tp + c.fn}  negatives: {c.fp + c.tn}")
    for name, counts in [("all", c), *sorted(report.by_split.items())]:
        print(
            f"{name:5} precision {counts.precision:.3f}  recall {counts.recall:.3f}  "
            f"F1 {counts.f1:.3f}  request {counts.extraction_normalized:.3f} "
            f"(exact {counts.extraction_exact:.3f})  tp={counts.tp} fp={counts.fp} "
            f"fn={counts.fn} tn={counts.tn}"
        )
    if report.latencies_us:
        print(
            f"latency per utterance: p50 {report.latency(0.5):.1f} µs, "
            f"p99 {report.latency(0.99):.1f} µs ({len(report.latencies_us)} samples)"
        )
    if args.errors:
        print("\n".join(report.errors))
    else:
        print(f"{len(report.errors)} errors (--errors to list them)")
    args.markdown.write_text(render_markdown(report, config), encoding="utf-8")
    print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
