"""Token encryption at rest: AES-256-GCM under a key ring with rotation.

``MEETMIND_ENCRYPTION_KEYS`` is ``id:base64key[,id:base64key...]``, newest first. The newest key
encrypts; every key decrypts. A ciphertext is ``v1:<key id>:<base64(nonce || ciphertext+tag)>``,
and is bound to where it is stored (``context``, e.g. ``zoom_installations/<id>/access_token``) so
a ciphertext copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from meetmind.domain.errors import ConfigurationError, MeetMindError

__all__ = [
    "DecryptionError",
    "KeyRing",
    "generate_key_spec",
    "key_ring_from_settings",
]

log = logging.getLogger(__name__)

_VERSION = "v1"
_KEY_ID = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_DEV_KEY_FILE = Path(".meetmind") / "encryption.key"


class DecryptionError(MeetMindError):
    """A stored secret cannot be decrypted: unknown key id, wrong context, or tampering."""

    code = "decryption_failed"


@dataclass(frozen=True)
class KeyRing:
    """Named AES-256 keys; the first one encrypts."""

    keys: tuple[tuple[str, bytes], ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigurationError("MEETMIND_ENCRYPTION_KEYS: at least one key is needed")
        ids = [key_id for key_id, _ in self.keys]
        if len(set(ids)) != len(ids):
            raise ConfigurationError("MEETMIND_ENCRYPTION_KEYS: key ids must be unique")

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={self.key_ids!r})"

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse ``id:base64key[,id:base64key...]`` (each key 32 bytes)."""
        keys: list[tuple[str, bytes]] = []
        for index, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
            key_id, sep, encoded = part.partition(":")
            if not sep or not _KEY_ID.fullmatch(key_id):
                raise ConfigurationError(
                    f"MEETMIND_ENCRYPTION_KEYS: entry {index + 1} must be `id:base64key` "
                    "with an id of letters, digits, `_`, `-` or `.`"
                )
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigurationError(
                    f"MEETMIND_ENCRYPTION_KEYS: key {key_id!r} is not valid base64"
                ) from None
            if len(key) != 32:
                raise ConfigurationError(
                    f"MEETMIND_ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes (AES-256)"
                )
            keys.append((key_id, key))
        return cls(tuple(keys))

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Key ids, newest first."""
        return tuple(key_id for key_id, _ in self.keys)

    @property
    def current_key_id(self) -> str:
        """The id of the key that encrypts."""
        return self.keys[0][0]

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt under the newest key, bound to ``context``."""
        key_id, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(key_id, context))
        return f"{_VERSION}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        """Decrypt a value made by :meth:`encrypt` with the same ``context``."""
        version, _, rest = token.partition(":")
        key_id, _, payload = rest.partition(":")
        key = dict(self.keys).get(key_id)
        if version != _VERSION or key is None:
            raise DecryptionError(
                "a stored secret uses an unknown key; is MEETMIND_ENCRYPTION_KEYS complete?",
                details={"key_id": key_id},
            )
        try:
            raw = base64.b64decode(payload, validate=True)
            plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(key_id, context))
        except (binascii.Error, ValueError, InvalidTag):
            raise DecryptionError("a stored secret failed authentication") from None
        return plaintext.decode()

    def needs_rotation(self, token: str) -> bool:
        """Whether ``token`` was encrypted under an older key than the current one."""
        return not token.startswith(f"{_VERSION}:{self.current_key_id}:")


def _aad(key_id: str, context: str) -> bytes:
    return f"meetmind/{_VERSION}/{key_id}/{context}".encode()


def generate_key_spec(key_id: str | None = None) -> str:
    """A new ``id:base64key`` entry for ``MEETMIND_ENCRYPTION_KEYS``."""
    name = key_id or f"k{secrets.token_hex(3)}"
    return f"{name}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def key_ring_from_settings(
    spec: str | None, *, production: bool, key_file: Path = _DEV_KEY_FILE
) -> KeyRing:
    """The configured key ring; in development a local key file stands in for a missing one.

    Raises:
        ConfigurationError: no key in production, or a malformed key spec.
    """
    if spec:
        return KeyRing.parse(spec)
    if production:
        raise ConfigurationError(
            "MEETMIND_ENCRYPTION_KEYS: required in production (generate one with "
            "`meetmind keys generate-encryption-key`)"
        )
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate_key_spec("local") + "\n")
        log.warning(
            "MEETMIND_ENCRYPTION_KEYS is not set: created a development key in %s (mode 0600); "
            "set MEETMIND_ENCRYPTION_KEYS in production",
            key_file,
        )
    return KeyRing.parse(key_file.read_text().strip())
