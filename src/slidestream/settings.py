"""All configuration in one place.

Every environment variable the product reads is a field here. Presenton's own names
(`LLM`, `OPENAI_API_KEY`, `CUSTOM_LLM_URL`, `APP_DATA_DIRECTORY`, `DATABASE_URL`, ...)
are kept as they are so an existing Presenton `.env` works unchanged; slidestream's own
settings carry the `SLIDESTREAM_` prefix.
"""

from __future__ import annotations

import ipaddress
import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LLMName = Literal["openai", "custom", "ollama", "anthropic", "google", "offline"]


def _origin_list(value: object) -> object:
    """CORS origins from a comma-separated string or a JSON list (the server's and the
    gateway's setting alike). A browser's `Origin` never ends in `/`, so a trailing one,
    which would silently never match, is dropped."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    if isinstance(value, list | tuple):
        origins = (str(origin).strip().rstrip("/") for origin in value)
        return [origin for origin in origins if origin]
    return value


def is_loopback(host: str) -> bool:
    """Whether `host` (a listening address) is reachable from this machine only."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


class DeploymentError(RuntimeError):
    """The settings describe a deployment that cannot run (the message says why)."""


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
    anthropic_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "anthropic_api_key")
    )
    anthropic_model: str = Field(
        default="claude-sonnet-4-20250514",
        validation_alias=AliasChoices("ANTHROPIC_MODEL", "anthropic_model"),
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "anthropic_base_url")
    )
    google_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("GOOGLE_API_KEY", "google_api_key")
    )
    google_model: str = Field(
        default="models/gemini-2.5-flash",
        validation_alias=AliasChoices("GOOGLE_MODEL", "google_model"),
    )
    google_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GOOGLE_BASE_URL", "google_base_url"),
        description="Gemini API root, for proxies and tests; the public endpoint by default.",
    )
    llm_structured_outputs: bool = Field(
        default=True,
        validation_alias=AliasChoices("LLM_STRUCTURED_OUTPUTS", "llm_structured_outputs"),
        description="Ask the provider for native structured output; when false the schema "
        "goes into the prompt and the JSON is read from the answer text.",
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
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_UPLOAD_BYTES", "max_upload_bytes"),
        description="Largest accepted uploaded document (one file of `/files/upload`).",
    )
    max_upload_files: int = Field(
        default=10,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_UPLOAD_FILES", "max_upload_files"),
        description="Most files in one `/files/upload` request.",
    )
    max_document_chars: int = Field(
        default=100_000,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_MAX_DOCUMENT_CHARS", "max_document_chars"),
        description="Extracted text of one document used for generation; the rest is cut.",
    )

    @property
    def uploads_dir(self) -> Path:
        """Uploaded documents: `<uploads_dir>/<upload id>/<file name>`."""
        return self.data_dir / "uploads"

    # --- images and icons ------------------------------------------------------------
    image_provider: Literal["none", "openai", "dall-e-3", "gpt-image-1", "pexels", "pixabay"] = (
        Field(
            default="none",
            validation_alias=AliasChoices("IMAGE_PROVIDER", "image_provider"),
            description="Where slide images come from; blank or unsupported = none.",
        )
    )
    pexels_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("PEXELS_API_KEY", "pexels_api_key")
    )
    pixabay_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("PIXABAY_API_KEY", "pixabay_api_key")
    )
    pexels_url: str = Field(
        default="https://api.pexels.com/v1",
        validation_alias=AliasChoices("SLIDESTREAM_PEXELS_URL", "pexels_url"),
    )
    pixabay_url: str = Field(
        default="https://pixabay.com/api/",
        validation_alias=AliasChoices("SLIDESTREAM_PIXABAY_URL", "pixabay_url"),
    )
    openai_images_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLIDESTREAM_OPENAI_IMAGES_URL", "openai_images_url"),
        description="OpenAI images API base URL; defaults to OPENAI_BASE_URL, then OpenAI's.",
    )
    image_fetch_max_bytes: int = Field(
        default=10_000_000,
        ge=1024,
        validation_alias=AliasChoices("SLIDESTREAM_IMAGE_FETCH_MAX_BYTES", "image_fetch_max_bytes"),
    )
    image_fetch_timeout: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices("SLIDESTREAM_IMAGE_FETCH_TIMEOUT", "image_fetch_timeout"),
        description="Seconds allowed for each step of one image (provider call, download).",
    )
    image_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        validation_alias=AliasChoices("SLIDESTREAM_IMAGE_CONCURRENCY", "image_concurrency"),
        description="Images fetched at the same time, across the whole process.",
    )
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("SLIDESTREAM_FETCH_ALLOW_HOSTS", "fetch_allow_hosts"),
        description="Host names (comma-separated) exempted from the private-address rule "
        "for outbound fetches.",
    )

    @field_validator("image_provider", mode="before")
    @classmethod
    def _image_provider_name(cls, value: object) -> object:
        # Presenton's spellings (`DALL_E_3`, `dall-e-3`, ...) are accepted; providers it has
        # and slidestream does not (gemini_flash, stable_diffusion) mean "no provider".
        if value is None:
            return "none"
        if isinstance(value, str):
            name = value.strip().lower().replace("_", "-")
            name = {"dalle-3": "dall-e-3", "dalle3": "dall-e-3"}.get(name, name)
            supported = ("openai", "dall-e-3", "gpt-image-1", "pexels", "pixabay")
            return name if name in supported else "none"
        return value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            hosts = (str(host).strip().lower().strip("[]") for host in value)
            return [host for host in hosts if host]
        return value

    @property
    def resolved_openai_images_url(self) -> str:
        """Base URL of the OpenAI images API."""
        return (
            self.openai_images_url or self.openai_base_url or "https://api.openai.com/v1"
        ).rstrip("/")

    @property
    def images_dir(self) -> Path:
        """Downloaded and generated slide images, served at `/app_data/images/`."""
        return self.data_dir / "images"

    # --- one-shot generation, async tasks and webhooks --------------------------------
    generate_wait_seconds: float = Field(
        default=0,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_GENERATE_WAIT_SECONDS", "generate_wait_seconds"),
        description="Longest a synchronous `generate` request waits (0 = as long as the "
        "generation takes); past it the answer is 504 with the task id to poll.",
    )
    webhook_max_attempts: int = Field(
        default=8,
        ge=1,
        validation_alias=AliasChoices("SLIDESTREAM_WEBHOOK_MAX_ATTEMPTS", "webhook_max_attempts"),
    )
    webhook_backoff_initial: float = Field(
        default=5.0,
        ge=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_WEBHOOK_BACKOFF_INITIAL", "webhook_backoff_initial"
        ),
        description="Delay before the second delivery attempt; doubles (with jitter) after.",
    )
    webhook_backoff_max: float = Field(
        default=3600.0,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_WEBHOOK_BACKOFF_MAX", "webhook_backoff_max"),
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("SLIDESTREAM_WEBHOOK_TIMEOUT", "webhook_timeout_seconds"),
    )

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

    # --- deployment: embedded (default) or distributed ---------------------------------
    jobs: Literal["embedded", "distributed"] = Field(
        default="embedded",
        validation_alias=AliasChoices("SLIDESTREAM_JOBS", "jobs"),
        description="`embedded`: jobs run inside the server process. `distributed`: jobs "
        "are queued in PostgreSQL (procrastinate) and run by `slidestream worker` "
        "processes; needs a PostgreSQL `DATABASE_URL`.",
    )
    worker_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_WORKER_HEARTBEAT_SECONDS", "worker_heartbeat_seconds"
        ),
        description="How often a worker tells the database it is alive.",
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_WORKER_STALLED_SECONDS", "worker_stalled_seconds"
        ),
        description="A worker silent this long is taken for dead: another worker resumes "
        "its jobs from the slides already stored.",
    )

    presenton_strict: bool = Field(
        default=False,
        validation_alias=AliasChoices("SLIDESTREAM_PRESENTON_STRICT", "presenton_strict"),
        description="Stream Presenton's wire exactly: no ids, retry or heartbeats, no commas "
        "between slide chunks, Last-Event-ID ignored, Presenton's response headers.",
    )

    # --- access: API keys, stream tokens and per-key limits ----------------------------
    auth: Literal["auto", "keys", "off"] = Field(
        default="auto",
        validation_alias=AliasChoices("SLIDESTREAM_AUTH", "auth"),
        description="`auto`: API keys are required when the server listens on any address "
        "but loopback, and off on loopback. `keys`: always required. `off`: never (only "
        "behind something else that authenticates).",
    )
    stream_token_seconds: int = Field(
        default=3600,
        ge=10,
        le=86400,
        validation_alias=AliasChoices("SLIDESTREAM_STREAM_TOKEN_SECONDS", "stream_token_seconds"),
        description="How long a deck-scoped stream token opens (and reopens) that deck's streams.",
    )
    key_max_active_generations: int = Field(
        default=4,
        ge=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_KEY_MAX_ACTIVE_GENERATIONS", "key_max_active_generations"
        ),
        description="Generations one key name may have queued or running at once (0 = no limit).",
    )
    key_generations_per_hour: int = Field(
        default=60,
        ge=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_KEY_GENERATIONS_PER_HOUR", "key_generations_per_hour"
        ),
        description="Generations one key name may start in any hour (0 = no limit).",
    )
    key_max_open_streams: int = Field(
        default=50,
        ge=0,
        validation_alias=AliasChoices("SLIDESTREAM_KEY_MAX_OPEN_STREAMS", "key_max_open_streams"),
        description="Streams one key name may hold open at once, per API process (0 = no limit).",
    )
    key_requests_per_minute: int = Field(
        default=600,
        ge=0,
        validation_alias=AliasChoices(
            "SLIDESTREAM_KEY_REQUESTS_PER_MINUTE", "key_requests_per_minute"
        ),
        description="Requests one key name may make in any minute, per API process (0 = no limit).",
    )
    max_concurrent_llm_calls: int = Field(
        default=16,
        ge=1,
        validation_alias=AliasChoices(
            "SLIDESTREAM_MAX_CONCURRENT_LLM_CALLS", "max_concurrent_llm_calls"
        ),
        description="LLM calls one process makes at once; more wait their turn.",
    )

    # --- server --------------------------------------------------------------------
    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SLIDESTREAM_HOST", "host")
    )
    port: int = Field(default=8000, validation_alias=AliasChoices("SLIDESTREAM_PORT", "port"))
    log_level: str = Field(
        default="info", validation_alias=AliasChoices("SLIDESTREAM_LOG_LEVEL", "log_level")
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("SLIDESTREAM_CORS_ORIGINS", "cors_origins"),
        description="Origins whose pages may call the API from a browser (comma-separated or "
        "a JSON list; `*` = any origin, never with credentials); none = same origin only.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return _origin_list(value)

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
    def is_postgresql(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def libpq_database_url(self) -> str:
        """The PostgreSQL URL without SQLAlchemy's driver name, for libpq-style clients."""
        url = self.resolved_database_url
        scheme, _, rest = url.partition("://")
        return "postgresql://" + rest if scheme.startswith("postgresql") else url

    @property
    def keys_required(self) -> bool:
        """Whether every API call needs a key (see `auth`)."""
        if self.auth == "auto":
            return not is_loopback(self.host)
        return self.auth == "keys"

    def deployment_problem(self) -> str | None:
        """Why these settings cannot run, or None."""
        if self.jobs == "distributed" and not self.is_postgresql:
            return (
                "SLIDESTREAM_JOBS=distributed needs a PostgreSQL database: set "
                "DATABASE_URL=postgresql://user:password@host:5432/database"
            )
        if (
            self.jobs == "distributed"
            and self.worker_stalled_seconds <= self.worker_heartbeat_seconds
        ):
            return (
                "SLIDESTREAM_WORKER_STALLED_SECONDS must be longer than "
                "SLIDESTREAM_WORKER_HEARTBEAT_SECONDS"
            )
        return None

    @property
    def exports_dir(self) -> Path:
        """Exported decks, one folder per presentation (names never collide)."""
        return self.data_dir / "exports"

    @property
    def presentations_dir(self) -> Path:
        """Per-presentation files (uploads, exports) live under here."""
        return self.data_dir / "presentations"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def _parse_key_map(value: object) -> object:
    """`caller=key,caller2=key2` or a JSON object, into a mapping (keys may contain `=`)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        return json.loads(text)
    pairs = (item.strip().partition("=") for item in text.split(",") if item.strip())
    return {name.strip(): key.strip() for name, _, key in pairs}


class GatewaySettings(BaseSettings):
    """The gateway's settings (`slidestream gateway`, or the router mounted in a backend),
    read from `SLIDESTREAM_GATEWAY_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix="SLIDESTREAM_GATEWAY_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- upstream -------------------------------------------------------------------
    upstream_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Root of the Presenton-compatible server (its `/api/v1/ppt` is appended).",
    )
    upstream_api_key: str | None = Field(
        default=None, repr=False, description="Sent upstream as `Authorization: Bearer`."
    )
    upstream_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        repr=False,
        description="Per-caller upstream keys (`caller=key,...`); others use upstream_api_key.",
    )
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    request_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Longest wait for a plain (non-stream) upstream answer."
    )
    stream_open_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for an upstream stream's response headers."
    )
    max_upstream_connections: int = Field(
        default=1000,
        ge=1,
        description="Event streams open upstream at once (each holds a connection); plain "
        "calls and downloads have a pool of this size of their own.",
    )

    # --- streams ----------------------------------------------------------------------
    heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="A `: ping` goes out when nothing was sent for this long."
    )
    drain_after_disconnect: bool = Field(
        default=False,
        description="Keep reading an upstream stream to its end after the client left (for "
        "upstreams whose generation dies with the connection, as Presenton's does).",
    )
    drain_timeout_seconds: float = Field(
        default=1800.0, gt=0, description="Longest a left stream is drained."
    )
    resume_attempts: int = Field(
        default=3,
        ge=0,
        description="Reconnections to the upstream, with `Last-Event-ID`, when a stream that "
        "carries ids breaks mid-way (per break; 0 = send the client an error frame at once).",
    )
    resume_backoff_seconds: float = Field(
        default=0.5,
        gt=0,
        description="Wait before the first reconnection; doubled for each next one, "
        "jittered to 50-100 %.",
    )
    resume_backoff_max_seconds: float = Field(
        default=5.0, gt=0, description="Longest wait between two reconnections."
    )

    # --- one-shot generation ------------------------------------------------------------
    generate_wait_seconds: float = Field(
        default=0,
        ge=0,
        description="Longest a synchronous `generate` waits (0 = as long as it takes); past "
        "it the answer is 504 naming the task to poll.",
    )
    generate_poll_seconds: float = Field(
        default=1.0, gt=0, description="Longest interval between status polls of a `generate`."
    )

    # --- standalone gateway -------------------------------------------------------------
    api_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        repr=False,
        description="Callers and their keys (`caller=key,...` or JSON); none = every request "
        "is refused.",
    )
    query_api_keys: bool = Field(
        default=False,
        description="Also accept the key as an `api_key` query parameter (EventSource cannot "
        "send headers); it then appears in access logs.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call (comma-separated or a JSON list); none = closed.",
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(
        default=None, description="Who owns what; defaults to `gateway.db` in data_dir."
    )
    host: str = "127.0.0.1"
    port: int = 8100
    log_level: str = "info"

    @field_validator("api_keys", "upstream_keys", mode="before")
    @classmethod
    def _key_map(cls, value: object) -> object:
        return _parse_key_map(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return _origin_list(value)

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL of the ownership store."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'gateway.db'}"
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if self.database_url.startswith(plain):
                return driver + self.database_url[len(plain) :]
        return self.database_url
