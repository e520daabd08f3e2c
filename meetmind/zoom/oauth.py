"""Zoom OAuth: PKCE, the authorize URL, code exchange, refresh and revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from meetmind.domain.errors import (
    ZoomError,
    ZoomReauthorizationRequiredError,
    ZoomRequestRejectedError,
    ZoomUnavailableError,
)
from meetmind.zoom.http import map_transport_errors, zoom_error_body

__all__ = ["TokenSet", "ZoomOAuthClient", "authorize_url", "pkce_pair"]

# Zoom's OAuth error codes and names that mean "this grant is dead: authorize again".
_DEAD_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_token"})
_DEAD_GRANT_CODES = frozenset({4733, 4734, 4735, 4737, 4740, 4741})


@dataclass(frozen=True)
class TokenSet:
    """Tokens Zoom issued. ``expires_at`` None means the expiry is unknown (treat as expired)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...]
    api_url: str | None


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` pair for method S256."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(
    oauth_base_url: str, *, client_id: str, redirect_uri: str, state: str, code_challenge: str
) -> str:
    """The URL that sends a user to Zoom to install the app."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{oauth_base_url}/oauth/authorize?{query}"


class ZoomOAuthClient:
    """Talks to Zoom's token endpoints with the app's client credentials."""

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, client_id: str, client_secret: str
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(client_id, client_secret)

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, now: datetime
    ) -> TokenSet:
        """Trade an authorization code for tokens."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            now,
            "the authorization-code exchange",
        )

    async def refresh(self, refresh_token: str, *, now: datetime) -> TokenSet:
        """Trade a refresh token for new tokens (Zoom rotates the refresh token)."""
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            now,
            "a token refresh",
        )

    async def revoke(self, token: str) -> None:
        """Revoke a token (and with it its grant) at Zoom."""
        with map_transport_errors("token revocation"):
            response = await self._http.post(
                f"{self._base_url}/oauth/revoke", data={"token": token}, auth=self._auth
            )
        if response.status_code >= 400:
            body = zoom_error_body(response)
            raise ZoomError(
                f"Zoom refused to revoke the token: {body.get('reason') or response.status_code}",
                zoom_status=response.status_code,
            )

    async def _token_request(self, form: dict[str, str], now: datetime, what: str) -> TokenSet:
        with map_transport_errors(what):
            response = await self._http.post(
                f"{self._base_url}/oauth/token", data=form, auth=self._auth
            )
        body = zoom_error_body(response)
        if response.status_code >= 500:
            raise ZoomUnavailableError(
                f"Zoom failed {what} (HTTP {response.status_code})",
                zoom_status=response.status_code,
            )
        if response.status_code >= 400:
            error = str(body.get("error", ""))
            reason = str(body.get("reason") or body.get("message") or error or "rejected")
            code = body.get("code") if isinstance(body.get("code"), int) else None
            if error in _DEAD_GRANT_ERRORS or code in _DEAD_GRANT_CODES:
                raise ZoomReauthorizationRequiredError(
                    f"Zoom rejected {what}: {reason}; install the Zoom app again",
                    zoom_status=response.status_code,
                    zoom_code=code,
                    details={"error": error},
                )
            raise ZoomRequestRejectedError(
                f"Zoom rejected {what}: {reason}",
                zoom_status=response.status_code,
                zoom_code=code,
                details={"error": error},
            )
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ZoomUnavailableError(f"Zoom's answer to {what} has no access_token")
        expires_in = body.get("expires_in")
        expires_at = (
            now + timedelta(seconds=expires_in)
            if isinstance(expires_in, int | float) and expires_in > 0
            else None
        )
        refresh = body.get("refresh_token")
        scope = body.get("scope")
        api_url = body.get("api_url")
        return TokenSet(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=expires_at,
            scopes=tuple(scope.split()) if isinstance(scope, str) else (),
            api_url=api_url if isinstance(api_url, str) and api_url else None,
        )
