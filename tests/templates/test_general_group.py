"""The built-in `general` template group and the registry that serves it.

What every group shares (schemas, limits, descriptions, kinds, themes) is tested for all of
them in `test_groups.py`; this file keeps what is particular to the default group."""

from __future__ import annotations

import json

import pytest

from slidestream.templates.registry import (
    DEFAULT_LAYOUT_GROUP,
    LayoutGroupNotFound,
    get_layout_group,
    list_layout_groups,
)

GENERAL = get_layout_group("general")
LAYOUTS = {layout.id: layout for layout in GENERAL.slides}


def test_general_is_the_default_group_and_is_listed() -> None:
    assert DEFAULT_LAYOUT_GROUP == "general"
    summaries = list_layout_groups()
    assert summaries[0].name == "general"
    assert summaries[0].default is True
    assert summaries[0].layouts == len(GENERAL.slides)
    assert "general-purpose" in summaries[0].description
    assert [s.name for s in summaries if s.default] == ["general"]


def test_ids_are_stable_and_table_and_chart_were_added() -> None:
    # Stored presentations name their slides' layouts by these ids: never rename them.
    assert [layout.id for layout in GENERAL.slides] == [
        "general:title-slide",
        "general:agenda",
        "general:bullet-list",
        "general:bullets-with-image",
        "general:two-columns",
        "general:icon-cards",
        "general:metrics",
        "general:quote",
        "general:timeline",
        "general:table",
        "general:chart",
        "general:closing",
    ]


def test_unknown_group_raises_a_lookup_error() -> None:
    for name in ("nope", "", "../general", "general/layouts.json", "GENERAL"):
        with pytest.raises(LayoutGroupNotFound) as raised:
            get_layout_group(name)
        assert isinstance(raised.value, LookupError)
        assert raised.value.name == name


def test_callers_get_a_copy_of_the_cached_group() -> None:
    group = get_layout_group("general")
    group.slides[0].json_schema["properties"].clear()
    group.slides[0].kind = "quote"
    group.slides.clear()
    fresh = get_layout_group("general")
    assert fresh == GENERAL
    assert fresh.slides[0].json_schema["properties"]
    assert fresh.slides[0].kind == "title"


def test_some_layouts_carry_images_and_icons() -> None:
    text = {layout.id: json.dumps(layout.json_schema) for layout in GENERAL.slides}
    assert "__image_prompt__" in text["general:bullets-with-image"]
    assert any("__icon_query__" in schema for schema in text.values())
