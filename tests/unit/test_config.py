"""Settings: environment parsing and one clear line for bad configuration."""

from __future__ import annotations

import pytest

from meetmind.config import load_settings
from meetmind.domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    for name in ("MEETMIND_DATABASE_URL", "MEETMIND_PORT", "MEETMIND_WAKE_WORDS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./.meetmind/meetmind.db"
    assert settings.is_sqlite
    assert settings.wake_words == ["MeetMind", "Hey MeetMind"]
    assert settings.base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://h/db", "postgresql+asyncpg://h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_get_async_drivers(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("MEETMIND_DATABASE_URL", given)
    assert load_settings().database_url == expected


def test_wake_words_from_a_comma_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETMIND_WAKE_WORDS", "Hey Bot, Bot")
    assert load_settings().wake_words == ["Hey Bot", "Bot"]
    monkeypatch.setenv("MEETMIND_WAKE_WORDS", '["A, B", "C"]')
    assert load_settings().wake_words == ["A, B", "C"]


def test_env_file_is_read(tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("MEETMIND_PORT=9123\n")
    assert load_settings().port == 9123


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEETMIND_PORT", "eighty"),
        ("MEETMIND_PORT", "70000"),
        ("MEETMIND_DATABASE_URL", "mysql://h/db"),
        ("MEETMIND_ZOOM_API_BASE_URL", "api.zoom.us"),
        ("MEETMIND_ENV", "staging"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    message = info.value.message
    assert "\n" not in message
    assert name in message


def test_secrets_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETMIND_ZOOM_CLIENT_SECRET", "s3cr3t-value")
    settings = load_settings()
    assert "s3cr3t-value" not in repr(settings)
    assert settings.zoom_client_secret.get_secret_value() == "s3cr3t-value"
