"""Alembic environment: runs on the connection MeetMind hands it (see ``meetmind.store.db``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from meetmind.store.schema import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `meetmind migrate`, which supplies the connection")
_run(connection)
