"""What the agent answers: the :class:`Responder` protocol, its request and reply types.

When a wake word is detected (:mod:`meetmind.agent.wakeword`), the runtime builds an
:class:`AgentRequest` (the request text, who asked, the recent transcript) and awaits a
:class:`Responder`. The reply then leaves the meeting through a
:class:`~meetmind.agent.bridge.ReplyBridge`.

Built-in responders live in their own modules and are re-exported by :mod:`meetmind.agent`:

* :class:`~meetmind.agent.extractive.ExtractiveResponder`: offline, no model; recaps, action
  items, decisions and "what did <name> say", picked from the transcript.
* :class:`~meetmind.agent.openai_compat.OpenAICompatibleResponder`: any OpenAI-compatible
  chat-completions endpoint; failures become a polite fallback reply.

Users plug their own object into the SDK, or name it by import path for
:func:`load_responder` (``"package.module:factory_or_class"``).

A responder should not raise: a failure is better answered with a reply whose ``fallback``
is true. Callers still guard against a third-party responder that raises.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeGuard, runtime_checkable

from meetmind.domain.errors import ConfigurationError

__all__ = [
    "AgentReply",
    "AgentRequest",
    "ContextTurn",
    "Responder",
    "ResponderLoadError",
    "TurnRole",
    "load_responder",
]

TurnRole = Literal["participant", "agent"]
"""Who spoke a transcript turn: a meeting participant or the agent itself."""


@dataclass(frozen=True, slots=True)
class ContextTurn:
    """One turn of the recent transcript given to a responder.

    Attributes:
        speaker_name: Display name of the speaker.
        text: What was said.
        start_ms: Start of the turn, milliseconds on the session's clock.
        end_ms: End of the turn, on the same clock.
        role: ``"participant"`` or ``"agent"`` (the agent's own earlier replies).
        speaker_id: Id of the speaker, when known.
    """

    speaker_name: str
    text: str
    start_ms: int
    end_ms: int
    role: TurnRole = "participant"
    speaker_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """A participant addressed the agent.

    Attributes:
        text: The request after the wake word, e.g. ``"can you recap?"``; may be ``""`` when
            the speaker only said the wake word.
        speaker_id: Who asked.
        speaker_name: Display name of who asked.
        session_id: The MeetMind session.
        agent_name: The agent's display name, e.g. ``"MeetMind"``.
        transcript: The recent transcript, oldest turn first (it may include the turn
            holding the request).
    """

    text: str
    speaker_id: str
    speaker_name: str
    session_id: str
    agent_name: str = "MeetMind"
    transcript: Sequence[ContextTurn] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class AgentReply:
    """What the agent answers.

    Attributes:
        text: The reply, ready to post or speak.
        responder: Name of the responder that produced it (``"extractive"``, ...).
        fallback: True when the responder could not do its job (endpoint down, timeout,
            request not understood) and answered politely instead.
        intent: What the responder understood, when it classifies requests (``"recap"``,
            ``"action_items"``, ``"decisions"``, ``"speaker"``, ``"unknown"``).
        detail: A short machine-readable reason for a fallback (``"timeout"``,
            ``"http_500"``, ...); never contains secrets.
    """

    text: str
    responder: str
    fallback: bool = False
    intent: str | None = None
    detail: str | None = None


@runtime_checkable
class Responder(Protocol):
    """Answers requests addressed to the agent."""

    async def respond(self, request: AgentRequest) -> AgentReply:
        """Answer one request.

        Args:
            request: The request, who asked and the recent transcript.

        Returns:
            The reply; a failure should become a reply with ``fallback=True``.
        """
        ...


class ResponderLoadError(ConfigurationError):
    """A responder named by import path cannot be loaded or is not a :class:`Responder`."""

    code = "responder_load_error"


_BUILT_IN = {
    "extractive": "meetmind.agent.extractive:ExtractiveResponder",
}


def load_responder(spec: str) -> Responder:
    """Load a responder by import path.

    ``spec`` is ``"package.module:attribute"``; the attribute is a class or a factory called
    with no arguments, or an object that already satisfies :class:`Responder`. The name
    ``"extractive"`` loads the built-in offline responder.

    Args:
        spec: The import path, e.g. ``"myapp.agent:make_responder"``.

    Returns:
        The responder.

    Raises:
        ResponderLoadError: If the spec is malformed, the module or attribute cannot be
            imported, the factory fails, or the result has no async ``respond`` method.
    """
    spec = _BUILT_IN.get(spec.strip(), spec.strip())
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ResponderLoadError(
            f"responder spec {spec!r} must look like 'package.module:attribute'",
            details={"spec": spec},
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ResponderLoadError(
            f"cannot import module {module_name!r} for responder {spec!r}: {exc}",
            details={"spec": spec},
        ) from exc
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ResponderLoadError(
                f"module {module_name!r} has no attribute {attribute!r}", details={"spec": spec}
            ) from exc
    if _is_responder(target):
        return target  # an instance exported by the module
    if not callable(target):
        raise ResponderLoadError(
            f"{spec!r} is neither a responder nor a class or factory that makes one",
            details={"spec": spec},
        )
    try:
        made = target()
    except Exception as exc:  # user code: any failure is a configuration error
        raise ResponderLoadError(
            f"calling {spec!r} failed: {type(exc).__name__}: {exc}", details={"spec": spec}
        ) from exc
    if not _is_responder(made):
        raise ResponderLoadError(
            f"{spec!r} made a {type(made).__name__}, which has no 'async def respond(request)'",
            details={"spec": spec},
        )
    return made


def _is_responder(candidate: object) -> TypeGuard[Responder]:
    if isinstance(candidate, type):
        return False  # a class is a factory, not a responder
    respond = getattr(candidate, "respond", None)
    return respond is not None and inspect.iscoroutinefunction(respond)
