"""One-shot generation (`generate`, `generate/async`, `status`) and webhook shapes."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from slidestream.domain.presentations import Timestamp, Tone, Verbosity

TaskStatus = Literal["pending", "completed", "error"]
WebhookEvent = Literal["presentation.generation.completed", "presentation.generation.failed"]


class GeneratePresentationRequest(BaseModel):
    """Body of `POST /presentation/generate` and `/generate/async` (Presenton's defaults)."""

    content: str = Field(description="The prompt or topic; may be empty with markdown or files.")
    slides_markdown: list[str] | None = Field(
        default=None,
        description="One markdown text per slide: used as the outline (no outline call); "
        "n_slides becomes its length.",
    )
    instructions: str | None = None
    tone: Tone = Tone.DEFAULT
    verbosity: Verbosity = Verbosity.STANDARD
    web_search: bool = False
    n_slides: int = 8
    language: str = Field(default="English", max_length=100)
    template: str = Field(default="general", max_length=200)
    include_table_of_contents: bool = False
    include_title_slide: bool = True
    files: list[str] | None = Field(
        default=None, description="Paths returned by `/files/upload` or `/files/decompose`."
    )
    export_as: Literal["pptx", "pdf"] = "pptx"
    trigger_webhook: bool = Field(
        default=False, description="Accepted for compatibility; webhooks always fire."
    )
    title: str | None = Field(default=None, max_length=500)


class PresentationPathAndEditPath(BaseModel):
    """Where a generated deck's file is, and where to edit it."""

    presentation_id: uuid.UUID
    path: str
    edit_path: str


class TaskData(BaseModel):
    presentation_id: uuid.UUID
    created_slides: int
    remaining_slides: int
    path: str | None = None
    edit_path: str | None = None


class TaskError(BaseModel):
    status_code: int
    detail: str


class TaskModel(BaseModel):
    """An async generation task, as `generate/async` and `status/{id}` return it."""

    id: str
    type: Literal["presentation.generate"] = "presentation.generate"
    status: TaskStatus
    message: str
    data: TaskData
    error: TaskError | None = None
    created_at: Timestamp
    updated_at: Timestamp


class WebhookSubscribeRequest(BaseModel):
    url: str = Field(max_length=2000)
    secret: str | None = Field(default=None, max_length=500)
    event: WebhookEvent


class WebhookSubscribeResponse(BaseModel):
    id: str


class WebhookUnsubscribeRequest(BaseModel):
    id: str = Field(max_length=80)


class WebhookSubscriptionModel(BaseModel):
    id: str
    url: str
    event: str
    has_secret: bool
    created_at: Timestamp


class WebhookDeliveryModel(BaseModel):
    """One event sent (or being sent) to one subscription."""

    id: uuid.UUID
    subscription_id: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: Timestamp | None
    payload: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
