"""Zoom connection storage: OAuth states, installations (encrypted tokens), webhook receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from meetmind.domain.errors import OAuthStateError
from meetmind.store.schema import OAuthStateRow, WebhookReceiptRow, ZoomInstallationRow

__all__ = ["InstallationRepo", "OAuthStateRepo", "WebhookReceiptRepo"]


class OAuthStateRepo:
    """Install ``state`` nonces: stored hashed, consumed exactly once before they expire."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, row: OAuthStateRow) -> None:
        """Store a new state."""
        self._session.add(row)
        await self._session.flush()

    async def consume(self, state_hash: str, now: datetime) -> OAuthStateRow:
        """Mark the state used and return it; anything but a fresh, unused one is refused."""
        result = await self._session.execute(
            update(OAuthStateRow)
            .where(
                OAuthStateRow.state_hash == state_hash,
                OAuthStateRow.used_at.is_(None),
                OAuthStateRow.expires_at > now,
            )
            .values(used_at=now)
        )
        row = await self._session.get(OAuthStateRow, state_hash, populate_existing=True)
        if getattr(result, "rowcount", 0) == 1 and row is not None:
            return row
        if row is None:
            raise OAuthStateError("unknown OAuth state", details={"reason": "unknown"})
        if row.used_at is not None:
            raise OAuthStateError("this OAuth state was used already", details={"reason": "used"})
        raise OAuthStateError("this OAuth state has expired", details={"reason": "expired"})

    async def pending(self) -> list[OAuthStateRow]:
        """States not used yet (for key rotation)."""
        return list(
            await self._session.scalars(
                select(OAuthStateRow).where(OAuthStateRow.used_at.is_(None))
            )
        )

    async def purge(self, before: datetime) -> None:
        """Forget states that expired before ``before``."""
        await self._session.execute(delete(OAuthStateRow).where(OAuthStateRow.expires_at < before))


class InstallationRepo:
    """Zoom installations. Token columns hold ciphertext only (see ``meetmind.store.vault``)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_tenant(self, tenant_id: str) -> ZoomInstallationRow | None:
        """The tenant's installation, fresh from the database."""
        return await self._session.scalar(
            select(ZoomInstallationRow)
            .where(ZoomInstallationRow.tenant_id == tenant_id)
            .execution_options(populate_existing=True)
        )

    async def add(self, row: ZoomInstallationRow) -> None:
        """Insert an installation."""
        self._session.add(row)
        await self._session.flush()

    async def delete_for_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant's installation; False if there was none."""
        result = await self._session.execute(
            delete(ZoomInstallationRow).where(ZoomInstallationRow.tenant_id == tenant_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete_for_zoom_user(self, zoom_user_id: str | None, account_id: str | None) -> int:
        """Delete installations of a Zoom user (or, without a user id, of an account)."""
        if zoom_user_id:
            condition = ZoomInstallationRow.zoom_user_id == zoom_user_id
        elif account_id:
            condition = ZoomInstallationRow.zoom_account_id == account_id
        else:
            return 0
        result = await self._session.execute(delete(ZoomInstallationRow).where(condition))
        return int(getattr(result, "rowcount", 0))

    async def tenants_of(self, zoom_user_id: str | None, account_id: str | None) -> list[str]:
        """Tenants whose installation is this Zoom user's (or, failing that, account's)."""
        conditions = []
        if zoom_user_id:
            conditions.append(ZoomInstallationRow.zoom_user_id == zoom_user_id)
        if account_id:
            conditions.append(ZoomInstallationRow.zoom_account_id == account_id)
        if not conditions:
            return []
        rows = await self._session.scalars(
            select(ZoomInstallationRow.tenant_id).where(or_(*conditions))
        )
        return list(rows)

    async def take_refresh_lease(
        self, installation_id: str, version: int, now: datetime, until: datetime
    ) -> bool:
        """Become the one process refreshing this token version (compare-and-swap)."""
        result = await self._session.execute(
            update(ZoomInstallationRow)
            .where(
                ZoomInstallationRow.id == installation_id,
                ZoomInstallationRow.token_version == version,
                or_(
                    ZoomInstallationRow.refresh_lease_until.is_(None),
                    ZoomInstallationRow.refresh_lease_until < now,
                ),
            )
            .values(refresh_lease_until=until)
        )
        return getattr(result, "rowcount", 0) == 1

    async def store_tokens(
        self,
        installation_id: str,
        version: int,
        *,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Replace both tokens atomically if the version is still ``version``."""
        result = await self._session.execute(
            update(ZoomInstallationRow)
            .where(
                ZoomInstallationRow.id == installation_id,
                ZoomInstallationRow.token_version == version,
            )
            .values(
                access_token_enc=access_token_enc,
                refresh_token_enc=refresh_token_enc,
                access_expires_at=expires_at,
                token_version=version + 1,
                refresh_lease_until=None,
                status="active",
                updated_at=now,
            )
        )
        return getattr(result, "rowcount", 0) == 1

    async def release_lease(self, installation_id: str) -> None:
        """Give up a refresh lease (the refresh failed)."""
        await self._session.execute(
            update(ZoomInstallationRow)
            .where(ZoomInstallationRow.id == installation_id)
            .values(refresh_lease_until=None)
        )

    async def mark_needs_reauth(self, installation_id: str, now: datetime) -> None:
        """Zoom no longer honours the grant."""
        await self._session.execute(
            update(ZoomInstallationRow)
            .where(ZoomInstallationRow.id == installation_id)
            .values(status="needs_reauth", refresh_lease_until=None, updated_at=now)
        )

    async def all_rows(self) -> list[ZoomInstallationRow]:
        """Every installation (for key rotation)."""
        return list(await self._session.scalars(select(ZoomInstallationRow)))


class WebhookReceiptRepo:
    """Received Zoom webhooks: a duplicate is refused by the primary key."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, receipts: list[tuple[str, str, str]], now: datetime) -> set[str]:
        """Record deliveries ``(event_hash, event, body)`` in one statement.

        Returns:
            The hashes that were new (the others were received before, or twice in this batch).
        """
        if not receipts:
            return set()
        insert = (
            postgresql.insert
            if self._session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        unique = {event_hash: (event, body) for event_hash, event, body in receipts}
        statement = (
            insert(WebhookReceiptRow)
            .values(
                [
                    {"event_hash": h, "event": e, "body": b, "received_at": now}
                    for h, (e, b) in unique.items()
                ]
            )
            .on_conflict_do_nothing(index_elements=["event_hash"])
            .returning(WebhookReceiptRow.event_hash)
        )
        return set(await self._session.scalars(statement))

    async def pending(self, limit: int = 100) -> list[WebhookReceiptRow]:
        """Receipts not processed yet, oldest first."""
        rows = await self._session.scalars(
            select(WebhookReceiptRow)
            .where(WebhookReceiptRow.processed_at.is_(None))
            .order_by(WebhookReceiptRow.received_at)
            .limit(limit)
        )
        return list(rows)

    async def get(self, event_hash: str) -> WebhookReceiptRow | None:
        """One receipt."""
        return await self._session.get(WebhookReceiptRow, event_hash)

    async def mark_processed(self, event_hash: str, outcome: str, now: datetime) -> None:
        """Record what processing the event did."""
        await self._session.execute(
            update(WebhookReceiptRow)
            .where(WebhookReceiptRow.event_hash == event_hash)
            .values(processed_at=now, outcome=outcome[:2000])
        )
