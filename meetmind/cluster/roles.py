"""Process roles: one process doing everything, or API nodes and stream workers."""

from __future__ import annotations

from typing import Literal

from meetmind.config import Settings
from meetmind.domain.errors import ConfigurationError

__all__ = ["ROLES", "Role", "check_scale_out"]

Role = Literal["all-in-one", "api", "worker"]
ROLES: tuple[Role, ...] = ("all-in-one", "api", "worker")


def check_scale_out(settings: Settings, role: str) -> None:
    """Scale-out roles need PostgreSQL (shared by every node) and Redis (coordination).

    Raises:
        ConfigurationError: One of them is missing, naming the setting.
    """
    if settings.is_sqlite:
        raise ConfigurationError(
            f"MEETMIND_DATABASE_URL: the {role!r} role needs PostgreSQL (every node shares it); "
            "SQLite only serves one process: run `meetmind serve --all-in-one`"
        )
    if not settings.redis_url:
        raise ConfigurationError(
            f"MEETMIND_REDIS_URL: the {role!r} role needs Redis (stream dispatch, leases, live "
            "bus), e.g. redis://127.0.0.1:6379/0"
        )
