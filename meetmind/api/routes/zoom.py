"""The Zoom connection: install link and OAuth callback, installation, and Zoom's webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from meetmind.api.deps import MeetMindDep, TenantDep
from meetmind.api.schemas import ErrorBody
from meetmind.domain.errors import NotFoundError
from meetmind.zoom.connection import Installation
from meetmind.zoom.events import MAX_WEBHOOK_BODY, InvalidWebhookBodyError

router = APIRouter(prefix="/api/v1/zoom", tags=["zoom"])
_errors: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (400, 401, 409, 502)
}


class AuthorizeUrlOut(BaseModel):
    """Where to send the Zoom user to install the app."""

    authorize_url: str
    expires_at: datetime


class InstallationOut(BaseModel):
    """A Zoom installation; tokens are never shown."""

    token_stored: bool = True
    zoom_user_id: str | None
    zoom_account_id: str | None
    scopes: list[str]
    status: str
    access_expires_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, installation: Installation) -> InstallationOut:
        """From the SDK's record."""
        return cls(
            zoom_user_id=installation.zoom_user_id,
            zoom_account_id=installation.zoom_account_id,
            scopes=list(installation.scopes),
            status=installation.status,
            access_expires_at=installation.access_expires_at,
            updated_at=installation.updated_at,
        )


class DisconnectOut(BaseModel):
    """What disconnecting did."""

    deleted: bool
    revoked_at_zoom: bool


@router.get("/oauth/authorize-url", responses=_errors)
async def authorize_url(tenant: TenantDep) -> AuthorizeUrlOut:
    """A fresh install link (single-use `state`, valid 10 minutes, PKCE S256)."""
    link = await tenant.zoom_authorize_link()
    return AuthorizeUrlOut(authorize_url=link.url, expires_at=link.expires_at)


@router.get("/oauth/callback", responses=_errors)
async def oauth_callback(
    meetmind: MeetMindDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
) -> InstallationOut:
    """Zoom redirects here after the install; the state is checked before Zoom is called."""
    installation = await meetmind.complete_zoom_install(code=code, state=state)
    return InstallationOut.of(installation)


@router.get("/installation", responses=_errors)
async def get_installation(tenant: TenantDep) -> InstallationOut:
    """This tenant's Zoom installation."""
    installation = await tenant.zoom_installation()
    if installation is None:
        raise NotFoundError("this tenant has not connected Zoom")
    return InstallationOut.of(installation)


@router.delete("/installation", responses=_errors)
async def delete_installation(tenant: TenantDep) -> DisconnectOut:
    """Revoke the tokens at Zoom and delete them here."""
    revoked = await tenant.zoom_disconnect()
    return DisconnectOut(deleted=True, revoked_at_zoom=revoked)


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY:
        raise InvalidWebhookBodyError(
            f"webhook body is larger than {MAX_WEBHOOK_BODY} bytes", details={"reason": "too_large"}
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BODY:
            raise InvalidWebhookBodyError(
                f"webhook body is larger than {MAX_WEBHOOK_BODY} bytes",
                details={"reason": "too_large"},
            )
    return bytes(body)


@router.post("/rtms/webhook", responses=_errors)
async def zoom_webhook(request: Request, meetmind: MeetMindDep) -> dict[str, str]:
    """Zoom's event notification endpoint (URL validation, RTMS events, deauthorization)."""
    raw_body = await _read_limited(request)
    return await meetmind.receive_zoom_webhook(request.headers, raw_body)
