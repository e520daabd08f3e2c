"""Typed readers for decoded JSON objects; every problem becomes an :class:`InvalidFieldError`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, TypeAlias

from meetmind.zoom.rtms.enums import StatusCode
from meetmind.zoom.rtms.errors import InvalidFieldError

JsonObject: TypeAlias = Mapping[str, Any]
"""A decoded JSON object."""

UserId: TypeAlias = int | str
"""Zoom user ids: usually uint32 integers, sometimes strings in Zoom's own examples."""

_MISSING = object()


class Reader:
    """Reads typed fields from one JSON object, naming the path of a bad field in errors."""

    def __init__(
        self, obj: JsonObject, where: str = "", status: StatusCode = StatusCode.INVALID_PAYLOAD
    ) -> None:
        self.obj = obj
        self.where = where
        self.status = status

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _fail(self, key: str, problem: str, status: StatusCode | None = None) -> InvalidFieldError:
        return InvalidFieldError(self._name(key), problem, status_code=status or self.status)

    def _get(self, key: str) -> Any:
        return self.obj.get(key, _MISSING)

    def int_(self, key: str, status: StatusCode | None = None) -> int:
        """A required integer (booleans are rejected)."""
        value = self._get(key)
        if value is _MISSING or value is None:
            raise self._fail(key, "is required", status)
        return self._check_int(key, value, status)

    def opt_int(self, key: str, status: StatusCode | None = None) -> int | None:
        """An optional integer; ``null`` counts as absent."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        return self._check_int(key, value, status)

    def _check_int(self, key: str, value: Any, status: StatusCode | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, f"must be an integer, got {type(value).__name__}", status)
        return value

    def str_(self, key: str) -> str:
        """A required string."""
        value = self._get(key)
        if value is _MISSING or value is None:
            raise self._fail(key, "is required")
        return self._check_str(key, value)

    def opt_str(self, key: str) -> str | None:
        """An optional string; ``null`` counts as absent."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        return self._check_str(key, value)

    def _check_str(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self._fail(key, f"must be a string, got {type(value).__name__}")
        return value

    def bool_(self, key: str) -> bool:
        """A required boolean."""
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "must be a boolean")
        return value

    def opt_bool(self, key: str, status: StatusCode | None = None) -> bool | None:
        """An optional boolean; ``null`` counts as absent."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(key, "must be a boolean", status)
        return value

    def opt_user_id(self, key: str) -> UserId | None:
        """An optional user id: an integer or a string."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        return self._check_user_id(key, value)

    def user_id(self, key: str) -> UserId:
        """A required user id: an integer or a string."""
        value = self._get(key)
        if value is _MISSING or value is None:
            raise self._fail(key, "is required")
        return self._check_user_id(key, value)

    def _check_user_id(self, key: str, value: Any) -> UserId:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._fail(key, "must be an integer or a string")
        return value

    def opt_obj(self, key: str, status: StatusCode | None = None) -> JsonObject | None:
        """An optional nested object; ``null`` counts as absent."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._fail(key, "must be an object", status)
        return value

    def obj_(self, key: str) -> JsonObject:
        """A required nested object."""
        value = self.opt_obj(key)
        if value is None:
            raise self._fail(key, "is required")
        return value

    def list_(self, key: str) -> list[Any]:
        """A required JSON array."""
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "must be an array")
        return value

    def opt_list(self, key: str) -> list[Any] | None:
        """An optional JSON array; ``null`` counts as absent."""
        value = self._get(key)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, list):
            raise self._fail(key, "must be an array")
        return value

    def has(self, key: str) -> bool:
        """Whether the key is present (even with a ``null`` value)."""
        return key in self.obj

    def raw(self, key: str) -> Any:
        """The raw value, or ``None`` when absent."""
        return self.obj.get(key)

    def b64(self, key: str) -> bytes:
        """A required base64 string, decoded (a ``data:...;base64,`` prefix is tolerated)."""
        text = self.str_(key)
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise self._fail(key, "is not valid base64") from exc

    def child(self, obj: JsonObject, key: str, status: StatusCode | None = None) -> Reader:
        """A reader for a nested object found under ``key``."""
        return Reader(obj, self._name(key), status or self.status)


def as_object(
    value: Any, where: str, status: StatusCode = StatusCode.INVALID_PAYLOAD
) -> JsonObject:
    """Check that ``value`` is a JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidFieldError(where, "must be an object", status_code=status)
    return value


def b64encode(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def drop_none(items: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``items`` without the ``None`` values (absent optional fields)."""
    return {k: v for k, v in items.items() if v is not None}
