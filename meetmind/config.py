"""Settings, read from ``MEETMIND_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from meetmind.domain.errors import ConfigurationError

__all__ = ["Settings", "get_settings", "load_settings"]

ENV_PREFIX = "MEETMIND_"


class Settings(BaseSettings):
    """Everything MeetMind can be configured with. Each field is ``MEETMIND_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    env: Literal["development", "production"] = Field(
        "development",
        description="`production` turns missing secrets (encryption keys) into start-up errors.",
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./.meetmind/meetmind.db",
        description="SQLAlchemy URL: sqlite (embedded default) or postgresql (production).",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=0, le=65535, description="Port the HTTP server binds to.")
    public_base_url: str | None = Field(
        None,
        description="URL Zoom and browsers reach this server at (default: http://HOST:PORT).",
    )
    zoom_client_id: str = Field("", description="Client ID of the Zoom General (RTMS) app.")
    zoom_client_secret: SecretStr = Field(
        SecretStr(""), description="Client secret of the Zoom app; signs RTMS handshakes."
    )
    zoom_webhook_secret_token: SecretStr = Field(
        SecretStr(""), description="Secret Token of the Zoom app's event subscription."
    )
    zoom_oauth_base_url: str = Field(
        "https://zoom.us", description="Zoom OAuth server (point at the simulator offline)."
    )
    zoom_api_base_url: str = Field(
        "https://api.zoom.us/v2", description="Zoom REST API base (point at the simulator offline)."
    )
    encryption_keys: SecretStr | None = Field(
        None,
        description="Token encryption key ring: `id:base64key[,id:base64key...]`; newest first.",
    )
    wake_words: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["MeetMind", "Hey MeetMind"],
        description="Default wake words for new sessions (comma-separated or a JSON list).",
    )
    agent_name: str = Field("MeetMind", description="Default display name of the agent.")
    data_dir: str = Field(
        "./.meetmind", description="Directory for local files (recorded audio, dev key)."
    )
    rtms_media: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["transcript", "audio", "chat"],
        description="RTMS media sockets to open (transcript, audio, chat, video, deskshare).",
    )
    rtms_reconnect_base_seconds: float = Field(
        3.0, gt=0, description="First reconnect backoff (doubles up to the max)."
    )
    rtms_reconnect_max_seconds: float = Field(30.0, gt=0, description="Longest reconnect backoff.")
    rtms_trigger_wait_seconds: float = Field(
        65.0,
        gt=0,
        description="After a bare socket close, how long to wait for Zoom's reconnect trigger.",
    )
    ingest_batch_size: int = Field(
        500, ge=1, le=10_000, description="Most events written in one transaction."
    )
    webhook_retry_scale: float = Field(
        1.0,
        gt=0,
        description="Multiplies the outgoing-webhook retry schedule (tests and demos shrink it).",
    )
    agent_responder: str = Field(
        "extractive",
        description="`extractive` (offline), `openai` (OpenAI-compatible endpoint below) or "
        "`package.module:factory` of your own Responder.",
    )
    agent_llm_base_url: str | None = Field(
        None, description="OpenAI-compatible API base, e.g. http://127.0.0.1:11434/v1."
    )
    agent_llm_model: str = Field("gpt-4o-mini", description="Model for the `openai` responder.")
    agent_llm_api_key: SecretStr | None = Field(None, description="Key for the `openai` responder.")
    agent_llm_timeout_seconds: float = Field(10.0, gt=0, description="LLM request timeout.")
    agent_bridge: Literal["none", "simulator", "webhook"] = Field(
        "none",
        description="Where replies go: nowhere (stored only), the Zoom simulator, or a signed "
        "webhook to your own bot (which speaks through the Zoom Meeting SDK).",
    )
    agent_bridge_url: str | None = Field(
        None, description="Simulator admin URL (…/sim) or the application's webhook URL."
    )
    agent_bridge_secret: SecretStr | None = Field(
        None, description="`whsec_…` secret that signs webhook-bridge deliveries."
    )
    agent_reply_mode: Literal["chat", "speech", "both"] = Field(
        "both", description="How replies enter the meeting."
    )
    redis_url: str | None = Field(
        None,
        description="Redis for scale-out (`redis://host:6379/0`): stream dispatch, leases and the "
        "live bus between processes. Needed by `serve --role api` and `worker`.",
    )
    redis_namespace: str = Field(
        "meetmind",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Prefix of every Redis key and channel (several clusters can share a Redis).",
    )
    worker_lease_ttl_seconds: float = Field(
        10.0,
        ge=1,
        le=30,
        description="A worker's hold on a stream; a dead worker's streams move after this. Keep "
        "it well under Zoom's 60 s reconnection window.",
    )
    worker_max_streams: int = Field(
        500, ge=1, description="Most streams one worker process takes on."
    )
    max_request_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body the API accepts (bigger ones get 413 at once).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Logging level."
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("must be a URL such as sqlite:///path.db or postgresql://host/db")
        base = scheme.split("+", 1)[0]
        if base == "sqlite":
            return f"sqlite+aiosqlite://{rest}"
        if base in {"postgresql", "postgres"}:
            return f"postgresql+asyncpg://{rest}"
        raise ValueError(f"unsupported database {base!r}: use sqlite or postgresql")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a URL such as redis://127.0.0.1:6379/0")
        return value

    @field_validator("public_base_url", "zoom_oauth_base_url", "zoom_api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("wake_words", "rtms_media", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        """The public base URL, defaulting to the bind address."""
        return self.public_base_url or f"http://{self.host}:{self.port}"


def load_settings(**overrides: object) -> Settings:
    """Read settings; bad configuration becomes one clear :class:`ConfigurationError` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in error["loc"][:1]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
