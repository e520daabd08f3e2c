"""The ``meetmind`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from meetmind.config import Settings, load_settings
from meetmind.domain.errors import MeetMindError
from meetmind.sim.cli import sim_command

__all__ = ["app", "main"]

T = TypeVar("T")

app = typer.Typer(
    name="meetmind",
    help="MeetMind: put an agent into live Zoom meetings through RTMS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Manage API keys and token encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.command("sim", help="Run the Zoom simulator (OAuth, REST, webhooks, RTMS) locally.")(
    sim_command
)

_state: dict[str, bool] = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _run(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine; a MeetMind error is one line on stderr and exit code 1."""
    try:
        return asyncio.run(coroutine())
    except MeetMindError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except MeetMindError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (MEETMIND_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Bind port (MEETMIND_PORT).")] = None,
    api_only: Annotated[
        bool,
        typer.Option(
            "--api",
            help="Scale-out API node: webhooks and API only; streams go to `meetmind worker`s "
            "(needs PostgreSQL and MEETMIND_REDIS_URL).",
        ),
    ] = False,
    all_in_one: Annotated[
        bool,
        typer.Option(
            "--all-in-one", help="One process does everything (the default, SQLite or PostgreSQL)."
        ),
    ] = False,
) -> None:
    """Run the HTTP API (SQLite migrates itself; PostgreSQL needs `meetmind migrate`)."""
    import uvicorn

    from meetmind.api.app import create_app
    from meetmind.sdk import MeetMind
    from meetmind.serving import redact_server_logs

    if api_only and all_in_one:
        typer.echo("error: choose --api or --all-in-one, not both", err=True)
        raise typer.Exit(2)
    settings = _settings(host=host, port=port)

    async def run() -> None:
        meetmind = MeetMind(settings, role="api" if api_only else "all-in-one")
        try:
            await meetmind.start()
            config = uvicorn.Config(
                create_app(meetmind, manage_lifecycle=False),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
                lifespan="on",
                timeout_graceful_shutdown=5,
            )
            redact_server_logs()  # API keys sent as ?access_token= stay out of the access log
            await uvicorn.Server(config).serve()
        finally:
            await meetmind.close()

    _run(run)


@app.command()
def worker(
    host: Annotated[
        str, typer.Option(help="Bind address of the worker's /metrics and /healthz.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of /metrics and /healthz (0: any).")
    ] = 9100,
) -> None:
    """Run a stream worker (scale-out): owns RTMS streams, ingests, delivers webhooks.

    Needs PostgreSQL and MEETMIND_REDIS_URL. SIGTERM drains: streams are handed to other workers.
    """
    from meetmind.cluster.process import run_worker

    settings = _settings()
    _run(lambda: run_worker(settings, host=host, port=port))


@app.command()
def cluster(
    api: Annotated[int, typer.Option(min=1, max=16, help="API processes.")] = 2,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 3,
    base_port: Annotated[
        int, typer.Option(min=0, max=65000, help="First API port (0: free ports).")
    ] = 0,
) -> None:
    """Run a local cluster of real processes on PostgreSQL and Redis (tests and trials).

    Reads MEETMIND_DATABASE_URL (PostgreSQL) and MEETMIND_REDIS_URL; prints each process's URL
    and runs until Ctrl-C.
    """
    from meetmind.cluster.local import LocalCluster
    from meetmind.cluster.roles import check_scale_out

    try:
        check_scale_out(_settings(), "cluster")
    except MeetMindError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        async with LocalCluster({}, api=api, workers=workers, base_port=base_port) as local:
            for url in local.api_urls:
                typer.echo(f"api     {url}")
            for url in local.worker_urls:
                typer.echo(f"worker  {url}/metrics")
            typer.echo("Ctrl-C stops the cluster.")
            await local.wait()

    _run(run)


@app.command()
def demo(
    script: Annotated[
        str, typer.Option(help="Meeting script: a shipped name (standup, planning) or a file.")
    ] = "standup",
    speed: Annotated[
        float, typer.Option(min=0.5, max=1000, help="Simulated seconds per real second.")
    ] = 30.0,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave it up (dashboard) until Ctrl-C.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the whole product locally: simulated Zoom, server, a live meeting, the agent."""
    from pathlib import Path

    from rich.console import Console

    from meetmind.demo import DemoSummary, run_demo

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    console = Console(stderr=json_output)

    async def run() -> DemoSummary:
        return await run_demo(
            script=script,
            speed=speed,
            data_dir=Path(".meetmind"),
            keep_running=keep_running,
            console=console,
            quiet=json_output,
        )

    try:
        summary = _run(run)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if json_output:
        typer.echo(json.dumps(summary.to_json()))
    if summary.turns_stored != summary.turns_scripted:
        typer.echo(
            f"error: stored {summary.turns_stored} of {summary.turns_scripted} scripted turns",
            err=True,
        )
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Upgrade the database schema to this version of MeetMind."""
    from meetmind.store.db import Database

    settings = _settings()

    async def run() -> tuple[str | None, str | None]:
        database = Database(settings.database_url)
        try:
            await database.migrate()
            return await database.schema_revisions()
        finally:
            await database.dispose()

    current, _ = _run(run)
    typer.echo(f"database schema is at revision {current}")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if it does not exist.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an API key for a tenant and print it (it is shown only this once)."""
    from meetmind.sdk import MeetMind

    settings = _settings()

    async def run() -> tuple[str, str, str]:
        async with MeetMind(settings) as meetmind:
            found = await meetmind.get_or_create_tenant(tenant)
            key = await meetmind.create_api_key(found.id)
            return found.id, key.id, key.secret

    tenant_id, key_id, secret = _run(run)
    if json_output:
        typer.echo(json.dumps({"tenant_id": tenant_id, "key_id": key_id, "api_key": secret}))
    else:
        typer.echo(f"tenant {tenant} ({tenant_id})\nkey id {key_id}\n{secret}")
        typer.echo("Keep this key now: only its hash is stored.", err=True)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored Zoom token under the newest MEETMIND_ENCRYPTION_KEYS key."""
    from meetmind.sdk import MeetMind
    from meetmind.zoom.connection import KeyRotation

    settings = _settings()

    async def run() -> KeyRotation:
        meetmind = MeetMind(settings)
        try:
            await meetmind.start(background=False)
            return await meetmind.rotate_encryption_keys()
        finally:
            await meetmind.close()

    rotation = _run(run)
    typer.echo(f"re-encrypted {rotation.rewritten} row(s) under key {_key_id(settings)}")
    if rotation.failed:
        typer.echo(
            f"error: no configured key decrypts installation(s) {', '.join(rotation.failed)}; "
            "add the key they were written with to MEETMIND_ENCRYPTION_KEYS and run again",
            err=True,
        )
        raise typer.Exit(1)


def _key_id(settings: Settings) -> str:
    from meetmind.store.vault import key_ring_from_settings

    spec = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
    return key_ring_from_settings(spec, production=settings.env == "production").current_key_id


@keys_app.command("generate-encryption-key")
def keys_generate(
    key_id: Annotated[str | None, typer.Option(help="Id of the new key.")] = None,
) -> None:
    """Print a new `id:base64key` entry to put first in MEETMIND_ENCRYPTION_KEYS."""
    from meetmind.store.vault import generate_key_spec

    typer.echo(generate_key_spec(key_id))


@app.command()
def config(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the reference of every setting.")
    ] = False,
) -> None:
    """Show the effective configuration (secrets hidden), or the settings reference."""
    if markdown:
        from meetmind.settings_doc import settings_markdown

        typer.echo(settings_markdown(), nl=False)
        return
    settings = _settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2))


@app.command()
def openapi() -> None:
    """Print the REST API's OpenAPI schema (JSON)."""
    from meetmind.api.app import create_app
    from meetmind.sdk import MeetMind

    settings = _settings()
    schema = create_app(MeetMind(settings), manage_lifecycle=False).openapi()
    typer.echo(json.dumps(schema, indent=2, sort_keys=True))


@app.command()
def version() -> None:
    """Print MeetMind's version."""
    from meetmind import __version__

    typer.echo(__version__)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``meetmind`` console script."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="meetmind")
