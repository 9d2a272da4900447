"""The built-in template groups, loaded from the JSON files shipped inside this package.

Each group is a folder `templates/<name>/` holding `layouts.json`: Presenton's
`PresentationLayoutModel` (`name`, `ordered`, `slides`) plus a `description` for listings,
every layout naming its `kind` (see `kinds.py`); and `theme.json`, the group's `Theme`.
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
from slidestream.templates.kinds import KINDS
from slidestream.templates.themes import Theme, ThemeColors, ThemeFonts

DEFAULT_LAYOUT_GROUP = "general"
LAYOUTS_FILE = "layouts.json"
THEME_FILE = "theme.json"


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
    # From the group's theme, for previews in a template picker.
    theme_description: str
    fonts: ThemeFonts
    colors: ThemeColors


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


def _read(name: str, file: str) -> Any:
    return json.loads(_templates_dir().joinpath(name, file).read_text(encoding="utf-8"))


@cache
def _load(name: str) -> tuple[PresentationLayoutModel, str]:
    raw: dict[str, Any] = _read(name, LAYOUTS_FILE)
    group = PresentationLayoutModel.model_validate(raw)
    for slide in group.slides:
        # The geometry places built-in layouts by kind: one without a known kind is a
        # packaging mistake, better found at load than as a misdrawn slide.
        if slide.kind not in KINDS:
            raise ValueError(f"built-in layout {slide.id!r} has unknown kind {slide.kind!r}")
    return group, str(raw.get("description", ""))


@cache
def _load_theme(name: str) -> Theme:
    return Theme.model_validate(_read(name, THEME_FILE))


def _check(name: str) -> None:
    # Checking against the discovered names also keeps user input such as "../x" from
    # ever reaching the file system.
    if name not in _group_names():
        raise LayoutGroupNotFound(name)


def get_layout_group(name: str) -> PresentationLayoutModel:
    """A built-in group by name, as a fresh copy; raises `LayoutGroupNotFound`."""
    _check(name)
    return _load(name)[0].model_copy(deep=True)


def get_theme(name: str) -> Theme:
    """A built-in group's theme, as a fresh copy; raises `LayoutGroupNotFound`."""
    _check(name)
    return _load_theme(name).model_copy(deep=True)


@cache
def _kinds_by_id() -> dict[str, str]:
    return {
        slide.id: slide.kind
        for name in _group_names()
        for slide in _load(name)[0].slides
        if slide.kind is not None
    }


def layout_kind(layout_id: str) -> str | None:
    """The kind of a built-in layout (of any group) by its id; None for any other id."""
    return _kinds_by_id().get(layout_id)


def list_layout_groups() -> list[LayoutGroupSummary]:
    """Every built-in group with its description, number of layouts and theme preview
    (fonts and colours), default first."""
    summaries = []
    for name in _group_names():
        group, description = _load(name)
        theme = _load_theme(name)
        summaries.append(
            LayoutGroupSummary(
                name=name,
                description=description,
                layouts=len(group.slides),
                default=name == DEFAULT_LAYOUT_GROUP,
                theme_description=theme.description,
                fonts=theme.fonts.model_copy(),
                colors=theme.colors.model_copy(),
            )
        )
    return summaries
