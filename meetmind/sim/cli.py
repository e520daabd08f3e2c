"""``meetmind sim``: run the Zoom simulator until Ctrl-C / SIGTERM.

The lead registers it with ``app.command("sim")(sim_command)``; ``python -m meetmind.sim`` runs it
standalone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import Annotated

import typer

from meetmind.sim.simulator import Simulator

__all__ = ["run_simulator", "sim_command"]


async def run_simulator(
    *,
    host: str,
    port: int,
    time_scale: float,
    webhook_url: str | None,
    client_id: str | None,
    client_secret: str | None,
    webhook_secret_token: str | None,
    as_json: bool,
    script: str | None,
    stop: asyncio.Event | None = None,
) -> None:
    """Start a simulator, print its details, and serve until ``stop`` or a signal."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Simulator(
        time_scale=time_scale,
        host=host,
        port=port,
        webhook_url=webhook_url,
        client_id=client_id,
        client_secret=client_secret,
        webhook_secret_token=webhook_secret_token,
    ) as sim:
        info = sim.info()
        if script:
            meeting = sim.create_meeting(script)
            info["meeting"] = {"id": meeting.id, "uuid": meeting.uuid}
        if as_json:
            sys.stdout.write(json.dumps(info) + "\n")
        else:
            width = max(len(k) for k in info)
            sys.stdout.write("MeetMind Zoom simulator running (Ctrl-C to stop)\n")
            for key, value in info.items():
                sys.stdout.write(f"  {key:<{width}}  {value}\n")
        sys.stdout.flush()
        await stop.wait()


def sim_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port for OAuth/REST/admin; 0 = ephemeral.")] = 0,
    time_scale: Annotated[
        float, typer.Option("--time-scale", help="Simulated seconds per real second.")
    ] = 1.0,
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Event notification endpoint to register.")
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="OAuth client id (random if omitted).")
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="OAuth client secret (random if omitted).")
    ] = None,
    webhook_secret_token: Annotated[
        str | None, typer.Option(help="Webhook secret token (random if omitted).")
    ] = None,
    script: Annotated[
        str | None, typer.Option(help="Create and start a meeting from this script at start-up.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON line with base URLs and credentials.")
    ] = False,
) -> None:
    """Run a local Zoom (OAuth, REST, webhooks, RTMS) until Ctrl-C or SIGTERM."""
    asyncio.run(
        run_simulator(
            host=host,
            port=port,
            time_scale=time_scale,
            webhook_url=webhook_url,
            client_id=client_id,
            client_secret=client_secret,
            webhook_secret_token=webhook_secret_token,
            as_json=as_json,
            script=script,
        )
    )


def main() -> None:
    """Entry point of ``python -m meetmind.sim``."""
    app = typer.Typer(add_completion=False)
    app.command()(sim_command)
    app()
