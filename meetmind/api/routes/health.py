"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from meetmind.api.deps import MeetMindDep
from meetmind.api.errors import error_body

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(meetmind: MeetMindDep) -> dict[str, str] | JSONResponse:
    """The process can serve: its database answers."""
    try:
        await meetmind.ready()
    except Exception as exc:  # any driver error means "not ready"; the reason is logged by type
        return JSONResponse(
            error_body("not_ready", "the database is unreachable", {"reason": type(exc).__name__}),
            status_code=503,
        )
    return {"status": "ready", "database": meetmind.database.dialect}
