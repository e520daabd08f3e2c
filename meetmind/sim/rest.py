"""Zoom's REST API subset: RTMS app status, users/me, meetings; with injectable faults."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from meetmind.sim.context import SimContext
from meetmind.sim.meeting import Meeting, MeetingStatus
from meetmind.sim.oauth import OAuthServer, SimUser
from meetmind.sim.stream_ops import RtmsActionError, rtms_action

__all__ = ["RestFault", "RestFaults", "rest_router"]

_ACTIONS = ("start", "stop", "pause", "resume")


@dataclass(slots=True)
class RestFault:
    """An injected REST failure for the next ``count`` requests.

    Attributes:
        status: HTTP status to answer (429, 500, 503...); 0 means "only delay".
        count: How many requests it affects.
        retry_after: ``Retry-After`` seconds for 429 answers.
        delay_s: Simulated seconds to wait before answering (a slow API).
    """

    status: int = 429
    count: int = 1
    retry_after: int = 1
    delay_s: float = 0.0


class RestFaults:
    """Queue of injected REST faults, consumed in order."""

    def __init__(self) -> None:
        self.queue: list[RestFault] = []

    def add(self, fault: RestFault) -> None:
        """Inject a fault."""
        self.queue.append(fault)

    def take(self) -> RestFault | None:
        """The fault for the current request, if any."""
        if not self.queue:
            return None
        fault = self.queue[0]
        fault.count -= 1
        if fault.count <= 0:
            self.queue.pop(0)
        return fault


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def rest_router(ctx: SimContext, oauth: OAuthServer, faults: RestFaults) -> APIRouter:
    """Routes under ``/v2``."""
    router = APIRouter(prefix="/v2", tags=["zoom-rest"])

    async def guard(request: Request) -> tuple[SimUser | None, Response | None]:
        fault = faults.take()
        ctx.recorder.add(
            "rest",
            "received",
            f"{request.method} {request.url.path}",
            fault=None if fault is None else fault.status,
        )
        if fault is not None:
            if fault.delay_s:
                await ctx.clock.sleep(fault.delay_s)
            if fault.status == 429:
                return None, _error(
                    429,
                    429,
                    "You have exceeded the daily rate limit of (1) requests for the "
                    "/v2/live_meetings/rtms_app/status API. Try again later.",
                    {"Retry-After": str(fault.retry_after)},
                )
            if fault.status >= 400:
                return None, _error(fault.status, fault.status, "Internal server error.")
        user = oauth.bearer_user(request.headers.get("authorization"))
        if user is None:
            return None, _error(401, 124, "Invalid access token.")
        return user, None

    def find_live(meeting_id: str) -> Meeting | None:
        meeting = ctx.find_meeting(meeting_id)
        if meeting is None or meeting.status != MeetingStatus.STARTED:
            return None
        return meeting

    @router.patch("/live_meetings/{meeting_id}/rtms_app/status")
    async def rtms_app_status(meeting_id: str, request: Request) -> Response:
        user, failure = await guard(request)
        if failure is not None or user is None:
            return failure or _error(401, 124, "Invalid access token.")
        try:
            body: Any = json.loads(await request.body() or b"null")
        except ValueError:
            return _error(400, 300, "Invalid request body.")
        if not isinstance(body, dict) or body.get("action") not in _ACTIONS:
            return _error(
                400, 300, "Invalid field: action. Must be one of start, stop, pause, resume."
            )
        settings = body.get("settings")
        if not isinstance(settings, dict) or not isinstance(settings.get("client_id"), str):
            return _error(400, 300, "Invalid field: settings.client_id.")
        meeting = find_live(meeting_id)
        if meeting is None:
            return _error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        if settings["client_id"] != ctx.client_id:
            return _error(400, 2310, "Failed to perform RTMS app operation.")
        participant = settings.get("participant_user_id")
        if meeting.host_user_id != user.id or (
            participant is not None and participant not in (user.id, meeting.host_user_id)
        ):
            return _error(400, 2308, "Not allowed to start RTMS app.")
        try:
            await rtms_action(ctx, meeting, body["action"], operator_id=user.id)
        except RtmsActionError as exc:
            return _error(400, 2310, f"Failed to perform RTMS app operation. {exc.message}")
        return Response(status_code=204)

    @router.get("/users/me")
    async def users_me(request: Request) -> Response:
        user, failure = await guard(request)
        if failure is not None or user is None:
            return failure or _error(401, 124, "Invalid access token.")
        return JSONResponse(user.to_json())

    @router.get("/meetings/{meeting_id}")
    async def get_meeting(meeting_id: str, request: Request) -> Response:
        user, failure = await guard(request)
        if failure is not None or user is None:
            return failure or _error(401, 124, "Invalid access token.")
        meeting = ctx.find_meeting(meeting_id)
        if meeting is None:
            return _error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        status = {"created": "waiting", "started": "started", "ended": "finished"}[
            meeting.status.value
        ]
        return JSONResponse(
            {
                "id": meeting.id,
                "uuid": meeting.uuid,
                "host_id": meeting.host_user_id,
                "topic": meeting.script.title,
                "type": 2,
                "status": status,
            }
        )

    return router
