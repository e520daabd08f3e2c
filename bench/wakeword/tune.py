"""Grid-search the wake-word threshold and scoring weights on the ``dev`` split.

Run ``python -m bench.wakeword.tune``. It never looks at the ``test`` split: the chosen
values become the defaults of :class:`~meetmind.agent.wakeword.WakeWordConfig` and
:class:`~meetmind.agent.wakeword.MatchTuning` by hand, and ``evaluate`` then reports the
held-out numbers. Ranking: the F1 averaged over the neighbouring thresholds (+-0.02, same
weights) first, so that a setting on a broad plateau beats an isolated spike that a few dev
items happen to favour; then the F1 itself; then precision (a false wake-up interrupts a
meeting, a miss only makes the speaker repeat); then the distance to the current defaults.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace
from pathlib import Path

from bench.wakeword.evaluate import EVAL_SET, Counts, evaluate, load_items
from meetmind.agent.wakeword import WakeWordConfig

__all__ = ["Trial", "main", "search"]

THRESHOLDS = [round(0.70 + 0.01 * i, 2) for i in range(21)]
WEIGHTS = [(0.4, 0.3, 0.3), (0.5, 0.25, 0.25), (0.3, 0.35, 0.35), (0.4, 0.4, 0.2), (0.4, 0.2, 0.4)]
EDGE_PENALTIES = [0.05, 0.1, 0.15, 0.2]
INNER_PENALTIES = [0.03, 0.05, 0.1]
CASE_PENALTIES = [0.0, 0.05, 0.1, 0.2]
DERIVATION_PENALTIES = [0.0, 0.05, 0.1, 0.15, 0.2]


@dataclass(frozen=True)
class Trial:
    """One point of the grid and its dev-split result."""

    config: WakeWordConfig
    counts: Counts
    smoothed_f1: float = 0.0

    def key(self, default: WakeWordConfig) -> tuple[float, float, float, float]:
        """Sort key: higher is better."""
        t, d = self.config.tuning, default.tuning
        distance = (
            abs(self.config.threshold - default.threshold)
            + abs(t.char_weight - d.char_weight)
            + abs(t.metaphone_weight - d.metaphone_weight)
            + abs(t.nysiis_weight - d.nysiis_weight)
            + abs(t.edge_extension_penalty - d.edge_extension_penalty)
            + abs(t.inner_extension_penalty - d.inner_extension_penalty)
            + abs(t.case_penalty - d.case_penalty)
            + abs(t.derivation_penalty - d.derivation_penalty)
        )
        return (
            round(self.smoothed_f1, 6),
            round(self.counts.f1, 6),
            round(self.counts.precision, 6),
            -distance,
        )


def search(path: Path = EVAL_SET, *, derivation_only: bool = False) -> list[Trial]:
    """Evaluate every grid point on the dev split.

    Args:
        path: The evaluation set.
        derivation_only: Search only the threshold and the derivation penalty, the other
            weights at their defaults (the grid of the second round, see the README).

    Returns:
        The trials, best first.
    """
    items = load_items(path, "dev")
    default = WakeWordConfig()
    d = default.tuning
    if derivation_only:
        grid = itertools.product(
            THRESHOLDS,
            [(d.char_weight, d.metaphone_weight, d.nysiis_weight)],
            [d.edge_extension_penalty],
            [d.inner_extension_penalty],
            [d.case_penalty],
            DERIVATION_PENALTIES,
        )
    else:
        grid = itertools.product(
            THRESHOLDS,
            WEIGHTS,
            EDGE_PENALTIES,
            INNER_PENALTIES,
            CASE_PENALTIES,
            [d.derivation_penalty],
        )
    trials = []
    for threshold, weights, edge, inner, case, derivation in grid:
        tuning = replace(
            default.tuning,
            char_weight=weights[0],
            metaphone_weight=weights[1],
            nysiis_weight=weights[2],
            edge_extension_penalty=edge,
            inner_extension_penalty=inner,
            case_penalty=case,
            derivation_penalty=derivation,
        )
        config = replace(default, threshold=threshold, tuning=tuning)
        trials.append(Trial(config, evaluate(items, config).overall))
    by_point = {(t.config.tuning, t.config.threshold): t for t in trials}
    smoothed = []
    for trial in trials:
        neighbours = [
            by_point[key].counts.f1
            for step in (-0.02, -0.01, 0.0, 0.01, 0.02)
            if (key := (trial.config.tuning, round(trial.config.threshold + step, 2))) in by_point
        ]
        smoothed.append(replace(trial, smoothed_f1=sum(neighbours) / len(neighbours)))
    smoothed.sort(key=lambda trial: trial.key(default), reverse=True)
    return smoothed


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the best grid points."""
    parser = argparse.ArgumentParser(description="Tune wake-word scoring on the dev split.")
    parser.add_argument("--set", type=Path, default=EVAL_SET)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--derivation-only",
        action="store_true",
        help="search the threshold and the derivation penalty only",
    )
    args = parser.parse_args(argv)
    trials = search(args.set, derivation_only=args.derivation_only)
    default = WakeWordConfig()
    current = next(
        (
            t
            for t in trials
            if t.config.threshold == default.threshold and t.config.tuning == default.tuning
        ),
        None,
    )
    print(f"{len(trials)} grid points on the dev split")
    for trial in trials[: args.top]:
        _print(trial)
    if current is not None:
        print("current defaults:")
        _print(current)


def _print(trial: Trial) -> None:
    t, c = trial.config.tuning, trial.counts
    print(
        f"  thr={trial.config.threshold:.2f} w=({t.char_weight},{t.metaphone_weight},"
        f"{t.nysiis_weight}) edge={t.edge_extension_penalty} inner={t.inner_extension_penalty}"
        f" case={t.case_penalty} derivation={t.derivation_penalty}"
        f"  P={c.precision:.3f} R={c.recall:.3f} F1={c.f1:.3f} fp={c.fp} fn={c.fn}"
        f"  smoothed F1={trial.smoothed_f1:.3f}"
    )


if __name__ == "__main__":
    main()
