"""Dependency wiring: the SDK from the app's state, and the caller's tenant from its API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from meetmind.domain.errors import AuthenticationError
from meetmind.sdk import MeetMind, TenantScope

__all__ = [
    "OBJECT_ID_PATTERN",
    "MeetMindDep",
    "ObjectId",
    "TenantDep",
    "get_meetmind",
    "get_tenant",
]

OBJECT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
"""What an id in a path looks like (``ses_0193...``). Anything else cannot name an object, and
is refused before it reaches the database (PostgreSQL rejects NUL characters with an error)."""

ObjectId = Annotated[str, Path(pattern=OBJECT_ID_PATTERN, max_length=128)]
"""A path parameter naming a stored object."""

_bearer = HTTPBearer(auto_error=False, description="A MeetMind API key (`meetmind keys create`).")


def get_meetmind(request: Request) -> MeetMind:
    """The SDK instance the application's lifespan opened."""
    meetmind: MeetMind = request.app.state.meetmind
    return meetmind


MeetMindDep = Annotated[MeetMind, Depends(get_meetmind)]


async def get_tenant(
    meetmind: MeetMindDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TenantScope:
    """The tenant whose API key authorises this request."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing API key: send `Authorization: Bearer <key>`")
    return await meetmind.authenticate(credentials.credentials)


TenantDep = Annotated[TenantScope, Depends(get_tenant)]
