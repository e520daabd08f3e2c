"""Sessions and their transcripts, for applications (``/api/v1/sdk``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from meetmind.api.deps import ObjectId, TenantDep
from meetmind.api.schemas import (
    ErrorBody,
    ListResponse,
    NulFreeStr,
    SessionCreate,
    SessionOut,
    TranscriptTurnOut,
)
from meetmind.sdk import MAX_PAGE_SIZE
from meetmind.zoom.control import RtmsAction

_errors: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 409, 422)
}
_zoom_errors: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (403, 424, 429, 502, 504)
}
router = APIRouter(prefix="/api/v1/sdk/sessions", tags=["sessions"], responses=_errors)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@router.post("", status_code=201)
async def create_session(body: SessionCreate, tenant: TenantDep) -> SessionOut:
    """Create a session for a meeting."""
    session = await tenant.create_session(
        platform=body.platform,
        meeting_id=body.meeting_id,
        meeting_url=body.meeting_url,
        agent_name=body.agent_name,
        wake_words=body.wake_words,
        record_audio=body.record_audio,
    )
    return SessionOut.of(session)


@router.get("")
async def list_sessions(
    tenant: TenantDep,
    status: Annotated[str | None, Query(max_length=32)] = None,
    platform: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Limit = 50,
) -> ListResponse[SessionOut]:
    """The tenant's sessions, newest first."""
    page = await tenant.list_sessions(status=status, platform=platform, cursor=cursor, limit=limit)
    return ListResponse(
        data=[SessionOut.of(s) for s in page.items],
        next_cursor=page.next_cursor,
        position=page.position,
    )


@router.get("/{session_id}")
async def get_session(session_id: ObjectId, tenant: TenantDep) -> SessionOut:
    """One session."""
    return SessionOut.of(await tenant.get_session(session_id))


@router.post("/{session_id}/end")
async def end_session(session_id: ObjectId, tenant: TenantDep) -> SessionOut:
    """End a session (409 if it has ended already)."""
    return SessionOut.of(await tenant.end_session(session_id))


@router.delete("/{session_id}", status_code=204)
async def delete_session(session_id: ObjectId, tenant: TenantDep) -> Response:
    """Delete a session and everything recorded for it."""
    await tenant.delete_session(session_id)
    return Response(status_code=204)


@router.get("/{session_id}/transcript")
async def get_transcript(
    session_id: ObjectId,
    tenant: TenantDep,
    after: Annotated[str | None, Query(max_length=512)] = None,
    limit: Limit = 100,
) -> ListResponse[TranscriptTurnOut]:
    """The transcript in speaking order, a page at a time."""
    page = await tenant.transcript(session_id, after=after, limit=limit)
    return ListResponse(
        data=[TranscriptTurnOut.of(t) for t in page.items],
        next_cursor=page.next_cursor,
        position=page.position,
    )


class RtmsControlIn(BaseModel):
    """Optional settings of an RTMS action."""

    participant_user_id: NulFreeStr | None = Field(
        None, max_length=64, description="Whose app instance to act on (default: the host)."
    )


class ZoomResultOut(BaseModel):
    """What Zoom answered."""

    action: str
    status_code: int
    attempts: int
    tracking_id: str | None


class RtmsControlOut(BaseModel):
    """The session after the request, and Zoom's answer."""

    session: SessionOut
    zoom: ZoomResultOut


@router.post("/{session_id}/rtms/{action}", responses=_zoom_errors)
async def control_rtms(
    session_id: ObjectId,
    action: RtmsAction,
    tenant: TenantDep,
    body: Annotated[RtmsControlIn | None, Body()] = None,
) -> RtmsControlOut:
    """Start, stop, pause or resume RTMS in the session's live meeting through Zoom's API."""
    session, result = await tenant.control_rtms(
        session_id, action, participant_user_id=body.participant_user_id if body else None
    )
    return RtmsControlOut(
        session=SessionOut.of(session),
        zoom=ZoomResultOut(
            action=result.action.value,
            status_code=result.status_code,
            attempts=result.attempts,
            tracking_id=result.tracking_id,
        ),
    )


class SpeakIn(BaseModel):
    """What the agent should say."""

    text: NulFreeStr = Field(min_length=1, max_length=4000)
    mode: Literal["chat", "speech", "both"] | None = Field(
        None, description="How the reply enters the meeting (default: MEETMIND_AGENT_REPLY_MODE)."
    )


class SpeakOut(BaseModel):
    """What the bridge did."""

    text: str
    delivered: bool
    bridge: str | None
    channels: list[str]
    detail: str | None
    event_id: int | None
    turn_id: int | None


@router.post("/{session_id}/speak")
async def speak(session_id: ObjectId, body: SpeakIn, tenant: TenantDep) -> SpeakOut:
    """Say something in the meeting through the session's reply bridge (chat and/or speech)."""
    outcome = await tenant.speak(session_id, body.text, mode=body.mode)
    delivery = outcome.delivery
    return SpeakOut(
        text=outcome.text,
        delivered=bool(delivery and delivery.delivered),
        bridge=delivery.bridge if delivery else None,
        channels=list(delivery.channels) if delivery else [],
        detail=delivery.detail if delivery else None,
        event_id=outcome.event_id,
        turn_id=outcome.turn_id,
    )
