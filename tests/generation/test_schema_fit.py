"""Slide content against layout schemas: the model's schema, validation, fitting."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from slidestream.domain.layouts import SlideLayoutModel
from slidestream.generation.schema_fit import (
    content_schema_for,
    fill_asset_placeholders,
    fit_to_schema,
    llm_schema_for,
    speaker_note_of,
    validation_errors,
)
from slidestream.templates.registry import get_layout_group
from tests.templates.schema_instances import instance, text_of

GENERAL = get_layout_group("general").slides
NOTE = "Explain the numbers to the audience slowly."

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

NESTED: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "card": {
            "type": "object",
            "properties": {
                "icon": {
                    "type": "object",
                    "properties": {
                        "__icon_query__": {"type": "string", "maxLength": 30},
                        "__icon_url__": {"type": "string"},
                    },
                    "required": ["__icon_query__", "__icon_url__"],
                    "additionalProperties": False,
                },
                "text": {"type": "string", "minLength": 5, "maxLength": 24},
            },
            "required": ["icon", "text"],
            "additionalProperties": False,
        }
    },
    "properties": {
        "cards": {"type": "array", "items": {"$ref": "#/$defs/card"}, "maxItems": 3},
        "gallery": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "__image_prompt__": {"type": "string"},
                        "__image_url__": {"type": "string"},
                    },
                },
            },
        },
    },
    "required": ["cards"],
}


# --- llm_schema_for / content_schema_for -------------------------------------------------


def test_llm_schema_drops_urls_and_asks_for_a_note() -> None:
    original = copy.deepcopy(SCHEMA)
    schema = llm_schema_for(SCHEMA)
    assert "__image_url__" not in schema["properties"]["image"]["properties"]
    assert schema["properties"]["image"]["required"] == ["__image_prompt__"]
    assert schema["properties"]["__speaker_note__"] == {
        "type": "string",
        "minLength": 20,
        "maxLength": 300,
    }
    assert schema["required"] == ["title", "points", "count", "image", "__speaker_note__"]
    assert original == SCHEMA  # input untouched


def test_llm_schema_drops_urls_at_any_depth() -> None:
    schema = llm_schema_for(NESTED)
    icon = schema["$defs"]["card"]["properties"]["icon"]
    assert set(icon["properties"]) == {"__icon_query__"} and icon["required"] == ["__icon_query__"]
    image = schema["properties"]["gallery"]["items"]["items"]
    assert set(image["properties"]) == {"__image_prompt__"}
    assert "__speaker_note__" in schema["required"]
    assert "__icon_url__" in json.dumps(NESTED)


@pytest.mark.parametrize("layout", GENERAL, ids=lambda layout: layout.id)
def test_llm_schemas_of_the_general_group(layout: SlideLayoutModel) -> None:
    schema = llm_schema_for(layout.json_schema)
    text = json.dumps(schema)
    assert "__image_url__" not in text and "__icon_url__" not in text
    assert schema["required"][-1] == "__speaker_note__"
    assert validation_errors({}, schema)  # still demands content


def test_content_schema_keeps_urls_and_adds_the_note() -> None:
    schema = content_schema_for(SCHEMA)
    assert "__image_url__" in schema["properties"]["image"]["properties"]
    assert "__speaker_note__" in schema["required"]
    assert "__speaker_note__" not in SCHEMA["properties"]


# --- validation_errors ---------------------------------------------------------------------


def test_valid_content_has_no_errors() -> None:
    content = {"title": "Solar", "points": [], "count": 1, "image": {}}
    content["image"] = {"__image_prompt__": "roof", "__image_url__": "/x.png"}
    assert validation_errors(content, SCHEMA) == []


def test_messages_name_the_json_path_and_the_problem() -> None:
    errors = validation_errors({"title": 5, "points": ["a" * 16], "extra": 1}, SCHEMA)
    assert "$.title: 5 is not of type 'string'" in errors
    assert "$.points[0]: text is 16 characters long, it must be at most 15" in errors
    assert any(e.startswith("$: 'count' is a required property") for e in errors)
    assert any(e.startswith("$: Additional properties are not allowed") for e in errors)
    assert errors == sorted(errors, key=lambda e: (e.split(":")[0] != "$", e))


def test_messages_are_sorted_by_path_numerically_and_capped() -> None:
    schema = {"type": "array", "items": {"type": "string", "maxLength": 1}, "maxItems": 3}
    errors = validation_errors(["xx"] * 30, schema)
    assert len(errors) == 20
    assert errors[0] == "$: has 30 items, it must have at most 3"
    assert [e.split(":")[0] for e in errors[1:4]] == ["$[0]", "$[1]", "$[2]"]
    assert errors[10].startswith("$[9]:") and errors[11].startswith("$[10]:")


def test_long_messages_are_shortened() -> None:
    errors = validation_errors(
        {"count": "x" * 1000}, {"properties": {"count": {"type": "integer"}}}
    )
    assert len(errors) == 1 and len(errors[0]) < 220


def test_a_broken_schema_is_reported_not_raised() -> None:
    errors = validation_errors({}, {"type": 5})
    assert len(errors) == 1 and "schema" in errors[0]
    assert validation_errors({}, {"$ref": "#/nowhere"})[0].startswith("$: the layout's schema")


# --- fit_to_schema -------------------------------------------------------------------------


def test_fit_makes_close_answers_valid_without_touching_the_input() -> None:
    schema = llm_schema_for(SCHEMA)
    answer = {
        "title": "A title that goes on for far too long",
        "points": ["short", "another point that is long", "third"],
        "count": "7",
        "image": {"__image_prompt__": "a sunny roof"},
        "extra": "dropped",
        "__speaker_note__": NOTE,
    }
    original = copy.deepcopy(answer)
    fitted = fit_to_schema(answer, schema)
    assert validation_errors(fitted, schema) == []
    assert fitted == {
        "title": "A title that goes…",
        "points": ["short", "another point…"],
        "count": 7,
        "image": {"__image_prompt__": "a sunny roof"},
        "__speaker_note__": NOTE,
    }
    assert answer == original


def test_fit_leaves_valid_content_unchanged_but_returns_a_copy() -> None:
    schema = llm_schema_for(SCHEMA)
    valid = {
        "title": "Exactly twenty chars",
        "points": ["one", "fifteen chars!!"],
        "count": 2,
        "image": {"__image_prompt__": "roof"},
        "__speaker_note__": NOTE,
    }
    fitted = fit_to_schema(valid, schema)
    assert fitted == valid and fitted is not valid
    assert isinstance(fitted, dict) and fitted["image"] is not valid["image"]


@pytest.mark.parametrize(
    ("text", "limit", "minimum", "expected"),
    [
        ("one two three four", 12, 0, "one two…"),  # cut at a word, ellipsis fits
        ("one two three four", 8, 0, "one two…"),  # the cut already ends a word
        ("abcdefghijklmnop", 6, 0, "abcde…"),  # no word boundary: hard cut + ellipsis
        ("one, two, three", 10, 0, "one, two…"),  # no dangling punctuation
        ("one two three four", 12, 10, "one two thr…"),  # a word cut is too short
        ("   abcdef", 4, 0, "   a"),  # nothing but blanks before the cut
        ("abc", 1, 0, "a"),  # no room for an ellipsis
        ("abc", 0, 0, ""),
    ],
)
def test_truncation(text: str, limit: int, minimum: int, expected: str) -> None:
    schema = {"type": "string", "minLength": minimum, "maxLength": limit}
    fitted = fit_to_schema(text, schema)
    assert fitted == expected
    assert validation_errors(fitted, schema) == []


def test_short_strings_and_short_arrays_are_left_for_validation_to_report() -> None:
    schema = {"type": "object", "properties": {"t": {"type": "string", "minLength": 5}}}
    assert fit_to_schema({"t": "ab"}, schema) == {"t": "ab"}
    assert fit_to_schema([1], {"type": "array", "minItems": 3}) == [1]


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("7", {"type": "integer"}, 7),
        ("1,200", {"type": "integer"}, 1200),
        (" 2.5 ", {"type": "number"}, 2.5),
        ("42%", {"type": "number"}, 42),
        ("$3", {"type": "integer"}, 3),
        ("many", {"type": "integer"}, "many"),
        ("nan", {"type": "number"}, "nan"),
        (12, {"type": "string", "maxLength": 5}, "12"),
        (2.0, {"type": "string"}, "2.0"),
        (150, {"type": "integer", "maximum": 100}, 100),
        ("-3", {"type": "integer", "minimum": 0}, 0),
        (True, {"type": "integer"}, True),
    ],
)
def test_numbers_and_numeric_strings(value: Any, schema: dict[str, Any], expected: Any) -> None:
    fitted = fit_to_schema(value, schema)
    assert fitted == expected and type(fitted) is type(expected)


def test_missing_required_properties_are_filled_only_when_that_is_valid() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "needed": {"type": "array", "minItems": 1},
            "level": {"type": "string", "enum": ["low", "high"]},
            "size": {"type": "integer", "default": 3},
            "flag": {"type": "boolean"},
            "name": {"type": "string", "minLength": 3},
            "box": {
                "type": "object",
                "properties": {"items": {"type": "array", "maxItems": 2}},
                "required": ["items"],
            },
        },
        "required": ["tags", "needed", "level", "size", "flag", "name", "box"],
    }
    fitted = fit_to_schema({}, schema)
    assert fitted == {"tags": [], "level": "low", "size": 3, "flag": False, "box": {"items": []}}


def test_refs_and_nullable_options_are_followed() -> None:
    card = {"icon": {"__icon_query__": "sun" * 20, "__icon_url__": "/i.svg"}, "text": "x" * 50}
    content = {"cards": [card] * 5, "gallery": [[{"__image_prompt__": "p"}]]}
    fitted = fit_to_schema(content, NESTED)
    assert validation_errors(fitted, NESTED) == []
    assert isinstance(fitted, dict) and len(fitted["cards"]) == 3
    nullable = {
        "type": "object",
        "properties": {"a": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 3}]}},
    }
    assert fit_to_schema({"a": "abcdef"}, nullable) == {"a": "ab…"}
    assert fit_to_schema({"a": None}, nullable) == {"a": None}


def test_an_option_the_value_already_satisfies_is_kept() -> None:
    schema = {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "string", "maxLength": 9}]}
    assert fit_to_schema("abcdef", schema) == "abcdef"


def test_extra_properties_are_kept_when_the_schema_allows_them() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "maxLength": 2}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    fitted = fit_to_schema({"a": "abcd", "x-note": "kept", "other": 1}, schema)
    assert fitted == {"a": "a…", "x-note": "kept"}


# Choices such as a chart's `chart_type` ("bar", "line", "pie"): fitting cannot pick one
# for a wrong value, so they are left as they are.
ENUM_VALUES = {"bar", "line", "pie"}


def blow_up(value: Any) -> Any:
    """Every string three times as long, every array three times as long, extra keys."""
    if isinstance(value, str):
        return value if value in ENUM_VALUES else (value + " ") * 3
    if isinstance(value, list):
        return [blow_up(item) for item in value] * 3
    if isinstance(value, dict):
        return {**{k: blow_up(v) for k, v in value.items()}, "unexpected": "dropped"}
    return value


@pytest.mark.parametrize("layout", GENERAL, ids=lambda layout: layout.id)
def test_fit_makes_overlong_general_content_valid(layout: SlideLayoutModel) -> None:
    schema = llm_schema_for(layout.json_schema)
    largest = instance(schema, "max")
    assert validation_errors(largest, schema) == []
    assert fit_to_schema(largest, schema) == largest
    bloated = blow_up(largest)
    assert validation_errors(bloated, schema)
    fitted = fit_to_schema(bloated, schema)
    assert validation_errors(fitted, schema) == []


def garbage(rng: random.Random, depth: int = 0) -> Any:
    atoms: list[Any] = [None, True, 3, -2.5, "", text_of(rng.randint(0, 400)), float("nan")]
    if depth < 4:
        atoms.append([garbage(rng, depth + 1) for _ in range(rng.randint(0, 8))])
        keys = ["title", "bullets", "image", "metrics", "cards", "steps", "left", "__x__"]
        atoms.append({rng.choice(keys): garbage(rng, depth + 1) for _ in range(rng.randint(0, 5))})
    return rng.choice(atoms)


@pytest.mark.parametrize("seed", range(60))
def test_fit_never_raises_and_never_mutates(seed: int) -> None:
    rng = random.Random(seed)
    schema = llm_schema_for(rng.choice(GENERAL).json_schema)
    content = garbage(rng)
    before = json.dumps(content)
    fitted = fit_to_schema(content, schema)
    assert json.dumps(content) == before
    # Fitting is idempotent: a second pass finds nothing more it can fix.
    assert json.dumps(fit_to_schema(fitted, schema)) == json.dumps(fitted)


def test_fit_survives_broken_and_cyclic_schemas() -> None:
    cyclic = {"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}
    assert fit_to_schema({"k": "v"}, cyclic) == {"k": "v"}
    assert fit_to_schema({"k": "v"}, {"type": 5}) == {"k": "v"}
    assert fit_to_schema("abc", {"$ref": "https://example.com/s.json", "maxLength": 2}) == "a…"


# --- fill_asset_placeholders / speaker_note_of ---------------------------------------------


def test_placeholders_fill_images_and_icons_at_any_depth() -> None:
    content = {
        "a": [{"b": {"__image_prompt__": "x"}}],
        "grid": [[{"icon": {"__icon_query__": "sun"}}]],
        "icon": {"__icon_query__": "sun", "__icon_url__": ""},
        "kept": {"__image_prompt__": "y", "__image_url__": "/real.png"},
        "plain": {"__image_url__": None},
    }
    original = copy.deepcopy(content)
    filled = fill_asset_placeholders(content, "/img.svg", "/icon.svg")
    assert filled["a"][0]["b"] == {"__image_prompt__": "x", "__image_url__": "/img.svg"}
    assert filled["grid"][0][0]["icon"]["__icon_url__"] == "/icon.svg"
    assert filled["icon"]["__icon_url__"] == "/icon.svg"
    assert filled["kept"]["__image_url__"] == "/real.png"
    assert filled["plain"] == {"__image_url__": None}  # no prompt: not an image object
    assert content == original


def test_speaker_note_of() -> None:
    assert speaker_note_of({"__speaker_note__": "  hi  "}) == "hi"
    assert speaker_note_of({"__speaker_note__": 5}) == ""
    assert speaker_note_of({}) == ""
