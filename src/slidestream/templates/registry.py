"""The built-in template groups, loaded from the JSON files shipped inside this package.

Each group is a folder `templates/<name>/` holding `layouts.json`: Presenton's
`PresentationLayoutModel` (`name`, `ordered`, `slides`) plus a `description` for listings.
Groups are discovered from the folders, loaded on first use and cached; callers always get
a deep copy, so nothing they do can change what the next caller sees.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import BaseModel

from slidestream.domain.layouts import PresentationLayoutModel

DEFAULT_LAYOUT_GROUP = "general"
LAYOUTS_FILE = "layouts.json"


class LayoutGroupNotFound(LookupError):
    """No built-in template group has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class LayoutGroupSummary(BaseModel):
    """One line of the template-group listing."""

    name: str
    description: str
    layouts: int
    default: bool


def _templates_dir() -> Traversable:
    return files("slidestream.templates")


@cache
def _group_names() -> tuple[str, ...]:
    # Discovered from the package rather than hard-coded, so adding a group is adding a
    # folder. Folders without a layouts file (themes, fonts, ...) are not groups.
    names = [
        entry.name
        for entry in _templates_dir().iterdir()
        if entry.is_dir() and entry.joinpath(LAYOUTS_FILE).is_file()
    ]
    # The default group first, the rest alphabetically: a stable order for listings.
    return tuple(sorted(names, key=lambda name: (name != DEFAULT_LAYOUT_GROUP, name)))


@cache
def _load(name: str) -> tuple[PresentationLayoutModel, str]:
    text = _templates_dir().joinpath(name, LAYOUTS_FILE).read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return PresentationLayoutModel.model_validate(raw), str(raw.get("description", ""))


def get_layout_group(name: str) -> PresentationLayoutModel:
    """A built-in group by name, as a fresh copy; raises `LayoutGroupNotFound`."""
    # Checking against the discovered names also keeps user input such as "../x" from
    # ever reaching the file system.
    if name not in _group_names():
        raise LayoutGroupNotFound(name)
    return _load(name)[0].model_copy(deep=True)


def list_layout_groups() -> list[LayoutGroupSummary]:
    """Every built-in group with its description and number of layouts, default first."""
    summaries = []
    for name in _group_names():
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
