"""The API's requests and answers without I/O, shared by the sync and the async client.

Each endpoint is a function returning a :class:`Call`: what to send and how to read the answer.
The clients only move it over httpx and hand the response to :func:`handle`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx

from meetmind.client._errors import DecodingError, api_error
from meetmind.client._models import (
    AuthorizeLink,
    Disconnection,
    Installation,
    Page,
    RtmsControlResult,
    Session,
    TranscriptTurn,
)

__all__ = [
    "DEFAULT",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "Call",
    "ClientConfig",
    "TimeoutArg",
    "handle",
]

T = TypeVar("T")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
"""Where ``meetmind serve`` listens by default."""
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""Per-request timeout when none is given."""
BASE_URL_ENV = "MEETMIND_URL"
API_KEY_ENV = "MEETMIND_API_KEY"
SESSIONS = "/api/v1/sdk/sessions"
ZOOM = "/api/v1/zoom"


def _version() -> str:
    try:
        return version("meetmind")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


USER_AGENT = f"meetmind-client/{_version()} httpx/{httpx.__version__}"


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API request and the parser of its successful answer (``None`` body for 204)."""

    method: str
    path: str
    parse: Callable[[object], T]
    params: Mapping[str, str | int] | None = None
    body: object = None
    """The JSON body (None: no body)."""


class _Default(Enum):
    UNSET = "unset"


DEFAULT: Final = _Default.UNSET
"""Marks an argument that was not given (None means something: no timeout)."""
TimeoutArg = float | httpx.Timeout | None | Literal[_Default.UNSET]
"""Seconds, an :class:`httpx.Timeout`, or None for no timeout."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What both clients derive from their arguments."""

    base_url: str
    headers: dict[str, str]
    timeout: httpx.Timeout
    """The timeout of a client made here."""
    override: httpx.Timeout | None
    """A timeout to set on each request (when the caller's own httpx client is used)."""

    @classmethod
    def of(
        cls,
        base_url: str | None,
        api_key: str | None,
        timeout: TimeoutArg,
        http_client: httpx.Client | httpx.AsyncClient | None,
    ) -> ClientConfig:
        """Arguments first, then ``MEETMIND_URL``/``MEETMIND_API_KEY``, then the defaults."""
        http_base = str(http_client.base_url) if http_client and http_client.base_url else None
        url = base_url or http_base or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        chosen = DEFAULT_TIMEOUT if timeout is DEFAULT else httpx.Timeout(timeout)
        override = None if timeout is DEFAULT or http_client is None else chosen
        return cls(url.rstrip("/"), headers, chosen, override)

    def request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """An httpx request to ``path`` with the key, the headers and the right timeout."""
        request = http.build_request(
            method,
            self.base_url + path,
            params=dict(params or {}),
            json=body,
            headers={**self.headers, **(headers or {})},
        )
        chosen = timeout or self.override
        if chosen is not None:
            request.extensions["timeout"] = chosen.as_dict()
        return request

    def call(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        """The request of ``call``."""
        return self.request(http, call.method, call.path, params=call.params, body=call.body)


def handle(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer, or the typed error of an error answer (the body must have been read)."""
    if response.is_error:
        raise api_error(response.status_code, response.content, response.reason_phrase)
    if response.status_code == 204:
        return call.parse(None)
    return call.parse(_json(response))


def _json(response: httpx.Response) -> object:
    kind = response.headers.get("content-type", "")
    if not kind.startswith("application/json"):
        raise DecodingError(
            f"expected JSON, got {kind or 'no content type'} ({response.status_code})"
        )
    try:
        data: object = json.loads(response.content)
    except ValueError as exc:
        raise DecodingError(f"the answer is not valid JSON: {exc}") from exc
    return data


def _id(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("an id must be a non-empty string")
    return quote(value, safe="")


def _none(_: object) -> None:
    return None


def _sessions_page(data: object) -> Page[Session]:
    return Page.from_json(data, Session.from_json)


def _turns_page(data: object) -> Page[TranscriptTurn]:
    return Page.from_json(data, TranscriptTurn.from_json)


# -- sessions ----------------------------------------------------------------------------------


def create_session(
    *,
    platform: str,
    meeting_id: str,
    meeting_url: str | None,
    agent_name: str | None,
    wake_words: list[str] | None,
    record_audio: bool,
) -> Call[Session]:
    """``POST /sessions``."""
    body: dict[str, Any] = {
        "platform": platform,
        "meeting_id": meeting_id,
        "record_audio": record_audio,
    }
    optional = {"meeting_url": meeting_url, "agent_name": agent_name, "wake_words": wake_words}
    body.update({key: value for key, value in optional.items() if value is not None})
    return Call("POST", SESSIONS, Session.from_json, body=body)


def get_session(session_id: str) -> Call[Session]:
    """``GET /sessions/{id}``."""
    return Call("GET", f"{SESSIONS}/{_id(session_id)}", Session.from_json)


def list_sessions(
    *, status: str | None, platform: str | None, cursor: str | None, limit: int
) -> Call[Page[Session]]:
    """``GET /sessions``."""
    params: dict[str, str | int] = {"limit": limit}
    for key, value in (("status", status), ("platform", platform), ("cursor", cursor)):
        if value is not None:
            params[key] = value
    return Call("GET", SESSIONS, _sessions_page, params=params)


def end_session(session_id: str) -> Call[Session]:
    """``POST /sessions/{id}/end``."""
    return Call("POST", f"{SESSIONS}/{_id(session_id)}/end", Session.from_json)


def delete_session(session_id: str) -> Call[None]:
    """``DELETE /sessions/{id}``."""
    return Call("DELETE", f"{SESSIONS}/{_id(session_id)}", _none)


def transcript(session_id: str, *, after: str | None, limit: int) -> Call[Page[TranscriptTurn]]:
    """``GET /sessions/{id}/transcript``."""
    params: dict[str, str | int] = {"limit": limit}
    if after is not None:
        params["after"] = after
    return Call("GET", f"{SESSIONS}/{_id(session_id)}/transcript", _turns_page, params=params)


def control_rtms(
    session_id: str, action: str, *, participant_user_id: str | None
) -> Call[RtmsControlResult]:
    """``POST /sessions/{id}/rtms/{action}``."""
    body = {} if participant_user_id is None else {"participant_user_id": participant_user_id}
    return Call(
        "POST",
        f"{SESSIONS}/{_id(session_id)}/rtms/{_id(action)}",
        RtmsControlResult.from_json,
        body=body,
    )


# -- Zoom connection ---------------------------------------------------------------------------


def zoom_authorize_url() -> Call[AuthorizeLink]:
    """``GET /zoom/oauth/authorize-url``."""
    return Call("GET", f"{ZOOM}/oauth/authorize-url", AuthorizeLink.from_json)


def zoom_installation() -> Call[Installation]:
    """``GET /zoom/installation``."""
    return Call("GET", f"{ZOOM}/installation", Installation.from_json)


def zoom_disconnect() -> Call[Disconnection]:
    """``DELETE /zoom/installation``."""
    return Call("DELETE", f"{ZOOM}/installation", Disconnection.from_json)
