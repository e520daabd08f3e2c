"""A tenant's Zoom connection: install link and callback, RTMS control, disconnect."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from meetmind.clock import Clock
from meetmind.domain.errors import (
    OAuthStateError,
    ZoomError,
    ZoomNotConnectedError,
    ZoomReauthorizationRequiredError,
)
from meetmind.ids import new_id
from meetmind.store.db import Database
from meetmind.store.schema import OAuthStateRow, ZoomInstallationRow
from meetmind.store.vault import DecryptionError, KeyRing
from meetmind.store.zoom_repo import InstallationRepo, OAuthStateRepo
from meetmind.zoom.control import (
    AccessTokenRejectedError,
    RtmsAction,
    RtmsControlResult,
    ZoomApiClient,
)
from meetmind.zoom.oauth import ZoomOAuthClient, authorize_url, pkce_pair
from meetmind.zoom.tokens import TokenManager, token_context

__all__ = ["AuthorizeLink", "Installation", "KeyRotation", "ZoomConnection", "hash_state"]

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
CALLBACK_PATH = "/api/v1/zoom/oauth/callback"


def hash_state(state: str) -> str:
    """States are stored hashed: a database reader cannot complete someone's install."""
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass
class KeyRotation:
    """What ``keys rotate`` did."""

    rewritten: int = 0
    failed: list[str] = field(default_factory=list)
    """Installations no configured key could decrypt (left unchanged)."""


@dataclass(frozen=True)
class AuthorizeLink:
    """Where to send the user, and until when the link works."""

    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Installation:
    """A tenant's Zoom installation, without its tokens."""

    tenant_id: str
    zoom_user_id: str | None
    zoom_account_id: str | None
    scopes: tuple[str, ...]
    status: str
    access_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ZoomInstallationRow) -> Installation:
        """From a row (tokens left behind)."""
        return cls(
            tenant_id=row.tenant_id,
            zoom_user_id=row.zoom_user_id,
            zoom_account_id=row.zoom_account_id,
            scopes=tuple(row.scopes),
            status=row.status,
            access_expires_at=row.access_expires_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ZoomConnection:
    """Everything MeetMind asks of Zoom on a tenant's behalf."""

    def __init__(
        self,
        *,
        database: Database,
        keyring: KeyRing,
        oauth: ZoomOAuthClient,
        api: ZoomApiClient,
        tokens: TokenManager,
        clock: Clock,
        oauth_base_url: str,
        client_id: str,
        public_base_url: str,
    ) -> None:
        self._database = database
        self._keyring = keyring
        self._oauth = oauth
        self._api = api
        self.tokens = tokens
        self._clock = clock
        self._oauth_base_url = oauth_base_url
        self._client_id = client_id
        self.redirect_uri = public_base_url.rstrip("/") + CALLBACK_PATH

    async def authorize_link(self, tenant_id: str) -> AuthorizeLink:
        """A fresh install link: 256-bit single-use ``state`` bound to the tenant, plus PKCE."""
        state = secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        now = self._clock.now()
        state_hash = hash_state(state)
        row = OAuthStateRow(
            state_hash=state_hash,
            tenant_id=tenant_id,
            code_verifier_enc=self._keyring.encrypt(verifier, f"oauth_states/{state_hash}"),
            redirect_uri=self.redirect_uri,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
        async with self._database.transaction() as db:
            repo = OAuthStateRepo(db)
            await repo.purge(now - timedelta(days=1))
            await repo.add(row)
        url = authorize_url(
            self._oauth_base_url,
            client_id=self._client_id,
            redirect_uri=self.redirect_uri,
            state=state,
            code_challenge=challenge,
        )
        return AuthorizeLink(url=url, expires_at=row.expires_at)

    async def complete_install(self, *, code: str | None, state: str | None) -> Installation:
        """The OAuth callback. The state is checked (and spent) before Zoom is called at all."""
        if not state:
            raise OAuthStateError("the OAuth callback has no state", details={"reason": "missing"})
        if len(state) > 256:
            raise OAuthStateError("unknown OAuth state", details={"reason": "unknown"})
        async with self._database.transaction() as db:
            consumed = await OAuthStateRepo(db).consume(hash_state(state), self._clock.now())
        if not code:
            raise OAuthStateError(
                "the OAuth callback has no code (was the install declined?)",
                details={"reason": "missing_code"},
            )
        verifier = self._keyring.decrypt(
            consumed.code_verifier_enc, f"oauth_states/{consumed.state_hash}"
        )
        now = self._clock.now()
        tokens = await self._oauth.exchange_code(
            code=code, redirect_uri=consumed.redirect_uri, code_verifier=verifier, now=now
        )
        user = await self._api.me(tokens.access_token)
        async with self._database.transaction() as db:
            repo = InstallationRepo(db)
            row = await repo.for_tenant(consumed.tenant_id)
            if row is None:
                row = ZoomInstallationRow(
                    id=new_id("zin", now), tenant_id=consumed.tenant_id, created_at=now
                )
                db.add(row)
            row.zoom_user_id = user.id
            row.zoom_account_id = user.account_id
            row.scopes = list(tokens.scopes)
            row.api_url = tokens.api_url
            row.access_token_enc = self._keyring.encrypt(
                tokens.access_token, token_context(row.id, "access_token")
            )
            row.refresh_token_enc = (
                self._keyring.encrypt(tokens.refresh_token, token_context(row.id, "refresh_token"))
                if tokens.refresh_token
                else None
            )
            row.access_expires_at = tokens.expires_at
            row.status = "active"
            row.token_version = (row.token_version or 0) + 1
            row.refresh_lease_until = None
            row.updated_at = now
            await db.flush()
            installed = Installation.of(row)
        log.info("Zoom installed for tenant %s (zoom user %s)", consumed.tenant_id, user.id)
        return installed

    async def installation(self, tenant_id: str) -> Installation | None:
        """The tenant's installation, if any."""
        async with self._database.transaction() as db:
            row = await InstallationRepo(db).for_tenant(tenant_id)
        return Installation.of(row) if row else None

    async def disconnect(self, tenant_id: str) -> bool:
        """Revoke the grant at Zoom (best effort) and delete the tokens here (always).

        Returns:
            Whether Zoom confirmed the revocation.
        """
        async with self._database.transaction() as db:
            row = await InstallationRepo(db).for_tenant(tenant_id)
        if row is None:
            raise ZoomNotConnectedError("this tenant has no Zoom installation")
        revoked = False
        token_enc, which = (
            (row.refresh_token_enc, "refresh_token")
            if row.refresh_token_enc
            else (row.access_token_enc, "access_token")
        )
        try:
            token = self._keyring.decrypt(token_enc, token_context(row.id, which))
            await self._oauth.revoke(token)
            revoked = True
        except ZoomError as exc:
            log.warning("revoking tenant %s's Zoom grant failed: %s", tenant_id, exc.code)
        async with self._database.transaction() as db:
            await InstallationRepo(db).delete_for_tenant(tenant_id)
        return revoked

    async def control_rtms(
        self,
        tenant_id: str,
        *,
        meeting_id: str,
        action: RtmsAction,
        participant_user_id: str | None,
    ) -> RtmsControlResult:
        """Start, stop, pause or resume RTMS; a 401 refreshes the token once and retries."""
        token = await self.tokens.access_token(tenant_id)
        for attempt in (1, 2):
            try:
                return await self._api.update_rtms_status(
                    token.value,
                    meeting_id=meeting_id,
                    action=action,
                    client_id=self._client_id,
                    participant_user_id=participant_user_id,
                )
            except AccessTokenRejectedError as exc:
                if attempt == 2:
                    raise ZoomReauthorizationRequiredError(
                        "Zoom rejected a freshly refreshed access token; install the app again",
                        zoom_status=exc.zoom_status,
                        zoom_code=exc.zoom_code,
                    ) from exc
                log.info("Zoom rejected tenant %s's access token; refreshing once", tenant_id)
                token = await self.tokens.access_token(tenant_id, rejected=token)
        raise AssertionError("unreachable")  # pragma: no cover

    async def rotate_keys(self) -> KeyRotation:
        """Re-encrypt every stored secret under the newest key.

        A row that no configured key decrypts is left as it is and reported (it needs the key
        it was written with, or a reinstall); every other row is rotated.
        """
        rotation = KeyRotation()
        async with self._database.transaction() as db:
            for row in await InstallationRepo(db).all_rows():
                row_id = row.id
                try:
                    changed = False
                    for column, which in (
                        ("access_token_enc", "access_token"),
                        ("refresh_token_enc", "refresh_token"),
                    ):
                        value = getattr(row, column)
                        if value and self._keyring.needs_rotation(value):
                            context = token_context(row.id, which)
                            plain = self._keyring.decrypt(value, context)
                            setattr(row, column, self._keyring.encrypt(plain, context))
                            changed = True
                except DecryptionError:
                    db.expire(row)  # drop a half-rotated row's changes
                    rotation.failed.append(row_id)
                    log.warning("installation %s: no configured key decrypts it", row_id)
                    continue
                rotation.rewritten += changed
            for state in await OAuthStateRepo(db).pending():
                if self._keyring.needs_rotation(state.code_verifier_enc):
                    context = f"oauth_states/{state.state_hash}"
                    try:
                        plain = self._keyring.decrypt(state.code_verifier_enc, context)
                    except DecryptionError:
                        continue  # a pending install of ten minutes; it will simply expire
                    state.code_verifier_enc = self._keyring.encrypt(plain, context)
                    rotation.rewritten += 1
        return rotation
