"""MeetMind and the Zoom simulator wired together in one process (demo, tests, trials)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app
from meetmind.sim.context import SimConfig
from meetmind.sim.simulator import Simulator
from meetmind.store.vault import generate_key_spec

__all__ = ["LocalStack", "connect_zoom", "free_port", "local_stack"]

WEBHOOK_PATH = "/api/v1/zoom/rtms/webhook"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LocalStack:
    """A running simulator and a MeetMind server that trust each other."""

    sim: Simulator
    meetmind: MeetMind
    api_url: str

    @property
    def webhook_url(self) -> str:
        """Where the simulator delivers Zoom webhooks."""
        return self.api_url + WEBHOOK_PATH


@asynccontextmanager
async def local_stack(
    *,
    database_url: str,
    time_scale: float = 50.0,
    sim_config: SimConfig | None = None,
    settings: dict[str, Any] | None = None,
    meetmind_kwargs: dict[str, Any] | None = None,
) -> AsyncIterator[LocalStack]:
    """Start the simulator, then MeetMind configured against it, served on a free port."""
    async with Simulator(time_scale=time_scale, config=sim_config) as sim:
        port = free_port()
        config = Settings(
            _env_file=None,
            **{
                "database_url": database_url,
                "zoom_client_id": sim.client_id,
                "zoom_client_secret": sim.client_secret,
                "zoom_webhook_secret_token": sim.webhook_secret_token,
                "zoom_oauth_base_url": sim.oauth_base_url,
                "zoom_api_base_url": sim.api_base_url,
                "public_base_url": f"http://127.0.0.1:{port}",
                "encryption_keys": generate_key_spec("local"),
                "agent_bridge": "simulator",
                "agent_bridge_url": sim.admin_base_url,
                **(settings or {}),
            },
        )
        meetmind = MeetMind(config, **(meetmind_kwargs or {}))
        await meetmind.start()
        try:
            app = create_app(meetmind, manage_lifecycle=False)
            async with serve_app(app, port=port) as api_url:
                stack = LocalStack(sim=sim, meetmind=meetmind, api_url=api_url)
                if not await sim.register_webhook(stack.webhook_url):
                    raise RuntimeError("the simulator could not validate MeetMind's webhook URL")
                yield stack
        finally:
            await meetmind.close()


async def connect_zoom(api: httpx.AsyncClient) -> dict[str, Any]:
    """Do what a user's browser does to install the Zoom app: open the link, follow redirects.

    Args:
        api: A client for the MeetMind API that sends the tenant's API key.

    Returns:
        The callback's JSON (the installation).
    """
    link = (await api.get("/api/v1/zoom/oauth/authorize-url")).raise_for_status().json()
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        consent = await browser.get(link["authorize_url"])
        if consent.status_code not in (302, 303, 307):
            raise RuntimeError(f"Zoom's authorize step answered {consent.status_code}")
        callback = await browser.get(consent.headers["location"])
    result: dict[str, Any] = callback.raise_for_status().json()
    return result
