"""Responders loaded by import path in ``test_responder.py`` (not a test module)."""

from __future__ import annotations

from meetmind.agent.responder import AgentReply, AgentRequest


class EchoResponder:
    """Answers with the request text."""

    async def respond(self, request: AgentRequest) -> AgentReply:
        """Echo the request."""
        return AgentReply(text=f"echo: {request.text}", responder="echo")


def make_echo() -> EchoResponder:
    """A factory."""
    return EchoResponder()


def make_broken() -> EchoResponder:
    """A factory that fails."""
    raise RuntimeError("no model configured")


class SyncResponder:
    """Has ``respond`` but not async: does not satisfy the protocol."""

    def respond(self, request: AgentRequest) -> AgentReply:
        """Not a coroutine."""
        return AgentReply(text="sync", responder="sync")


ECHO = EchoResponder()
NOT_CALLABLE = 42
