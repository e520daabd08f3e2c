"""Token encryption: round trip, context binding, tampering, rotation and the dev key file."""

from __future__ import annotations

import base64
import logging
import stat
from pathlib import Path

import pytest

from meetmind.domain.errors import ConfigurationError
from meetmind.store.vault import DecryptionError, KeyRing, generate_key_spec, key_ring_from_settings


def test_round_trip_and_context_binding() -> None:
    ring = KeyRing.parse(generate_key_spec("k1"))
    sealed = ring.encrypt("eyJ.secret-access-token", "zoom_installations/zin_1/access_token")
    assert "secret-access-token" not in sealed
    assert sealed.startswith("v1:k1:")
    assert (
        ring.decrypt(sealed, "zoom_installations/zin_1/access_token") == "eyJ.secret-access-token"
    )
    with pytest.raises(DecryptionError):
        ring.decrypt(sealed, "zoom_installations/zin_2/access_token")


def test_same_plaintext_encrypts_differently() -> None:
    ring = KeyRing.parse(generate_key_spec("k1"))
    assert ring.encrypt("t", "c") != ring.encrypt("t", "c")


def test_tampering_is_detected() -> None:
    ring = KeyRing.parse(generate_key_spec("k1"))
    sealed = ring.encrypt("token", "ctx")
    version, key_id, payload = sealed.split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    forged = f"{version}:{key_id}:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptionError):
        ring.decrypt(forged, "ctx")
    with pytest.raises(DecryptionError):
        ring.decrypt("v1:k1:not-base64!", "ctx")


def test_rotation_newest_encrypts_all_decrypt() -> None:
    old_spec = generate_key_spec("old")
    old = KeyRing.parse(old_spec)
    sealed_old = old.encrypt("refresh", "ctx")
    rotated = KeyRing.parse(f"{generate_key_spec('new')},{old_spec}")
    assert rotated.current_key_id == "new"
    assert rotated.decrypt(sealed_old, "ctx") == "refresh"
    assert rotated.needs_rotation(sealed_old)
    fresh = rotated.encrypt("refresh", "ctx")
    assert not rotated.needs_rotation(fresh)
    with pytest.raises(DecryptionError, match="unknown key"):
        old.decrypt(fresh, "ctx")


@pytest.mark.parametrize(
    "spec",
    ["", "nokey", "k1:not base64", "k1:" + base64.b64encode(b"short").decode(), "bad id:AAAA"],
)
def test_bad_specs_are_configuration_errors(spec: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        KeyRing.parse(spec)
    assert "MEETMIND_ENCRYPTION_KEYS" in info.value.message


def test_duplicate_key_ids_are_refused() -> None:
    key = generate_key_spec("same")
    with pytest.raises(ConfigurationError, match="unique"):
        KeyRing.parse(f"{key},{key}")


def test_keys_never_show_in_repr() -> None:
    spec = generate_key_spec("k1")
    ring = KeyRing.parse(spec)
    assert spec.split(":")[1] not in repr(ring)
    assert repr(ring) == "KeyRing(key_ids=('k1',))"


def test_development_creates_a_private_key_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / ".meetmind" / "encryption.key"
    with caplog.at_level(logging.WARNING):
        ring = key_ring_from_settings(None, production=False, key_file=key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "MEETMIND_ENCRYPTION_KEYS is not set" in caplog.text
    assert key_file.read_text().split(":")[1].strip() not in caplog.text
    again = key_ring_from_settings(None, production=False, key_file=key_file)
    assert again.decrypt(ring.encrypt("x", "c"), "c") == "x"


def test_production_requires_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="required in production"):
        key_ring_from_settings(None, production=True, key_file=tmp_path / "k")
    assert not (tmp_path / "k").exists()
