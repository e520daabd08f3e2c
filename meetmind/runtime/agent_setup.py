"""The agent's responder and reply bridge, chosen by settings."""

from __future__ import annotations

import httpx

from meetmind.agent.bridge import ReplyBridge, SimulatorBridge, WebhookBridge
from meetmind.agent.openai_compat import OpenAICompatibleResponder
from meetmind.agent.responder import Responder, load_responder
from meetmind.config import Settings
from meetmind.domain.errors import ConfigurationError

__all__ = ["build_bridge", "build_responder"]


def build_responder(settings: Settings, http: httpx.AsyncClient) -> Responder:
    """``MEETMIND_AGENT_RESPONDER``: extractive, openai, or an import path."""
    spec = settings.agent_responder.strip()
    if spec == "openai":
        if not settings.agent_llm_base_url:
            raise ConfigurationError(
                "MEETMIND_AGENT_LLM_BASE_URL: required by MEETMIND_AGENT_RESPONDER=openai"
            )
        key = settings.agent_llm_api_key
        return OpenAICompatibleResponder(
            base_url=settings.agent_llm_base_url,
            model=settings.agent_llm_model,
            api_key=key.get_secret_value() if key else None,
            client=http,
            timeout=settings.agent_llm_timeout_seconds,
        )
    return load_responder(spec)


def build_bridge(settings: Settings, http: httpx.AsyncClient) -> ReplyBridge | None:
    """``MEETMIND_AGENT_BRIDGE``: none, simulator or webhook."""
    if settings.agent_bridge == "none":
        return None
    if not settings.agent_bridge_url:
        raise ConfigurationError(
            f"MEETMIND_AGENT_BRIDGE_URL: required by MEETMIND_AGENT_BRIDGE={settings.agent_bridge}"
        )
    if settings.agent_bridge == "simulator":
        return SimulatorBridge(settings.agent_bridge_url, client=http)
    secret = settings.agent_bridge_secret
    if secret is None:
        raise ConfigurationError(
            "MEETMIND_AGENT_BRIDGE_SECRET: required by MEETMIND_AGENT_BRIDGE=webhook"
        )
    return WebhookBridge(settings.agent_bridge_url, secret.get_secret_value(), client=http)
