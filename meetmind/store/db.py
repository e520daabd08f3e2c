"""The database: engine, sessions, migrations and the schema check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from meetmind.domain.errors import SchemaOutOfDateError

__all__ = ["Database"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


_IDLE_IN_TRANSACTION_MS = 5_000
"""PostgreSQL ends a session that sits idle inside a transaction this long (its locks go)."""

_IN_TRANSACTION: ContextVar[bool] = ContextVar("meetmind_in_transaction", default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin); pysqlite's own is too late.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # SQLite has one writer. Taking the write lock at BEGIN makes concurrent transactions
    # queue (busy_timeout) instead of failing with SQLITE_BUSY when a reader upgrades, and
    # makes read-then-write sequences (like allocating an event number) safe.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the async engine and hands out sessions (units of work)."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            if parsed.get_driver_name() == "asyncpg":
                # A process that stalls inside a transaction (paused, swapped out, frozen by a
                # debugger) must not hold its row locks for ever: another worker taking over its
                # streams waits on them. MeetMind never idles in a transaction (no network call
                # happens inside one), so PostgreSQL may end any that idles this long.
                kwargs["connect_args"] = {
                    "server_settings": {
                        "idle_in_transaction_session_timeout": str(_IDLE_IN_TRANSACTION_MS)
                    }
                }
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._closing: set[asyncio.Future[None]] = set()
        """Sessions still closing after their task was cancelled (dispose waits for them)."""

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.

        Closing is shielded from cancellation, so a cancelled task (a client that went away)
        never leaves its connection inside a transaction (on SQLite: holding the write lock).

        On SQLite every transaction takes the one write lock at BEGIN; transactions of this
        process queue for it here, first come first served, rather than in SQLite's busy handler,
        which polls with sleeps of up to 100 ms and lets a busy writer (the ingest) starve the
        others (a webhook, a feed read) for a second or more.
        """
        turn = self._sqlite_turn()
        if turn is not None:
            await turn.acquire()
        inside = _IN_TRANSACTION.set(True)
        session = self.sessionmaker()
        try:
            async with session.begin():
                yield session
        finally:
            _IN_TRANSACTION.reset(inside)
            closing = asyncio.ensure_future(session.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            if turn is not None:
                closing.add_done_callback(lambda _: turn.release())
            await asyncio.shield(closing)

    def _sqlite_turn(self) -> asyncio.Lock | None:
        """This loop's queue for SQLite's write lock (None: not SQLite, or already inside a
        transaction of this task, which then waits in SQLite's busy handler as before)."""
        if not self.is_sqlite or _IN_TRANSACTION.get():
            return None
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        return self._turns[1]

    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration."""

        def upgrade(connection: Connection) -> None:
            command.upgrade(_alembic_config(connection), "head")

        async with self.engine.begin() as connection:
            await connection.run_sync(upgrade)

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """The schema's current revision and the newest one this code knows."""

        def current(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as connection:
            found = await connection.run_sync(current)
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        return found, head

    async def ensure_schema(self, *, auto_migrate: bool) -> None:
        """Migrate (when allowed) or refuse to run on an out-of-date schema."""
        found, head = await self.schema_revisions()
        if found == head:
            return
        if auto_migrate:
            await self.migrate()
            return
        raise SchemaOutOfDateError(
            f"the database schema is at {found or 'no revision'} but this MeetMind needs {head}: "
            "run `meetmind migrate`",
            details={"current": found, "required": head},
        )

    async def ping(self) -> None:
        """Run a trivial query; raises if the database is unreachable."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection (after sessions still closing have closed)."""
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=5)
        await self.engine.dispose()
