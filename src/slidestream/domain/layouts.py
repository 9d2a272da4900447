"""Presenton's layout model: a template group and its slide layouts with JSON schemas.

These are the exact shapes Presenton's front ends send as `layout` in `/presentation/prepare`
(`models/presentation_layout.py` upstream). Unknown fields are ignored rather than rejected
because later front ends add fields such as `icon_weight` that slidestream does not use.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Generous bounds: they only exist so that an untrusted request cannot make us store or
# prompt with absurd payloads; real template groups are far below them.
MAX_LAYOUT_ID_LENGTH = 300
MAX_GROUP_NAME_LENGTH = 200
MAX_LAYOUTS_PER_GROUP = 200


class SlideLayoutModel(BaseModel):
    """One slide layout: an id, a name and description an LLM can choose by, a content schema."""

    model_config = ConfigDict(extra="ignore")

    # Not blank: the id is echoed as the slide's `layout`, and a blank one would be useless
    # to clients. A pattern rather than a validator, so the schema says it too.
    id: str = Field(min_length=1, max_length=MAX_LAYOUT_ID_LENGTH, pattern=r"[^\s\x00-\x1f\x7f]")
    name: str | None = None
    description: str | None = None
    json_schema: dict[str, Any]
    # Omitted from the output when absent, so clients' own layouts round-trip unchanged.
    kind: str | None = Field(
        default=None,
        max_length=100,
        exclude_if=lambda value: value is None,
        description=(
            "slidestream's layout kind (see `templates/kinds.py`): how the slide is drawn. "
            "Set on the built-in layouts; absent on clients' own layouts."
        ),
    )


class PresentationLayoutModel(BaseModel):
    """A template group; `ordered` means slide i uses layout i (no structure choice)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=MAX_GROUP_NAME_LENGTH)
    ordered: bool = False
    slides: list[SlideLayoutModel] = Field(min_length=1, max_length=MAX_LAYOUTS_PER_GROUP)
