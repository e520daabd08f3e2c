"""Zoom's OAuth server for user-managed apps: authorize (PKCE), token (code/refresh), revoke."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from meetmind.sim.context import SimContext

__all__ = ["DEFAULT_SCOPES", "OAuthError", "OAuthServer", "SimUser", "oauth_router"]

DEFAULT_SCOPES = (
    "meeting:read:meeting_audio meeting:read:meeting_transcript meeting:read:meeting_chat "
    "meeting:read:meeting_video meeting:update:participant_rtms_app_status user:read:user"
)
"""Scopes granted to the simulated app."""


@dataclass(frozen=True, slots=True)
class SimUser:
    """The simulated Zoom user who authorizes the app and hosts meetings."""

    id: str
    account_id: str
    email: str = "host@example.com"
    first_name: str = "Sim"
    last_name: str = "Host"

    def to_json(self) -> dict[str, Any]:
        """``GET /v2/users/me`` body."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": f"{self.first_name} {self.last_name}",
            "type": 2,
            "role_name": "Owner",
            "status": "active",
            "timezone": "UTC",
            "language": "en-US",
        }


class OAuthError(Exception):
    """A Zoom-shaped OAuth error: ``{"reason": ..., "error": ...}`` with an HTTP status."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason

    def response(self) -> JSONResponse:
        """The HTTP answer."""
        return JSONResponse({"reason": self.reason, "error": self.error}, status_code=self.status)


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    user: SimUser
    expires_t: float
    used: bool = False


@dataclass(slots=True)
class _Grant:
    user: SimUser
    scope: str
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (sim mono)
    refresh_token: str = ""
    revoked: bool = False


class OAuthServer:
    """Authorization codes, grants and token rotation, on the simulated clock.

    Args:
        ctx: The simulator context (credentials, clock, record, token lifetimes).
        user: The user who approves every authorization.
    """

    def __init__(self, ctx: SimContext, user: SimUser) -> None:
        self.ctx = ctx
        self.user = user
        self.api_url = ""
        self._codes: dict[str, _Code] = {}
        self._grants: list[_Grant] = []
        self._refresh: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}

    # ------------------------------------------------------------------ authorize

    def authorize(self, params: dict[str, str]) -> str:
        """Approve an authorization request at once and return the redirect location.

        Raises:
            OAuthError: Bad client, response type, redirect URI or PKCE parameters.
        """
        if params.get("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "Unsupported response type")
        if params.get("client_id") != self.ctx.client_id:
            raise OAuthError(400, "invalid_client", "Invalid client_id")
        redirect_uri = params.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise OAuthError(400, "invalid_request", "Invalid redirect_uri")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is None and method is not None:
            raise OAuthError(400, "invalid_request", "code_challenge is required")
        if challenge is not None:
            method = method or "plain"
            if method not in ("S256", "plain"):
                raise OAuthError(400, "invalid_request", "Unsupported code_challenge_method")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            self.ctx.client_id,
            redirect_uri,
            challenge,
            method,
            self.user,
            self.ctx.clock.monotonic() + self.ctx.config.authorization_code_ttl_s,
        )
        query = [("code", code)]
        if "state" in params:
            query.append(("state", params["state"]))
        parts = urlsplit(redirect_uri)
        merged = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *query])
        self.ctx.recorder.add(
            "oauth",
            "received",
            "authorize",
            client_id=params.get("client_id"),
            redirect_uri=redirect_uri,
            pkce=challenge is not None,
        )
        return urlunsplit((parts.scheme, parts.netloc, parts.path, merged, parts.fragment))

    # ------------------------------------------------------------------ token

    def _client(self, authorization: str | None) -> None:
        if not authorization or not authorization.lower().startswith("basic "):
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret") from None
        client_id, _, secret = raw.partition(":")
        if not (
            hmac.compare_digest(client_id.encode(), self.ctx.client_id.encode())
            and hmac.compare_digest(secret.encode(), self.ctx.client_secret.encode())
        ):
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")

    def token(self, authorization: str | None, params: dict[str, str]) -> dict[str, Any]:
        """``POST /oauth/token``: exchange a code or rotate a refresh token.

        Raises:
            OAuthError: Zoom-shaped error for bad client, grant, code, verifier or token.
        """
        self._client(authorization)
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(params)
        if grant_type == "refresh_token":
            return self._rotate(params)
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")

    def _exchange(self, params: dict[str, str]) -> dict[str, Any]:
        code = self._codes.get(params.get("code", ""))
        if code is None:
            raise OAuthError(400, "invalid_request", "Invalid authorization code")
        if code.used:
            raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        if self.ctx.clock.monotonic() > code.expires_t:
            raise OAuthError(400, "invalid_grant", "Authorization code has expired")
        if params.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(400, "invalid_request", "Redirect URI mismatch.")
        if code.challenge is not None:
            verifier = params.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_request", "code_verifier is required")
            if code.method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if not hmac.compare_digest(computed.encode(), code.challenge.encode()):
                raise OAuthError(400, "invalid_grant", "Invalid code_verifier")
        code.used = True
        for grant in self._grants:  # re-authorizing revokes the user's earlier grants (4741)
            if grant.user.id == code.user.id:
                self._revoke_grant(grant)
        grant = _Grant(code.user, DEFAULT_SCOPES)
        self._grants.append(grant)
        self.ctx.recorder.add("oauth", "received", "token.authorization_code", user_id=code.user.id)
        return self._issue(grant)

    def _rotate(self, params: dict[str, str]) -> dict[str, Any]:
        token = params.get("refresh_token", "")
        grant = self._refresh.pop(token, None)
        if grant is None:
            raise OAuthError(400, "invalid_grant", "Invalid Token!")
        if grant.revoked:
            raise OAuthError(400, "invalid_grant", "Token has been revoked")
        self.ctx.recorder.add("oauth", "received", "token.refresh_token", user_id=grant.user.id)
        return self._issue(grant)

    def _issue(self, grant: _Grant) -> dict[str, Any]:
        ttl = self.ctx.config.access_token_ttl_s
        access = secrets.token_urlsafe(48)
        refresh = secrets.token_urlsafe(48)
        grant.access_tokens[access] = self.ctx.clock.monotonic() + ttl
        grant.refresh_token = refresh
        self._access[access] = grant
        self._refresh[refresh] = grant
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": ttl,
            "scope": grant.scope,
            "api_url": self.api_url,
        }

    def issue_tokens(self) -> dict[str, Any]:
        """Issue a token pair for the simulated user without the browser dance (tests, demos)."""
        grant = _Grant(self.user, DEFAULT_SCOPES)
        self._grants.append(grant)
        return self._issue(grant)

    # ------------------------------------------------------------------ revoke / check

    def _revoke_grant(self, grant: _Grant) -> None:
        grant.revoked = True
        for token in list(grant.access_tokens):
            self._access.pop(token, None)
        self._refresh.pop(grant.refresh_token, None)

    def revoke(self, authorization: str | None, params: dict[str, str]) -> dict[str, str]:
        """``POST /oauth/revoke``: revoke an access or refresh token (and its whole grant)."""
        self._client(authorization)
        token = params.get("token", "")
        grant = self._access.get(token) or self._refresh.get(token)
        if grant is None:
            raise OAuthError(400, "invalid_request", "Invalid Token!")
        self._revoke_grant(grant)
        self.ctx.recorder.add("oauth", "received", "revoke", user_id=grant.user.id)
        return {"status": "success"}

    def bearer_user(self, authorization: str | None) -> SimUser | None:
        """The user owning a valid, unexpired, unrevoked bearer token, else ``None``."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        grant = self._access.get(token)
        if grant is None or grant.revoked:
            return None
        if self.ctx.clock.monotonic() >= grant.access_tokens.get(token, 0.0):
            return None
        return grant.user


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        params.update(dict(parse_qsl(body, keep_blank_values=True)))
    return params


def oauth_router(oauth: OAuthServer) -> APIRouter:
    """Routes ``/oauth/authorize``, ``/oauth/token`` and ``/oauth/revoke``."""
    router = APIRouter(prefix="/oauth", tags=["oauth"])

    @router.get("/authorize")
    async def authorize(request: Request) -> Response:
        try:
            location = oauth.authorize(dict(request.query_params))
        except OAuthError as exc:
            return exc.response()
        return RedirectResponse(location, status_code=302)

    @router.post("/token")
    async def token(request: Request) -> Response:
        try:
            return JSONResponse(
                oauth.token(request.headers.get("authorization"), await _params(request))
            )
        except OAuthError as exc:
            oauth.ctx.recorder.add(
                "oauth", "sent", "token.error", error=exc.error, reason=exc.reason
            )
            return exc.response()

    @router.post("/revoke")
    async def revoke(request: Request) -> Response:
        try:
            return JSONResponse(
                oauth.revoke(request.headers.get("authorization"), await _params(request))
            )
        except OAuthError as exc:
            return exc.response()

    return router
