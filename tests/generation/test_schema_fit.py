"""Fitting slide content to a layout schema."""

from __future__ import annotations

from typing import Any

from slidestream.generation.schema_fit import (
    fill_asset_placeholders,
    fit_to_schema,
    llm_schema_for,
    speaker_note_of,
    validation_errors,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 20},
        "points": {"type": "array", "items": {"type": "string", "maxLength": 15}, "maxItems": 2},
        "count": {"type": "integer"},
        "image": {
            "type": "object",
            "properties": {
                "__image_prompt__": {"type": "string"},
                "__image_url__": {"type": "string"},
            },
            "required": ["__image_prompt__", "__image_url__"],
        },
    },
    "required": ["title", "points", "count", "image"],
    "additionalProperties": False,
}


def test_llm_schema_drops_urls_at_any_depth_and_asks_for_a_note() -> None:
    schema = llm_schema_for(SCHEMA)
    assert "__image_url__" not in schema["properties"]["image"]["properties"]
    assert schema["properties"]["image"]["required"] == ["__image_prompt__"]
    assert "__speaker_note__" in schema["required"]
    assert "__image_url__" in SCHEMA["properties"]["image"]["properties"]  # input untouched


def test_fit_makes_close_answers_valid() -> None:
    schema = llm_schema_for(SCHEMA)
    answer = {
        "title": "A title that goes on for far too long",
        "points": ["short", "another point that is long", "third"],
        "count": "7",
        "image": {"__image_prompt__": "a sunny roof"},
        "extra": "dropped",
        "__speaker_note__": "Explain the numbers to the audience slowly.",
    }
    assert validation_errors(answer, schema)
    fitted = fit_to_schema(answer, schema)
    assert validation_errors(fitted, schema) == []
    assert isinstance(fitted, dict)
    assert len(fitted["title"]) <= 20 and fitted["title"].startswith("A title")
    assert fitted["count"] == 7 and "extra" not in fitted
    assert answer["points"][1] == "another point that is long"  # input untouched


def test_fit_leaves_valid_content_unchanged() -> None:
    schema = llm_schema_for(SCHEMA)
    valid = {
        "title": "Solar",
        "points": ["one"],
        "count": 2,
        "image": {"__image_prompt__": "roof"},
        "__speaker_note__": "Twenty characters or more here.",
    }
    assert fit_to_schema(valid, schema) == valid


def test_validation_messages_name_the_path() -> None:
    errors = validation_errors({"title": 5}, SCHEMA)
    assert any(e.startswith("title:") for e in errors)
    assert any(e.startswith("(root):") for e in errors)


def test_placeholders_fill_images_and_icons_at_any_depth() -> None:
    content = {
        "a": [{"b": {"__image_prompt__": "x"}}],
        "icon": {"__icon_query__": "sun", "__icon_url__": ""},
    }
    filled = fill_asset_placeholders(content, "/img.svg", "/icon.svg")
    assert filled["a"][0]["b"]["__image_url__"] == "/img.svg"
    assert filled["icon"]["__icon_url__"] == "/icon.svg"
    assert "__image_url__" not in content["a"][0]["b"]


def test_speaker_note_of() -> None:
    assert speaker_note_of({"__speaker_note__": "  hi  "}) == "hi"
    assert speaker_note_of({}) == ""
