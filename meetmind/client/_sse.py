"""Server-Sent Events without I/O: a decoder (bytes in, messages out) and the reconnect policy.

The decoder follows the WHATWG "event stream interpretation" rules: lines end with CRLF, LF or
CR (also when a chunk boundary splits a CRLF), a leading BOM is dropped, ``:`` lines are comments
(keep-alives), ``data`` lines join with ``\\n``, an ``id`` containing NUL is ignored, ``retry``
takes digits only, and a message is dispatched at a blank line only if it has data. Whatever is
buffered when the connection drops is discarded: a half-received message is never delivered.

The policy is pure code too (no sleeping here): :meth:`ReconnectPolicy.delays` yields jittered,
growing delays and :meth:`ReconnectPolicy.classify` tells a retryable failure from a fatal one.
"""

from __future__ import annotations

import codecs
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from meetmind.client._errors import (
    ApiError,
    DecodingError,
    MeetMindClientError,
    TransportError,
)

__all__ = ["ReconnectPolicy", "SSEDecoder", "ServerSentEvent"]

_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched message of an event stream.

    Attributes:
        event: The ``event`` field (``"message"`` when absent).
        data: The ``data`` lines joined with ``\\n``.
        id: The stream's last event id when this message was dispatched (``""`` if none yet).
        retry: A ``retry`` value (ms) the message carried, if any.
    """

    event: str
    data: str
    id: str
    retry: int | None = None


class SSEDecoder:
    """Turns the bytes of one ``text/event-stream`` response into :class:`ServerSentEvent` s."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._started = False
        self._skip_lf = False
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self.last_event_id = ""
        """The last ``id`` field seen; per the standard it carries over to later messages."""
        self.retry: int | None = None
        """The latest reconnection time the server asked for, in ms."""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Add bytes; returns the messages they complete (possibly none)."""
        text = self._text.decode(chunk)
        if self._skip_lf and text:
            # The last chunk ended with a CR: an LF right after it belongs to that line end.
            text = text.removeprefix("\n")
            self._skip_lf = False
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        text = self._pending + text
        lines: list[str] = []
        start = 0
        for end in _EOL.finditer(text):
            lines.append(text[start : end.start()])
            start = end.end()
            self._skip_lf = start == len(text) and end.group() == "\r"
        self._pending = text[start:]
        messages: list[ServerSentEvent] = []
        for line in lines:
            message = self._line(line)
            if message is not None:
                messages.append(message)
        return messages

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = self.retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], "", None
        if not data:
            return None
        return ServerSentEvent(
            event=event or "message", data="\n".join(data), id=self.last_event_id, retry=retry
        )


def _retryable(exc: MeetMindClientError) -> bool:
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, ApiError):
        return exc.status in (408, 429) or exc.status >= 500
    return False


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How a live event stream reconnects.

    Attributes:
        initial_delay: Seconds before the first reconnection attempt.
        max_delay: Cap on the delay between attempts.
        factor: Growth of the delay after each failed attempt in a row.
        jitter: Each delay is drawn from ``[delay * (1 - jitter), delay]``.
        max_retries: Reconnections in a row that may fail before giving up (None: never).
        idle_timeout: Seconds of silence (no event, no keep-alive) that mean the connection is dead.
        connect_timeout: Seconds to connect and get the response headers.
        retryable: Decides whether a failure is worth another attempt (default: transport
            errors, 408, 429 and 5xx answers); any other error ends the stream.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    factor: float = 2.0
    jitter: float = 0.3
    max_retries: int | None = None
    idle_timeout: float = 60.0
    connect_timeout: float = 10.0
    retryable: Callable[[MeetMindClientError], bool] = field(default=_retryable)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delays(self) -> Iterator[float]:
        """Delays for failed attempts in a row; stops after ``max_retries``."""
        delay = self.initial_delay
        attempt = 0
        while self.max_retries is None or attempt < self.max_retries:
            attempt += 1
            yield delay * (1 - self.jitter * self.rng.random())
            delay = min(delay * self.factor, self.max_delay)

    def classify(self, exc: MeetMindClientError) -> MeetMindClientError | None:
        """None if another attempt should follow ``exc``, else the error to raise."""
        return None if self.retryable(exc) else exc


def event_id(message: ServerSentEvent) -> int:
    """The integer id of a message (raises :class:`DecodingError` if it has none)."""
    try:
        return int(message.id)
    except ValueError:
        raise DecodingError(f"event stream message without an integer id: {message.id!r}") from None
