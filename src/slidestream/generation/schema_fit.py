"""Slide content against its layout's JSON schema: the schema the model sees, validation
messages a model can act on, and a deterministic fitting step for answers that are close
but not quite right.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

URL_KEYS = ("__image_url__", "__icon_url__")
SPEAKER_NOTE = "__speaker_note__"
# Presenton asks for 100-250 characters. Smaller models miss that window often, and a
# slightly short or long note is no reason to fail (or re-ask for) a whole slide.
SPEAKER_NOTE_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 20, "maxLength": 300}
MAX_ERRORS = 20
MAX_MESSAGE_CHARS = 200
ELLIPSIS = "…"
_MAX_DEPTH = 64
_MAX_REF_HOPS = 32
_MISSING = object()
_EMPTY_VALUES: dict[str, Any] = {"array": [], "string": "", "boolean": False, "null": None}


def _with_speaker_note(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})[SPEAKER_NOTE] = dict(SPEAKER_NOTE_SCHEMA)
    required = schema.setdefault("required", [])
    if SPEAKER_NOTE not in required:
        required.append(SPEAKER_NOTE)
    return schema


def content_schema_for(layout_schema: dict[str, Any]) -> dict[str, Any]:
    """What a stored slide's content satisfies: the layout schema plus the speaker note."""
    return _with_speaker_note(copy.deepcopy(layout_schema))


def _without_urls(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_urls(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _without_urls(value) for key, value in node.items()}
    properties = result.get("properties")
    if isinstance(properties, dict):
        for key in URL_KEYS:
            properties.pop(key, None)
    required = result.get("required")
    if isinstance(required, list):
        result["required"] = [name for name in required if name not in URL_KEYS]
    return result


def llm_schema_for(layout_schema: dict[str, Any]) -> dict[str, Any]:
    """The layout schema without the server-filled URL fields (at any depth), plus a
    required root `__speaker_note__`; the input is not changed."""
    schema: dict[str, Any] = _without_urls(copy.deepcopy(layout_schema))
    return _with_speaker_note(schema)


def _path_key(error: ValidationError) -> tuple[tuple[int, int | str], ...]:
    # Numeric path parts compare as numbers, so `items[10]` sorts after `items[2]`.
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path)


def _describe(error: ValidationError) -> str:
    instance, limit = error.instance, error.validator_value
    # jsonschema repeats the whole offending value; for lengths, counts help a model more.
    if error.validator in ("maxLength", "minLength") and isinstance(instance, str):
        bound = "at most" if error.validator == "maxLength" else "at least"
        return f"text is {len(instance)} characters long, it must be {bound} {limit}"
    if error.validator in ("maxItems", "minItems") and isinstance(instance, list):
        bound = "at most" if error.validator == "maxItems" else "at least"
        return f"has {len(instance)} items, it must have {bound} {limit}"
    message = error.message
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + ELLIPSIS
    return message


def validation_errors(content: object, schema: dict[str, Any]) -> list[str]:
    """Readable problems as `<JSON path>: <problem>`, sorted by path, at most 20; empty
    when `content` is valid. A schema that cannot be used is reported, not raised."""
    try:
        errors = sorted(
            Draft202012Validator(schema).iter_errors(content),
            key=lambda error: (_path_key(error), error.message),
        )
        return [f"{error.json_path}: {_describe(error)}" for error in errors[:MAX_ERRORS]]
    except Exception as error:  # jsonschema raises assorted types for broken schemas
        return [f"$: the layout's schema cannot be used for validation ({type(error).__name__})"]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "unknown"


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _type_fits(value: object, schema: dict[str, Any]) -> bool:
    types, kind = _types(schema), _json_type(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


def _truncate(text: str, limit: int, minimum: int) -> str:
    """`text` cut to `limit` characters, at a word boundary with an ellipsis when possible."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    # Looking one character past the room tells whether the cut already ends a word.
    boundary = max(text.rfind(" ", 0, room + 1), text.rfind("\n", 0, room + 1))
    at_word = text[:boundary] if boundary >= room // 2 else ""
    candidates = [
        head.rstrip(" \n\t,;:-\u2013\u2014") + ELLIPSIS
        for head in (at_word, text[: max(room, 0)])
        if room > 0 and head.strip()
    ]
    # A cut that ends up shorter than minLength would trade one error for another.
    return next((c for c in candidates if len(c) >= max(minimum, 1)), text[:limit])


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def _number_from(text: str) -> int | float | None:
    cleaned = text.strip().lstrip("$€£").rstrip("%").strip()
    if _THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    # "42" reads as 42, not 42.0: an int is valid for both `integer` and `number`.
    return int(number) if number.is_integer() else number


class _Fitter:
    """Walks content and schema together; every change it makes fixes a validation error."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.validator = Draft202012Validator(root)

    def valid(self, value: object, schema: Any) -> bool:
        try:
            return bool(self.validator.evolve(schema=schema).is_valid(value))
        except Exception:
            return False

    def pointer(self, ref: str) -> Any:
        target: Any = self.root
        for raw in ref[2:].split("/") if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict):
                target = target.get(part)
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return None
        return target

    def resolve(self, schema: Any, value: object) -> Any:
        """`schema` with local `$ref`s inlined and `anyOf`/`oneOf` narrowed to one option."""
        for _ in range(_MAX_REF_HOPS):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                break
            ref = schema["$ref"]
            siblings = {key: item for key, item in schema.items() if key != "$ref"}
            target = self.pointer(ref) if ref.startswith("#") else None
            schema = {**target, **siblings} if isinstance(target, dict) else siblings
        if not isinstance(schema, dict):
            return schema
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options:
                rest = {key: item for key, item in schema.items() if key != keyword}
                return self.resolve({**rest, **self.pick(options, value)}, value)
        return schema

    def pick(self, options: list[Any], value: object) -> dict[str, Any]:
        resolved = [self.resolve(option, value) for option in options]
        dicts = [option for option in resolved if isinstance(option, dict)]
        # Prefer an option the value already satisfies, then one of its type, then any
        # option that is not just `null` (the usual shape of an optional field).
        for option in dicts:
            if self.valid(value, option):
                return option
        not_null = [option for option in dicts if _types(option) != {"null"}]
        typed = [option for option in not_null if _type_fits(value, option)]
        return (typed or not_null or [{}])[0]

    def fit(self, value: Any, schema: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH or self.valid(value, schema):
            return value  # valid parts are never touched
        schema = self.resolve(schema, value)
        if not isinstance(schema, dict):
            return value
        if isinstance(value, str):
            return self.fit_string(value, schema)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.fit_number(value, schema)
        if isinstance(value, list):
            return self.fit_array(value, schema, depth)
        if isinstance(value, dict):
            return self.fit_object(value, schema, depth)
        return value

    def fit_string(self, value: str, schema: dict[str, Any]) -> Any:
        types = _types(schema)
        if types and "string" not in types and types & {"number", "integer"}:
            number = _number_from(value)
            return value if number is None else self.fit_number(number, schema)
        limit, minimum = schema.get("maxLength"), schema.get("minLength", 0)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            return _truncate(value, limit, minimum if isinstance(minimum, int) else 0)
        return value

    def fit_number(self, value: int | float, schema: dict[str, Any]) -> Any:
        types = _types(schema)
        if types and not types & {"number", "integer"}:
            return self.fit_string(str(value), schema) if "string" in types else value
        if types == {"integer"} and isinstance(value, float) and value.is_integer():
            value = int(value)
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and not isinstance(low, bool) and value < low:
            value = low
        if isinstance(high, int | float) and not isinstance(high, bool) and value > high:
            value = high
        return value

    def fit_array(self, value: list[Any], schema: dict[str, Any], depth: int) -> list[Any]:
        items = schema.get("items", {})
        fitted = [self.fit(item, items, depth + 1) for item in value]
        limit = schema.get("maxItems")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            fitted = fitted[:limit]
        return fitted

    def allows_extra(self, key: str, schema: dict[str, Any]) -> Any:
        """The schema for a property not in `properties`, or `_MISSING` if it is forbidden."""
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                try:
                    if re.search(pattern, key):
                        return sub
                except re.error:
                    continue
        extra = schema.get("additionalProperties", True)
        if extra is False:
            return _MISSING
        return extra if isinstance(extra, dict) else {}

    def fit_object(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> Any:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        result: dict[str, Any] = {}
        for key, item in value.items():
            sub = properties[key] if key in properties else self.allows_extra(key, schema)
            if sub is not _MISSING:
                result[key] = self.fit(item, sub, depth + 1)
        required = schema.get("required")
        for key in required if isinstance(required, list) else []:
            if isinstance(key, str) and key not in result and key in properties:
                candidate = self.empty_for(properties[key], depth + 1)
                if candidate is not _MISSING:
                    result[key] = candidate
        return result

    def empty_for(self, schema: Any, depth: int) -> Any:
        """The schema's default, or the first empty value of one of its types that is
        valid; `_MISSING` if there is none."""
        schema = self.resolve(schema, None)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return _MISSING
        for candidate in self.empty_candidates(schema, depth):
            if self.valid(candidate, schema):
                return candidate
        return _MISSING

    def empty_candidates(self, schema: dict[str, Any], depth: int) -> Iterator[Any]:
        for keyword in ("default", "const"):
            if keyword in schema:
                yield copy.deepcopy(schema[keyword])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            yield copy.deepcopy(schema["enum"][0])
        types = _types(schema) or ({"object"} if "properties" in schema else set())
        minimum = schema.get("minimum")
        number = (
            minimum if isinstance(minimum, int | float) and not isinstance(minimum, bool) else 0
        )
        for kind in sorted(types):
            if kind == "object":
                yield self.fit({}, schema, depth)
            elif kind in ("integer", "number"):
                yield number
            elif kind in _EMPTY_VALUES:
                yield copy.deepcopy(_EMPTY_VALUES[kind])


def fit_to_schema(content: object, schema: dict[str, Any]) -> object:
    """Best-effort, deterministic coercion of `content` towards `schema`; a new object.

    Over-long strings are cut at a word boundary, surplus array items and forbidden
    properties dropped, numeric strings made numbers (and numbers strings) where the schema
    says so, numbers clamped to their range, and missing required properties filled where
    an empty or default value is valid. Short strings and short arrays are left for
    validation to report: padding them would only invent content. Never raises."""
    try:
        return _Fitter(schema).fit(copy.deepcopy(content), schema)
    except Exception:  # includes RecursionError on pathological input
        try:
            return copy.deepcopy(content)
        except Exception:
            return content


def fill_asset_placeholders(
    content: dict[str, Any], image_placeholder: str, icon_placeholder: str
) -> dict[str, Any]:
    """A copy of `content` in which every image and icon object, at any depth, has a URL
    (the placeholder where it is missing or empty, until the real asset is fetched)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            result = {key: walk(value) for key, value in node.items()}
            if "__image_prompt__" in result and not result.get("__image_url__"):
                result["__image_url__"] = image_placeholder
            if "__icon_query__" in result and not result.get("__icon_url__"):
                result["__icon_url__"] = icon_placeholder
            return result
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    filled: dict[str, Any] = walk(content)
    return filled


def speaker_note_of(content: dict[str, Any]) -> str:
    """The slide's `__speaker_note__` as a stripped string, or "" when absent or not text."""
    note = content.get(SPEAKER_NOTE)
    return note.strip() if isinstance(note, str) else ""
