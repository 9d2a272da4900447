"""Presenton's layout model: a template group and its slide layouts with JSON schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SlideLayoutModel(BaseModel):
    """One slide layout: an id, a description an LLM can choose by, and a content schema."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=300)
    name: str | None = None
    description: str | None = None
    json_schema: dict[str, Any]


class PresentationLayoutModel(BaseModel):
    """A template group; `ordered` means slide i uses layout i (no structure choice)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    ordered: bool = False
    slides: list[SlideLayoutModel] = Field(min_length=1, max_length=200)
