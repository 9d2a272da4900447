"""The built-in `general` template group."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

from slidestream.templates.registry import (
    DEFAULT_LAYOUT_GROUP,
    get_layout_group,
    list_layout_groups,
)

TOC = re.compile(r"table of contents|agenda|contents|outline|index|toc", re.IGNORECASE)


def walk(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        found.append(schema)
        for value in schema.values():
            found.extend(walk(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(walk(value))
    return found


def test_general_is_the_default_and_has_the_needed_layouts() -> None:
    assert DEFAULT_LAYOUT_GROUP == "general"
    group = get_layout_group("general")
    ids = [s.id for s in group.slides]
    assert len(ids) == len(set(ids)) >= 8
    assert all(i.startswith("general:") for i in ids)
    for needed in (
        "title-slide",
        "agenda",
        "bullet-list",
        "bullets-with-image",
        "two-columns",
        "metrics",
        "quote",
        "timeline",
        "closing",
    ):
        assert f"general:{needed}" in ids
    assert [g.name for g in list_layout_groups()] == ["general"]


def test_every_schema_is_valid_and_bounded() -> None:
    for layout in get_layout_group("general").slides:
        Draft202012Validator.check_schema(layout.json_schema)
        assert layout.description and layout.name
        for node in walk(layout.json_schema):
            if node.get("type") == "string" and node is not layout.json_schema:
                assert "maxLength" in node, layout.id
            if node.get("type") == "array":
                assert "maxItems" in node and "minItems" in node, layout.id


def test_only_the_agenda_looks_like_a_table_of_contents() -> None:
    for layout in get_layout_group("general").slides:
        text = " ".join(
            [
                layout.id,
                layout.name or "",
                layout.description or "",
                str(layout.json_schema.get("title", "")),
            ]
        )
        assert bool(TOC.search(text)) == (layout.id == "general:agenda"), layout.id


def test_callers_get_a_copy() -> None:
    group = get_layout_group("general")
    group.slides.clear()
    assert get_layout_group("general").slides
