"""All configuration in one place.

Every environment variable the product reads is a field here. Presenton's own names
(`LLM`, `OPENAI_API_KEY`, `CUSTOM_LLM_URL`, `APP_DATA_DIRECTORY`, `DATABASE_URL`, ...)
are kept as they are so an existing Presenton `.env` works unchanged; slidestream's own
settings carry the `SLIDESTREAM_` prefix.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMName = Literal["openai", "custom", "ollama"]


def _default_data_dir() -> Path:
    return Path(user_data_dir("slidestream", appauthor=False))


class Settings(BaseSettings):
    """Process-wide settings, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- storage -------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        validation_alias=AliasChoices("APP_DATA_DIRECTORY", "SLIDESTREAM_DATA_DIR", "data_dir"),
        description="Where the SQLite database and per-presentation files live.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; defaults to a SQLite file in the data directory.",
    )

    # --- LLM provider (Presenton names) ----------------------------------------------
    llm: LLMName | None = Field(default=None, validation_alias=AliasChoices("LLM", "llm"))
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    openai_model: str = Field(
        default="gpt-4.1", validation_alias=AliasChoices("OPENAI_MODEL", "openai_model")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    custom_llm_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CUSTOM_LLM_URL", "custom_llm_url")
    )
    custom_llm_api_key: str = Field(
        default="null", validation_alias=AliasChoices("CUSTOM_LLM_API_KEY", "custom_llm_api_key")
    )
    custom_model: str | None = Field(
        default=None, validation_alias=AliasChoices("CUSTOM_MODEL", "custom_model")
    )
    ollama_url: str = Field(
        default="http://localhost:11434", validation_alias=AliasChoices("OLLAMA_URL", "ollama_url")
    )
    ollama_model: str | None = Field(
        default=None, validation_alias=AliasChoices("OLLAMA_MODEL", "ollama_model")
    )
    tool_calls: bool = Field(
        default=False, validation_alias=AliasChoices("TOOL_CALLS", "tool_calls")
    )
    disable_thinking: bool = Field(
        default=False, validation_alias=AliasChoices("DISABLE_THINKING", "disable_thinking")
    )

    # --- LLM call behaviour ------------------------------------------------------------
    llm_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        validation_alias=AliasChoices("SLIDESTREAM_LLM_TIMEOUT", "llm_timeout_seconds"),
        description="Per-call timeout; a stalled call is retried, not waited on forever.",
    )
    llm_max_attempts: int = Field(
        default=4,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_LLM_MAX_ATTEMPTS", "llm_max_attempts"),
    )
    llm_backoff_initial: float = Field(
        default=0.5,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_LLM_BACKOFF_INITIAL", "llm_backoff_initial"),
    )
    llm_backoff_max: float = Field(
        default=20.0,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_LLM_BACKOFF_MAX", "llm_backoff_max"),
    )

    # --- generation ----------------------------------------------------------------
    slide_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        validation_alias=AliasChoices("SLIDESTREAM_SLIDE_CONCURRENCY", "slide_concurrency"),
        description="Slides of one deck generated at the same time (emitted in order).",
    )
    max_concurrent_jobs: int = Field(
        default=16,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_CONCURRENT_JOBS", "max_concurrent_jobs"),
    )
    outline_flush_seconds: float = Field(
        default=0.1,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_OUTLINE_FLUSH_SECONDS", "outline_flush_seconds"),
        description="How often a streaming outline's partial text is saved and announced.",
    )
    max_content_chars: int = Field(
        default=20_000,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_CONTENT_CHARS", "max_content_chars"),
        description="Longest accepted prompt (`content`) and `instructions`.",
    )
    max_body_bytes: int = Field(
        default=2_000_000,
        ge=1024,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_BODY_BYTES", "max_body_bytes"),
    )

    # --- documents (uploads) --------------------------------------------------------

    # --- images and icons ------------------------------------------------------------

    # --- one-shot generation, async tasks and webhooks --------------------------------

    # --- streaming -----------------------------------------------------------------
    heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        le=15.0,
        validation_alias=AliasChoices("SLIDESTREAM_HEARTBEAT_SECONDS", "heartbeat_seconds"),
    )
    sse_retry_ms: int = Field(
        default=2000,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_SSE_RETRY_MS", "sse_retry_ms"),
    )
    stream_recheck_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_STREAM_RECHECK_SECONDS", "stream_recheck_seconds"
        ),
        description="A waiting reader re-reads the database at least this often, "
        "even without a notification.",
    )

    # --- server --------------------------------------------------------------------
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SLIDESTREAM_HOST", "host")
    )
    port: int = Field(default=8000, validation_alias=AliasChoices("SLIDESTREAM_PORT", "port"))
    log_level: str = Field(
        default="info", validation_alias=AliasChoices("SLIDESTREAM_LOG_LEVEL", "log_level")
    )

    @field_validator("llm", mode="before")
    @classmethod
    def _blank_llm_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL actually used."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'slidestream.db'}"
        url = self.database_url
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    @property
    def presentations_dir(self) -> Path:
        """Per-presentation files (uploads, exports) live under here."""
        return self.data_dir / "presentations"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
