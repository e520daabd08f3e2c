"""No answer, a late answer, or an answer that is not the API's: each becomes one typed error."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from starlette.types import Receive, Scope, Send

import meetmind.client as client_module
from meetmind.client import (
    ApiError,
    AsyncMeetMindClient,
    AuthenticationError,
    ConflictError,
    DecodingError,
    InvalidInputError,
    MeetMindClient,
    MeetMindClientError,
    NotFoundError,
    RequestTimeoutError,
    TransportError,
    ZoomError,
)
from meetmind.client._errors import api_error, error_class
from meetmind.local import free_port
from meetmind.serving import serve_app


async def odd_server(scope: Scope, receive: Receive, send: Send) -> None:
    """A server that is not MeetMind: answers by path, or never answers (``/slow``)."""
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path.endswith("/slow"):
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    answers = {
        "/html": (200, "text/html", b"<html>hello</html>"),
        "/partial": (200, "application/json", b'{"id": "ses_1"}'),
        "/broken": (200, "application/json", b'{"id": '),
        "/proxy": (502, "text/html", b"<h1>502 Bad Gateway</h1>"),
    }
    status, kind, body = answers[path.removeprefix("/api/v1/sdk/sessions").removesuffix("/events")]
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
    )
    await send({"type": "http.response.body", "body": body})


async def test_connection_refused_is_a_transport_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncMeetMindClient(url, api_key="mm_x") as client:
        with pytest.raises(TransportError) as caught:
            await client.list_sessions()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert not isinstance(caught.value, RequestTimeoutError)

    def sync() -> BaseException | None:
        with MeetMindClient(url, api_key="mm_x") as mm, pytest.raises(TransportError) as error:
            mm.get_session("ses_1")
        return error.value.__cause__

    assert isinstance(await asyncio.to_thread(sync), httpx.ConnectError)


async def test_no_answer_in_time_is_a_timeout() -> None:
    async with (
        serve_app(odd_server, lifespan="off") as url,
        AsyncMeetMindClient(url, api_key="mm_x", timeout=0.2) as client,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await client.get_session("slow")
    assert isinstance(caught.value, TransportError)
    assert isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_answers_that_are_not_the_apis() -> None:
    async with (
        serve_app(odd_server, lifespan="off") as url,
        AsyncMeetMindClient(url, api_key="mm_x") as client,
    ):
        with pytest.raises(DecodingError, match="expected JSON, got text/html"):
            await client.get_session("html")
        with pytest.raises(DecodingError, match="session.platform: missing"):
            await client.get_session("partial")
        with pytest.raises(DecodingError, match="not valid JSON"):
            await client.get_session("broken")
        with pytest.raises(ApiError) as proxy:
            await client.get_session("proxy")
        with pytest.raises(DecodingError, match="text/event-stream"):
            await anext(aiter(client.events("html")))
    assert type(proxy.value) is ApiError
    assert (proxy.value.status, proxy.value.code) == (502, "http_502")
    assert "502 Bad Gateway" in proxy.value.message


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "unauthorized", AuthenticationError),
        (404, "not_found", NotFoundError),
        (409, "conflict", ConflictError),
        (409, "illegal_transition", ConflictError),
        (409, "zoom_not_connected", ConflictError),
        (409, "zoom_reauthorization_required", ConflictError),
        (409, "zoom_meeting_not_live", ConflictError),
        (422, "invalid_input", InvalidInputError),
        (422, "zoom_request_rejected", ZoomError),
        (403, "rtms_not_allowed", ZoomError),
        (424, "rtms_unavailable", ZoomError),
        (429, "zoom_rate_limited", ZoomError),
        (502, "zoom_unavailable", ZoomError),
        (503, "zoom_unavailable", ZoomError),
        (504, "zoom_unavailable", ZoomError),
        (502, "zoom_error", ZoomError),
        (400, "invalid_oauth_state", ApiError),
        (429, "rate_limited", ApiError),
        (500, "internal_error", ApiError),
        (503, "not_ready", ApiError),
    ],
)
def test_every_api_code_maps_to_its_class(status: int, code: str, cls: type[ApiError]) -> None:
    assert error_class(status, code) is cls
    body = {"error": {"code": code, "message": "m", "details": {"zoom_code": 2308}}}
    error = api_error(status, json.dumps(body).encode())
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, "m")
    assert str(error) == f"{status} {code}: m"


async def test_an_injected_transport_carries_every_request() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"error": {"code": "zoom_unavailable", "message": "Zoom timed out", "details": {}}}
        body["error"]["details"] = {"zoom_status": 504, "cause": "timeout"}
        return httpx.Response(504, json=body)

    transport = httpx.MockTransport(answer)
    async with AsyncMeetMindClient("http://mm.test/", api_key="mm_k", transport=transport) as mm:
        with pytest.raises(ZoomError) as caught:
            await mm.start_rtms("ses_1", participant_user_id="u1")
    assert caught.value.zoom_status == 504
    assert caught.value.zoom_code is None
    (request,) = seen
    assert str(request.url) == "http://mm.test/api/v1/sdk/sessions/ses_1/rtms/start"
    assert request.headers["authorization"] == "Bearer mm_k"
    assert request.headers["user-agent"].startswith("meetmind-client/")
    assert json.loads(request.content) == {"participant_user_id": "u1"}

    with (
        MeetMindClient("http://mm.test", api_key="mm_k", transport=transport) as sync,
        pytest.raises(ZoomError),
    ):
        sync.stop_rtms("ses/../x")
    assert seen[-1].url.raw_path == b"/api/v1/sdk/sessions/ses%2F..%2Fx/rtms/stop"
    assert seen[-1].content == b"{}"


def test_the_public_surface_is_complete_and_sorted() -> None:
    exported = client_module.__all__
    assert exported == sorted(exported)
    public = {
        name
        for name, value in vars(client_module).items()
        if not name.startswith("_") and getattr(value, "__module__", "") == "meetmind.client"
    }
    assert public == set(exported)
    for name in exported:
        value = getattr(client_module, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, MeetMindClientError), name
