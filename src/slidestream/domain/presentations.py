"""Request and response models of the Presenton-compatible presentation API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from slidestream.domain.layouts import PresentationLayoutModel

MIN_SLIDES = 1
MAX_SLIDES = 50


def _iso_utc(value: datetime) -> str:
    # SQLite hands back naive datetimes; every timestamp we store is UTC, so say so.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(_iso_utc, return_type=str)]


class Tone(StrEnum):
    DEFAULT = "default"
    CASUAL = "casual"
    PROFESSIONAL = "professional"
    FUNNY = "funny"
    EDUCATIONAL = "educational"
    SALES_PITCH = "sales_pitch"


class Verbosity(StrEnum):
    CONCISE = "concise"
    STANDARD = "standard"
    TEXT_HEAVY = "text-heavy"


class CreatePresentationRequest(BaseModel):
    """Body of `POST /presentation/create` (Presenton field names and defaults)."""

    content: str = Field(description="The prompt or topic; may be empty when documents are given.")
    n_slides: int = Field(description=f"Number of slides, {MIN_SLIDES}..{MAX_SLIDES}.")
    language: str = Field(
        default="",
        max_length=100,
        description="Language of the slides; empty means the language of the prompt.",
    )
    file_paths: list[str] | None = None
    tone: Tone = Tone.DEFAULT
    verbosity: Verbosity = Verbosity.STANDARD
    instructions: str | None = None
    include_table_of_contents: bool = False
    include_title_slide: bool = True
    web_search: bool = False


class SlideOutline(BaseModel):
    content: str


class OutlineModel(BaseModel):
    """Presenton's `PresentationOutlineModel`: `{"slides": [{"content": ...}]}`."""

    slides: list[SlideOutline]


class PrepareRequest(BaseModel):
    """Body of `POST /presentation/prepare`."""

    presentation_id: uuid.UUID
    outlines: list[SlideOutline]
    layout: PresentationLayoutModel | None = Field(
        default=None,
        description="The template group to use; omitted means the built-in default group.",
    )
    title: str | None = Field(default=None, max_length=500)


class SlideModel(BaseModel):
    """A slide as Presenton serialises it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    presentation: uuid.UUID
    layout_group: str
    layout: str
    index: int
    content: dict[str, Any]
    html_content: str | None = None
    speaker_note: str | None = None
    properties: dict[str, Any] | None = None


class SlideUpdate(BaseModel):
    """A slide in a `PATCH /presentation/update` body; a missing id makes a new slide."""

    id: uuid.UUID | None = None
    layout_group: str = Field(max_length=200)
    layout: str = Field(max_length=300)
    index: int = Field(ge=0, lt=MAX_SLIDES * 2)
    content: dict[str, Any]
    html_content: str | None = None
    speaker_note: str | None = None
    properties: dict[str, Any] | None = None


class UpdatePresentationRequest(BaseModel):
    """Body of `PATCH /presentation/update`."""

    id: uuid.UUID
    title: str | None = Field(default=None, max_length=500)
    n_slides: int | None = None
    slides: list[SlideUpdate] | None = None


GenerationMode = Literal["llm", "offline"]


class GenerationState(BaseModel):
    """Where outline and deck generation stand (slidestream addition; clients may ignore it)."""

    outline_status: str
    outline_run: int
    deck_status: str
    deck_run: int
    error: str | None = None
    offline_draft: bool = Field(
        default=False,
        description="True when the offline engine drafted the deck (no LLM): edit before use.",
    )


class PresentationModel(BaseModel):
    """The full presentation row, as `create`, `prepare` and the outline stream return it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    content: str
    n_slides: int
    language: str
    file_paths: list[str] | None = None
    instructions: str | None = None
    tone: str
    verbosity: str
    include_table_of_contents: bool
    include_title_slide: bool
    web_search: bool
    title: str | None = None
    outlines: dict[str, Any] | None = None
    layout: dict[str, Any] | None = None
    structure: dict[str, Any] | None = None
    created_at: Timestamp
    updated_at: Timestamp
    generation_mode: GenerationMode = "llm"
    generation: GenerationState


class PresentationWithSlides(BaseModel):
    """A presentation with its slides ordered by index (`GET /presentation/{id}`)."""

    id: uuid.UUID
    content: str
    n_slides: int
    language: str
    title: str | None = None
    created_at: Timestamp
    updated_at: Timestamp
    tone: str
    verbosity: str
    slides: list[SlideModel]
    generation_mode: GenerationMode = "llm"
    generation: GenerationState


class SlideRegenerateRequest(BaseModel):
    """Body of `POST /slide/regenerate` (slidestream addition)."""

    id: uuid.UUID = Field(description="The slide to regenerate.")
    prompt: str | None = Field(
        default=None, max_length=4000, description="Optional extra instruction for this slide."
    )


class StreamTokenModel(BaseModel):
    """A deck-scoped stream token and the two stream URLs that carry it."""

    token: str
    expires_at: datetime
    expires_in: int = Field(description="Seconds the token stays valid")
    stream_url: str
    outline_stream_url: str
