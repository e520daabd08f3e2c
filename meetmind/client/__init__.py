"""An HTTP client for the MeetMind REST API, sync and async, over httpx.

Example::

    from meetmind.client import MeetMindClient

    with MeetMindClient("http://127.0.0.1:8000", api_key="mm_...") as client:
        session = client.create_session("81234567890")
        for turn in client.iter_transcript(session.id):
            print(turn.speaker_name, turn.text)

It imports nothing of the server: records, errors and the event-stream decoder are its own.
"""

from meetmind.client._async import AsyncEventStream, AsyncMeetMindClient
from meetmind.client._errors import (
    ApiError,
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    DecodingError,
    InvalidInputError,
    MeetMindClientError,
    NotFoundError,
    RequestTimeoutError,
    TransportError,
    ZoomError,
)
from meetmind.client._models import (
    AuthorizeLink,
    Disconnection,
    Event,
    Installation,
    Page,
    RtmsControlResult,
    Session,
    TranscriptTurn,
    ZoomResult,
)
from meetmind.client._sse import ReconnectPolicy, ServerSentEvent, SSEDecoder
from meetmind.client._sync import EventStream, MeetMindClient

__all__ = [
    "ApiError",
    "AsyncEventStream",
    "AsyncMeetMindClient",
    "AuthenticationError",
    "AuthorizeLink",
    "ClientClosedError",
    "ConflictError",
    "DecodingError",
    "Disconnection",
    "Event",
    "EventStream",
    "Installation",
    "InvalidInputError",
    "MeetMindClient",
    "MeetMindClientError",
    "NotFoundError",
    "Page",
    "ReconnectPolicy",
    "RequestTimeoutError",
    "RtmsControlResult",
    "SSEDecoder",
    "ServerSentEvent",
    "Session",
    "TranscriptTurn",
    "TransportError",
    "ZoomError",
    "ZoomResult",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("meetmind.client."):
        _obj.__module__ = "meetmind.client"
del _name, _obj
