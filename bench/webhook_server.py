"""The measured side of ``bench webhooks``: one MeetMind process serving its real HTTP API.

Run by :mod:`bench.webhooks` as a subprocess (never by hand)::

    python -m bench.webhook_server '{"database_url": ..., "secret": ..., "cpu": 0}'

It prints ``{"url": ..., "pid": ...}`` once serving, then waits for a line on stdin; at that line
it waits for the webhook inbox to finish processing, prints ``{"drain_s": ...}`` and exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any


async def serve(args: dict[str, Any]) -> None:
    """Start MeetMind (ingest writer, webhook inbox) and its API on a free port."""
    from meetmind.api.app import create_app
    from meetmind.config import Settings
    from meetmind.sdk import MeetMind
    from meetmind.serving import serve_app
    from meetmind.store.vault import generate_key_spec

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=args["database_url"],
        zoom_webhook_secret_token=args["secret"],
        encryption_keys=generate_key_spec("bench"),
    )
    meetmind = MeetMind(settings)
    await meetmind.start(auto_migrate=True, background=args.get("background", True))
    try:
        app = create_app(meetmind, manage_lifecycle=False)
        async with serve_app(app, port=0) as url:
            print(json.dumps({"url": url, "pid": os.getpid()}), flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            started = time.monotonic()
            if args.get("background", True):
                await asyncio.wait_for(meetmind.zoom_inbox.drained(), 120)
            drain = time.monotonic() - started
            print(json.dumps({"drain_s": round(drain, 3)}), flush=True)
    finally:
        await meetmind.close()


def main() -> None:
    """Entry point of the server subprocess."""
    args = json.loads(sys.argv[1])
    if args.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(args["cpu"])})
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
