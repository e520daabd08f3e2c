"""The meeting agent: wake words, responders and the reply bridge (issue 7).

Everything public is re-exported here; the submodules hold the details:
:mod:`~meetmind.agent.wakeword`, :mod:`~meetmind.agent.responder`,
:mod:`~meetmind.agent.extractive`, :mod:`~meetmind.agent.openai_compat` and
:mod:`~meetmind.agent.bridge`.
"""

from __future__ import annotations

from meetmind.agent.bridge import (
    BridgeMessage,
    DeliveryResult,
    ReplyBridge,
    ReplyChannel,
    ReplyMode,
    SimulatorBridge,
    WebhookBridge,
)
from meetmind.agent.extractive import ExtractiveResponder
from meetmind.agent.openai_compat import OpenAICompatibleResponder
from meetmind.agent.responder import (
    AgentReply,
    AgentRequest,
    ContextTurn,
    Responder,
    ResponderLoadError,
    TurnRole,
    load_responder,
)
from meetmind.agent.wakeword import (
    DEFAULT_WAKE_WORDS,
    MatchTuning,
    RequestSource,
    Turn,
    WakeWordConfig,
    WakeWordDetection,
    WakeWordDetector,
    WakeWordMatch,
    match_wake_word,
)

__all__ = [
    "DEFAULT_WAKE_WORDS",
    "AgentReply",
    "AgentRequest",
    "BridgeMessage",
    "ContextTurn",
    "DeliveryResult",
    "ExtractiveResponder",
    "MatchTuning",
    "OpenAICompatibleResponder",
    "ReplyBridge",
    "ReplyChannel",
    "ReplyMode",
    "RequestSource",
    "Responder",
    "ResponderLoadError",
    "SimulatorBridge",
    "Turn",
    "TurnRole",
    "WakeWordConfig",
    "WakeWordDetection",
    "WakeWordDetector",
    "WakeWordMatch",
    "WebhookBridge",
    "load_responder",
    "match_wake_word",
]
