"""OpenAICompatibleResponder against a local server that speaks the chat-completions API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from meetmind.agent import OpenAICompatibleResponder, Responder
from meetmind.agent.openai_compat import DEFAULT_FALLBACK_TEXT
from meetmind.agent.responder import AgentRequest, ContextTurn
from meetmind.serving import serve_app

API_KEY = "sk-test-0123456789abcdef"


@dataclass
class FakeLLM:
    """What the local endpoint answers next, and what it received."""

    mode: str = "ok"
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            self.received.append(await request.json())
            self.headers.append(dict(request.headers))
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.mode == "500":
                return JSONResponse({"error": {"message": "boom"}}, status_code=500)
            if self.mode == "not_json":
                return PlainTextResponse("<html>gateway</html>")
            if self.mode == "no_choices":
                return JSONResponse({"choices": []})
            return JSONResponse(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": self.received[-1]["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": "  The launch moved to the nineteenth.  ",
                            },
                            "finish_reason": "stop",
                        }
                    ],
                }
            )

        return app


@pytest.fixture
async def llm() -> AsyncIterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    async with serve_app(fake.app(), lifespan="off") as base_url:
        yield fake, base_url + "/v1"


REQUEST = AgentRequest(
    text="what did we decide about the launch?",
    speaker_id="u_ana",
    speaker_name="Ana Lopez",
    session_id="ses_1",
    agent_name="Nova",
    transcript=(
        ContextTurn(
            "Tom Becker", "We decided to move the launch to the nineteenth.", 65_000, 69_000
        ),
        ContextTurn("Nova", "Noted.", 70_000, 71_000, role="agent"),
        ContextTurn("Ana Lopez", "Hey Nova, what did we decide about the launch?", 72_000, 75_000),
    ),
)


async def test_reply_and_request_body(llm: tuple[FakeLLM, str]) -> None:
    fake, base_url = llm
    async with OpenAICompatibleResponder(
        base_url=base_url, model="llama-3.1-8b", api_key=API_KEY, timeout=5
    ) as responder:
        assert isinstance(responder, Responder)
        answer = await responder.respond(REQUEST)
    assert answer.text == "The launch moved to the nineteenth."
    assert not answer.fallback and answer.responder == "openai_compatible"
    body = fake.received[0]
    assert body["model"] == "llama-3.1-8b"
    assert body["max_tokens"] == 300 and body["temperature"] == 0.2
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert "You are Nova" in system["content"]
    assert (
        "[01:05] Tom Becker: We decided to move the launch to the nineteenth."
        in (system["content"])
    )
    assert "[01:10] Nova (you): Noted." in system["content"]
    assert user["content"] == "Ana Lopez: what did we decide about the launch?"
    assert fake.headers[0]["authorization"] == f"Bearer {API_KEY}"


async def test_shared_client_and_no_key(llm: tuple[FakeLLM, str]) -> None:
    fake, base_url = llm
    async with httpx.AsyncClient() as client:
        responder = OpenAICompatibleResponder(
            base_url=base_url + "/",
            model="m",
            client=client,
            max_tokens=None,
            temperature=None,
            max_transcript_turns=1,
        )
        answer = await responder.respond(REQUEST)
        await responder.aclose()  # does not close a shared client
        assert not client.is_closed
    assert answer.text == "The launch moved to the nineteenth."
    assert "authorization" not in fake.headers[0]
    body = fake.received[0]
    assert "max_tokens" not in body and "temperature" not in body
    assert "Tom Becker" not in body["messages"][0]["content"]  # only the last turn


async def test_timeout_becomes_a_fallback(
    llm: tuple[FakeLLM, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, base_url = llm
    fake.delay_s = 0.5
    caplog.set_level(logging.DEBUG)
    async with OpenAICompatibleResponder(
        base_url=base_url, model="m", api_key=API_KEY, timeout=0.05
    ) as responder:
        answer = await responder.respond(REQUEST)
    assert answer.fallback and answer.detail == "timeout"
    assert answer.text == DEFAULT_FALLBACK_TEXT
    assert "timeout" in caplog.text
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(responder)


@pytest.mark.parametrize(
    ("mode", "detail"),
    [("500", "http_500"), ("not_json", "malformed_response"), ("no_choices", "malformed_response")],
)
async def test_errors_become_a_fallback(
    llm: tuple[FakeLLM, str], caplog: pytest.LogCaptureFixture, mode: str, detail: str
) -> None:
    fake, base_url = llm
    fake.mode = mode
    async with OpenAICompatibleResponder(
        base_url=base_url, model="m", api_key=API_KEY, fallback_text="One moment, please."
    ) as responder:
        answer = await responder.respond(REQUEST)
    assert answer.fallback and answer.detail == detail
    assert answer.text == "One moment, please."
    assert API_KEY not in caplog.text


async def test_connection_refused_becomes_a_fallback() -> None:
    async with serve_app(FastAPI(), lifespan="off") as base_url:
        pass  # the port is free again: nothing listens there any more
    async with OpenAICompatibleResponder(base_url=base_url, model="m") as responder:
        answer = await responder.respond(REQUEST)
    assert answer.fallback and answer.detail == "connection_error"


async def test_404_from_a_wrong_base_url(llm: tuple[FakeLLM, str]) -> None:
    _, base_url = llm
    async with OpenAICompatibleResponder(base_url=base_url + "/nope", model="m") as responder:
        answer = await responder.respond(REQUEST)
    assert answer.fallback and answer.detail == "http_404"


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        OpenAICompatibleResponder(base_url="api.openai.com", model="m")
    with pytest.raises(ValueError):
        OpenAICompatibleResponder(base_url="http://x", model="")
    with pytest.raises(ValueError):
        OpenAICompatibleResponder(base_url="http://x", model="m", timeout=0)


def test_empty_request_still_asks() -> None:
    responder = OpenAICompatibleResponder(base_url="http://x", model="m")
    request = AgentRequest("", "u", "Ana", "s", "MeetMind", ())
    system, user = responder.build_messages(request)
    assert "(nothing said yet)" in system["content"]
    assert user["content"] == "Ana: (the speaker only said your name)"
