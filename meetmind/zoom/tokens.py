"""Always-fresh Zoom access tokens: refresh ahead of expiry, one refresh at a time.

Single flight has two layers. In a process, callers for a tenant queue on one lock, so fifty
concurrent callers cause one refresh. Across processes, the refresher first takes a lease on the
installation row (compare-and-swap on ``token_version``); a process that finds the lease taken
waits for the new version instead of spending the (single-use, rotating) refresh token itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from meetmind.clock import Clock
from meetmind.domain.errors import (
    MeetMindError,
    ZoomNotConnectedError,
    ZoomReauthorizationRequiredError,
)
from meetmind.store.db import Database
from meetmind.store.schema import ZoomInstallationRow
from meetmind.store.vault import KeyRing
from meetmind.store.zoom_repo import InstallationRepo
from meetmind.zoom.oauth import ZoomOAuthClient

__all__ = ["AccessToken", "TokenManager", "token_context"]

log = logging.getLogger(__name__)


def token_context(installation_id: str, which: str) -> str:
    """The encryption context of one token column of one installation."""
    return f"zoom_installations/{installation_id}/{which}"


@dataclass(frozen=True)
class AccessToken:
    """A usable access token and the version it came from (to report it rejected)."""

    value: str = field(repr=False)
    installation_id: str
    version: int


class TokenManager:
    """Hands out access tokens, refreshing them when they expire within ``skew``."""

    def __init__(
        self,
        database: Database,
        keyring: KeyRing,
        oauth: ZoomOAuthClient,
        clock: Clock,
        *,
        skew: timedelta = timedelta(seconds=60),
        lease: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.05,
    ) -> None:
        self._database = database
        self._keyring = keyring
        self._oauth = oauth
        self._clock = clock
        self._skew = skew
        self._lease = lease
        self._poll_interval = poll_interval
        self._locks: dict[str, asyncio.Lock] = {}
        self.refreshes = 0
        """How many refresh requests this manager sent to Zoom (for tests and metrics)."""

    async def access_token(
        self, tenant_id: str, *, rejected: AccessToken | None = None
    ) -> AccessToken:
        """A token good for at least ``skew``; ``rejected`` forces a newer one than that."""
        row = await self._load(tenant_id)
        if self._usable(row, rejected):
            return self._token(row)
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            while True:
                row = await self._load(tenant_id)
                if self._usable(row, rejected):
                    return self._token(row)
                now = self._clock.now()
                async with self._database.transaction() as db:
                    leased = await InstallationRepo(db).take_refresh_lease(
                        row.id, row.token_version, now, now + self._lease
                    )
                if leased:
                    return await self._refresh(row)
                # Another process holds the lease: wait for the version it will write.
                await self._clock.sleep(self._poll_interval)

    async def _load(self, tenant_id: str) -> ZoomInstallationRow:
        async with self._database.transaction() as db:
            row = await InstallationRepo(db).for_tenant(tenant_id)
        if row is None:
            raise ZoomNotConnectedError("connect a Zoom account first (the install link)")
        if row.status == "needs_reauth":
            raise ZoomReauthorizationRequiredError(
                "Zoom no longer accepts this installation's grant; install the Zoom app again"
            )
        return row

    def _usable(self, row: ZoomInstallationRow, rejected: AccessToken | None) -> bool:
        if rejected is not None and row.token_version <= rejected.version:
            return False
        if row.access_expires_at is None:  # unknown expiry counts as expired
            return False
        return row.access_expires_at - self._clock.now() > self._skew

    def _token(self, row: ZoomInstallationRow) -> AccessToken:
        value = self._keyring.decrypt(row.access_token_enc, token_context(row.id, "access_token"))
        return AccessToken(value=value, installation_id=row.id, version=row.token_version)

    async def _refresh(self, row: ZoomInstallationRow) -> AccessToken:
        """Spend the refresh token (we hold the lease) and store the rotated pair atomically."""
        try:
            if row.refresh_token_enc is None:
                raise ZoomReauthorizationRequiredError(
                    "the Zoom installation has no refresh token; install the Zoom app again"
                )
            refresh_token = self._keyring.decrypt(
                row.refresh_token_enc, token_context(row.id, "refresh_token")
            )
            self.refreshes += 1
            tokens = await self._oauth.refresh(refresh_token, now=self._clock.now())
        except ZoomReauthorizationRequiredError:
            async with self._database.transaction() as db:
                await InstallationRepo(db).mark_needs_reauth(row.id, self._clock.now())
            log.warning("Zoom refused the refresh token of installation %s: needs_reauth", row.id)
            raise
        except BaseException as exc:
            async with self._database.transaction() as db:
                await InstallationRepo(db).release_lease(row.id)
            if isinstance(exc, MeetMindError):
                log.warning("refreshing installation %s failed: %s", row.id, exc.code)
            raise
        new_refresh = tokens.refresh_token or refresh_token
        async with self._database.transaction() as db:
            stored = await InstallationRepo(db).store_tokens(
                row.id,
                row.token_version,
                access_token_enc=self._keyring.encrypt(
                    tokens.access_token, token_context(row.id, "access_token")
                ),
                refresh_token_enc=self._keyring.encrypt(
                    new_refresh, token_context(row.id, "refresh_token")
                ),
                expires_at=tokens.expires_at,
                now=self._clock.now(),
            )
        if not stored:  # the row changed under our lease (reinstall): use what is there now
            return self._token(await self._load(row.tenant_id))
        return AccessToken(
            value=tokens.access_token, installation_id=row.id, version=row.token_version + 1
        )
