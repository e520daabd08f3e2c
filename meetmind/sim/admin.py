"""The simulator's admin HTTP API (``/sim/...``): drive meetings from any language.

Every route is documented in ``docs/simulator.md``; FastAPI also serves ``/docs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from meetmind.domain.errors import NotFoundError
from meetmind.sim.faults import parse_fault
from meetmind.sim.rest import RestFault
from meetmind.sim.scripts import shipped_scripts

if TYPE_CHECKING:
    from meetmind.sim.simulator import Simulator

__all__ = ["admin_router"]


class CreateMeeting(BaseModel):
    """Body of ``POST /sim/meetings``."""

    script: str | dict[str, Any] = Field(
        "standup", description="A shipped script name, a file path, or an inline script object."
    )
    meeting_id: int | None = None
    start: bool = True
    host_user_id: str | None = Field(None, description="Default: the simulated OAuth user.")
    wait_for_rtms: bool = Field(
        False, description="Live at once, but the script starts only when RTMS starts."
    )


class RegisterWebhook(BaseModel):
    """Body of ``POST /sim/webhooks``."""

    url: str


class StartRtms(BaseModel):
    """Body of ``POST /sim/meetings/{id}/rtms/start``."""

    webhook_url: str | None = None


class InjectRestFault(BaseModel):
    """Body of ``POST /sim/faults/rest``."""

    status: int = 429
    count: int = 1
    retry_after: int = 1
    delay_s: float = 0.0


class AgentPost(BaseModel):
    """Body of the agent chat/utterance routes."""

    text: str = Field(min_length=1)
    user_name: str = "MeetMind"
    duration: float | None = None


class Advance(BaseModel):
    """Body of ``POST /sim/clock/advance``."""

    seconds: float = Field(ge=0)


def admin_router(sim: Simulator) -> APIRouter:
    """Routes under ``/sim``."""
    router = APIRouter(prefix="/sim", tags=["simulator-admin"])

    def meeting_or_404(meeting_id: str) -> Any:
        meeting = sim.ctx.find_meeting(meeting_id)
        if meeting is None:
            raise NotFoundError(f"no meeting {meeting_id}")
        return meeting

    @router.get("/info")
    async def info() -> dict[str, Any]:
        return sim.info()

    @router.get("/scripts")
    async def scripts() -> dict[str, Any]:
        return {"scripts": shipped_scripts()}

    @router.get("/meetings")
    async def meetings() -> dict[str, Any]:
        return {"meetings": [m.to_json() for m in sim.ctx.meetings.values()]}

    @router.post("/meetings", status_code=201)
    async def create_meeting(body: CreateMeeting) -> dict[str, Any]:
        meeting = sim.create_meeting(
            body.script,
            start=body.start,
            meeting_id=body.meeting_id,
            host_user_id=body.host_user_id,
            wait_for_rtms=body.wait_for_rtms,
        )
        return meeting.to_json()

    @router.get("/meetings/{meeting_id}")
    async def get_meeting(meeting_id: str) -> dict[str, Any]:
        return dict(meeting_or_404(meeting_id).to_json())

    @router.post("/meetings/{meeting_id}/start")
    async def start_meeting(meeting_id: str) -> dict[str, Any]:
        meeting = meeting_or_404(meeting_id)
        meeting.start()
        return dict(meeting.to_json())

    @router.post("/meetings/{meeting_id}/end")
    async def end_meeting(meeting_id: str) -> dict[str, Any]:
        meeting = meeting_or_404(meeting_id)
        await meeting.end()
        return dict(meeting.to_json())

    @router.post("/webhooks")
    async def register_webhook(body: RegisterWebhook) -> dict[str, Any]:
        validated = await sim.register_webhook(body.url)
        return {"url": body.url, "validated": validated}

    @router.post("/meetings/{meeting_id}/rtms/start", status_code=201)
    async def start_rtms(meeting_id: str, body: StartRtms | None = None) -> dict[str, Any]:
        stream = sim.start_rtms(
            meeting_or_404(meeting_id), webhook_url=body.webhook_url if body else None
        )
        return stream.to_json()

    @router.post("/meetings/{meeting_id}/rtms/{action}")
    async def rtms_action(
        meeting_id: str, action: Literal["stop", "pause", "resume"]
    ) -> dict[str, Any]:
        stream = await sim.rtms_action(meeting_or_404(meeting_id), action)
        return stream.to_json()

    @router.post("/meetings/{meeting_id}/faults")
    async def inject_fault(meeting_id: str, body: dict[str, Any]) -> dict[str, Any]:
        fault = parse_fault(body)
        await sim.inject_fault(meeting_or_404(meeting_id), fault)
        return {"fault": fault.to_json()}

    @router.post("/faults/rest")
    async def inject_rest_fault(body: InjectRestFault) -> dict[str, Any]:
        sim.rest_faults.add(RestFault(body.status, body.count, body.retry_after, body.delay_s))
        return {"queued": len(sim.rest_faults.queue)}

    @router.post("/meetings/{meeting_id}/chat")
    async def agent_chat(meeting_id: str, body: AgentPost) -> dict[str, Any]:
        msg = meeting_or_404(meeting_id).agent_chat(body.text, body.user_name)
        return {"posted": msg.to_wire()}

    @router.post("/meetings/{meeting_id}/utterances")
    async def agent_say(meeting_id: str, body: AgentPost) -> dict[str, Any]:
        msg = meeting_or_404(meeting_id).agent_say(body.text, body.user_name, body.duration)
        return {"posted": msg.to_wire()}

    @router.get("/meetings/{meeting_id}/agent")
    async def agent_posts(meeting_id: str) -> dict[str, Any]:
        return {"posts": meeting_or_404(meeting_id).agent_posts}

    @router.get("/streams/{stream_id}")
    async def get_stream(stream_id: str) -> dict[str, Any]:
        stream = sim.ctx.streams.get(stream_id)
        if stream is None:
            raise NotFoundError(f"no stream {stream_id}")
        return stream.to_json()

    @router.get("/record")
    async def record(
        channel: str | None = None,
        direction: str | None = None,
        kind: str | None = None,
        meeting_id: int | None = None,
        stream_id: str | None = None,
        since: int = 0,
        limit: int = 1000,
    ) -> dict[str, Any]:
        entries = sim.record.entries(
            channel=channel,
            direction=direction,
            kind=kind,
            meeting_id=meeting_id,
            stream_id=stream_id,
            since=since,
        )[:limit]
        return {"entries": [e.to_json() for e in entries], "last_seq": sim.record.last_seq}

    @router.post("/oauth/tokens")
    async def tokens() -> dict[str, Any]:
        return sim.oauth.issue_tokens()

    @router.post("/clock/advance")
    async def advance(body: Advance) -> dict[str, Any]:
        sim.clock.advance(body.seconds)
        return {"monotonic": sim.clock.monotonic(), "now": sim.clock.now().isoformat()}

    return router


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The admin API's error body."""
    return JSONResponse({"error": code, "message": message}, status_code=status)
