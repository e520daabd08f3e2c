"""``python -m bench <name> [options]``: run one benchmark (``--help`` per name for options).

Names: ``webhooks``, ``ingest``, ``audio``, ``official-sdk``, ``agent``, ``takeover``, ``wakeword``
(delegates to ``python -m bench.wakeword.evaluate``).
"""

from __future__ import annotations

import argparse
import importlib
import runpy
import sys

BENCHES = {
    "webhooks": "bench.webhooks",
    "ingest": "bench.ingest",
    "audio": "bench.audio",
    "official-sdk": "bench.official_sdk",
    "agent": "bench.agent",
    "takeover": "bench.takeover",
    "latency": "bench.latency",
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the named benchmark module's ``add_arguments`` and ``main``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "wakeword":
        sys.argv = ["bench.wakeword.evaluate", *argv[1:]]
        runpy.run_module("bench.wakeword.evaluate", run_name="__main__")
        return 0
    if not argv or argv[0] not in BENCHES:
        names = ", ".join([*BENCHES, "wakeword"])
        print(f"usage: python -m bench {{{names}}} [--quick] [options]  (--help per name)")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(BENCHES[argv[0]])
    parser = argparse.ArgumentParser(prog=f"python -m bench {argv[0]}", description=module.__doc__)
    module.add_arguments(parser)
    module.main(parser.parse_args(argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
