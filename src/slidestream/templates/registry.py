"""The built-in template groups, loaded from the JSON files shipped in this package."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from slidestream.domain.layouts import PresentationLayoutModel

DEFAULT_LAYOUT_GROUP = "general"
BUILT_IN_GROUPS = ("general",)


class LayoutGroupNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class LayoutGroupSummary(BaseModel):
    name: str
    description: str
    layouts: int
    default: bool


@cache
def _load(name: str) -> tuple[PresentationLayoutModel, str]:
    raw: dict[str, Any] = json.loads(
        files("slidestream.templates").joinpath(name, "layouts.json").read_text()
    )
    return PresentationLayoutModel.model_validate(raw), str(raw.get("description", ""))


def get_layout_group(name: str) -> PresentationLayoutModel:
    """A built-in group by name (a fresh copy: callers may not mutate the cache)."""
    if name not in BUILT_IN_GROUPS:
        raise LayoutGroupNotFound(name)
    return _load(name)[0].model_copy(deep=True)


def list_layout_groups() -> list[LayoutGroupSummary]:
    summaries = []
    for name in BUILT_IN_GROUPS:
        group, description = _load(name)
        summaries.append(
            LayoutGroupSummary(
                name=name,
                description=description,
                layouts=len(group.slides),
                default=name == DEFAULT_LAYOUT_GROUP,
            )
        )
    return summaries
