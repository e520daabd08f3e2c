"""A responder backed by any OpenAI-compatible chat-completions endpoint.

:class:`OpenAICompatibleResponder` sends ``POST {base_url}/chat/completions`` with a system
prompt naming the agent and carrying the recent transcript, and the request as the user
message. OpenAI, Azure-style gateways, vLLM, llama.cpp's server, Ollama and LiteLLM all speak
this API.

It never raises to its caller: a timeout, a connection error, a non-2xx answer or a body
that is not a chat completion becomes a polite reply with ``fallback=True`` and a short
``detail`` (``"timeout"``, ``"connection_error"``, ``"http_503"``, ``"malformed_response"``).
Logs name the endpoint and the model, never the API key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from meetmind.agent.responder import AgentReply, AgentRequest, ContextTurn

__all__ = ["DEFAULT_FALLBACK_TEXT", "OpenAICompatibleResponder"]

logger = logging.getLogger(__name__)

DEFAULT_FALLBACK_TEXT = "Sorry, I can't answer that right now. Please try again in a moment."
"""What the agent says when the endpoint cannot answer."""

_SYSTEM_PROMPT = """\
You are {agent}, an assistant taking part in a live Zoom meeting. Participants address you by \
name. Answer the request in one to three short sentences that can be read aloud: no markdown, \
no lists. Use only what the transcript says; if it does not say, say so briefly.

Recent transcript (oldest first, [mm:ss] speaker: text):
{transcript}"""


class OpenAICompatibleResponder:
    """Answers through an OpenAI-compatible ``/chat/completions`` endpoint.

    Use it as an async context manager, or call :meth:`aclose`, when it owns its client.

    Example:
        >>> responder = OpenAICompatibleResponder(
        ...     base_url="http://127.0.0.1:8000/v1", model="llama-3.1-8b-instruct"
        ... )
    """

    name = "openai_compatible"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        max_transcript_turns: int = 60,
        max_tokens: int | None = 300,
        temperature: float | None = 0.2,
        fallback_text: str = DEFAULT_FALLBACK_TEXT,
    ) -> None:
        """Create the responder.

        Args:
            base_url: The API root, e.g. ``"https://api.openai.com/v1"``; ``/chat/completions``
                is appended.
            model: The model name sent in the body.
            api_key: Sent as ``Authorization: Bearer <key>`` when given.
            client: A shared client (the caller closes it); one is created and owned when
                omitted.
            timeout: Seconds for the whole request (connect, write, read).
            max_transcript_turns: Most recent turns put into the prompt.
            max_tokens: ``max_tokens`` of the body; omitted when None.
            temperature: ``temperature`` of the body; omitted when None.
            fallback_text: The reply when the endpoint fails.

        Raises:
            ValueError: If the URL, model or a limit is invalid.
        """
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if not model:
            raise ValueError("model is required")
        if timeout <= 0 or max_transcript_turns < 0:
            raise ValueError("timeout must be > 0 and max_transcript_turns >= 0")
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._api_key = api_key
        self._client = client
        self._owns_client = client is None
        self._timeout = httpx.Timeout(timeout)
        self._max_turns = max_transcript_turns
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._fallback_text = fallback_text

    def __repr__(self) -> str:
        """A representation without the API key."""
        return f"OpenAICompatibleResponder(url={self._url!r}, model={self._model!r})"

    async def __aenter__(self) -> OpenAICompatibleResponder:
        """Enter: nothing to open, the client is created on first use."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Exit: close the owned client."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this responder created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def build_messages(self, request: AgentRequest) -> list[dict[str, str]]:
        """The chat messages sent for a request (pure; exposed for tests and debugging).

        Args:
            request: The request and its transcript.

        Returns:
            A system message with the agent's name and the transcript, then the request as
            the user message, prefixed with the speaker's name.
        """
        turns = list(request.transcript)[-self._max_turns :] if self._max_turns else []
        system = _SYSTEM_PROMPT.format(
            agent=request.agent_name, transcript=_render_transcript(turns, request.agent_name)
        )
        question = request.text.strip() or "(the speaker only said your name)"
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": f"{request.speaker_name}: {question}"},
        ]

    async def respond(self, request: AgentRequest) -> AgentReply:
        """Ask the endpoint; any failure becomes a fallback reply.

        Args:
            request: The request and its transcript.

        Returns:
            The model's reply, or the fallback reply with ``detail`` set.
        """
        body: dict[str, Any] = {"model": self._model, "messages": self.build_messages(request)}
        if self._max_tokens is not None:
            body["max_tokens"] = self._max_tokens
        if self._temperature is not None:
            body["temperature"] = self._temperature
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            response = await self._http().post(
                self._url, json=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            return self._fallback("timeout")
        except httpx.HTTPError as exc:
            return self._fallback("connection_error", type(exc).__name__)
        if not response.is_success:
            return self._fallback(f"http_{response.status_code}")
        text = _completion_text(response)
        if text is None:
            return self._fallback("malformed_response")
        return AgentReply(text=text, responder=self.name, intent="chat")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    def _fallback(self, detail: str, cause: str | None = None) -> AgentReply:
        logger.warning(
            "chat completion failed (%s%s) url=%s model=%s",
            detail,
            f": {cause}" if cause else "",
            self._url,
            self._model,
        )
        return AgentReply(
            text=self._fallback_text,
            responder=self.name,
            fallback=True,
            intent="chat",
            detail=detail,
        )


def _render_transcript(turns: Sequence[ContextTurn], agent_name: str) -> str:
    if not turns:
        return "(nothing said yet)"
    lines = []
    for turn in turns:
        seconds = max(0, turn.start_ms) // 1000
        speaker = f"{agent_name} (you)" if turn.role == "agent" else turn.speaker_name
        text = " ".join(turn.text.split())
        lines.append(f"[{seconds // 60:02d}:{seconds % 60:02d}] {speaker}: {text}")
    return "\n".join(lines)


def _completion_text(response: httpx.Response) -> str | None:
    """``choices[0].message.content`` of a chat completion, or None if it is not one."""
    try:
        payload = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        return None
    return content.strip()
