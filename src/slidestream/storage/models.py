"""SQLAlchemy models: presentations, their slides and their generation jobs.

The database is the source of truth for everything a stream reader sends: the streamed
outline text, the slides (each written as soon as it is generated) and the run/status
fields that say where a generation stands.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE_JOB_STATUSES = ("queued", "running")


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the storage layer uses."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PresentationRow(Base):
    """One presentation: the request parameters, outline, structure and generation state."""

    __tablename__ = "presentations"
    __table_args__ = (Index("ix_presentations_owner_created_at", "owner", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    content: Mapped[str] = mapped_column(Text, default="")
    n_slides: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    file_paths: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    outlines: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    layout: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    structure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    instructions: Mapped[str | None] = mapped_column(Text, nullable=True)
    tone: Mapped[str] = mapped_column(String(40), default="default")
    verbosity: Mapped[str] = mapped_column(String(40), default="standard")
    include_table_of_contents: Mapped[bool] = mapped_column(Boolean, default=False)
    include_title_slide: Mapped[bool] = mapped_column(Boolean, default=True)
    web_search: Mapped[bool] = mapped_column(Boolean, default=False)
    # The owner (an API key's name) that made it; None: made without keys (CLI, keys off).
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    # Outline generation: `outline_text` is the raw streamed JSON text, saved while it
    # streams so a reader on any process can resume at a character offset.
    outline_status: Mapped[str] = mapped_column(String(20), default="none")
    outline_run: Mapped[int] = mapped_column(Integer, default=0)
    outline_text: Mapped[str] = mapped_column(Text, default="")
    outline_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Deck generation: a run is one stream epoch; slides survive a resumed run and are
    # deleted only by an explicit regeneration.
    deck_status: Mapped[str] = mapped_column(String(20), default="none")
    deck_run: Mapped[int] = mapped_column(Integer, default=0)
    deck_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    # "llm" or "offline": which engine drafted the outline and slides.
    generation_mode: Mapped[str] = mapped_column(String(20), default="llm")

    slides: Mapped[list[SlideRow]] = relationship(
        back_populates="presentation_row",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SlideRow.index",
    )


class SlideRow(Base):
    """One generated slide; at most one per (presentation, index)."""

    __tablename__ = "slides"
    __table_args__ = (
        UniqueConstraint("presentation", "index", name="uq_slides_presentation_index"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    presentation: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("presentations.id", ondelete="CASCADE"), index=True
    )
    layout_group: Mapped[str] = mapped_column(String(200))
    layout: Mapped[str] = mapped_column(String(300))
    index: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    html_content: Mapped[str | None] = mapped_column(Text, nullable=True)
    speaker_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    presentation_row: Mapped[PresentationRow] = relationship(back_populates="slides")


class JobRow(Base):
    """A unit of background work. At most one active (queued/running) job per presentation."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_one_active_per_presentation",
            "presentation_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_jobs_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    presentation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("presentations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    run: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TaskRow(Base):
    """A one-shot generation (`generate` or `generate/async`): its job and its outcome.

    Progress (`created_slides`) is not stored here: the status endpoint counts the stored
    slides when asked, so a task costs no writes per slide."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    presentation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("presentations.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    message: Mapped[str] = mapped_column(Text, default="Queued for generation")
    export_as: Mapped[str] = mapped_column(String(10), default="pptx")
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class WebhookSubscriptionRow(Base):
    """A URL told about finished or failed generations."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    event: Mapped[str] = mapped_column(String(80), index=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDeliveryRow(Base):
    """One event for one subscription, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ApiKeyRow(Base):
    """An API key. Only its SHA-256 is stored; `name` is the owner its resources belong
    to, so several keys of one name (a rotation) share their decks."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GenerationStartRow(Base):
    """One generation started by an owner: what the hourly per-key limit counts. Kept
    apart from jobs so deleting a deck does not give its generations back."""

    __tablename__ = "generation_starts"
    __table_args__ = (Index("ix_generation_starts_owner_at", "owner", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServerSecretRow(Base):
    """Secrets every process of a deployment shares (the stream-token signing key),
    made once by whichever process starts first."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
