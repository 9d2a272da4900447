"""Slide content against its layout's JSON schema: the schema the model sees, validation,
and a deterministic fitting step for answers that are close but not quite right."""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

URL_KEYS = ("__image_url__", "__icon_url__")
SPEAKER_NOTE = "__speaker_note__"
# Presenton asks for 100-250 characters; smaller models miss that often, and a slightly
# short or long note is no reason to fail a slide.
SPEAKER_NOTE_SCHEMA = {"type": "string", "minLength": 20, "maxLength": 300}
MAX_ERRORS = 20


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


def llm_schema_for(layout_schema: dict[str, Any]) -> dict[str, Any]:
    """The layout schema without server-filled URL fields, plus a required speaker note."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            result = {key: strip(value) for key, value in node.items()}
            properties = result.get("properties")
            if isinstance(properties, dict):
                for key in URL_KEYS:
                    properties.pop(key, None)
                if isinstance(result.get("required"), list):
                    result["required"] = [r for r in result["required"] if r not in URL_KEYS]
            return result
        if isinstance(node, list):
            return [strip(item) for item in node]
        return node

    schema: dict[str, Any] = strip(copy.deepcopy(layout_schema))
    return _with_speaker_note(schema)


def validation_errors(content: object, schema: dict[str, Any]) -> list[str]:
    """Readable problems (`path: message`), sorted, at most 20; empty when valid."""
    try:
        validator = Draft202012Validator(schema)
        errors = list(validator.iter_errors(content))
    except SchemaError as error:
        return [f"the layout's schema is invalid: {error.message}"]
    messages = sorted(
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in errors
    )
    return messages[:MAX_ERRORS]


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    if isinstance(schema, dict):
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                non_null = [
                    o for o in options if not (isinstance(o, dict) and o.get("type") == "null")
                ]
                return _resolve((non_null or options)[0], root)
    return schema


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    cut = cut.rstrip(" ,;:-")
    if len(cut) + 1 <= limit:
        return cut + "…"
    return cut


def _empty_for(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if kind == "string":
        return ""
    return None


def _fit(value: Any, schema: Any, root: dict[str, Any]) -> Any:
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return value
    kind = schema.get("type")
    if kind in ("number", "integer") and isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
            return int(number) if kind == "integer" and number.is_integer() else number
        except ValueError:
            return value
    if isinstance(value, str):
        limit = schema.get("maxLength")
        return _truncate(value, limit) if isinstance(limit, int) else value
    if isinstance(value, list):
        items = schema.get("items", {})
        fitted = [_fit(item, items, root) for item in value]
        limit = schema.get("maxItems")
        return fitted[:limit] if isinstance(limit, int) else fitted
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        result = {}
        for key, item in value.items():
            if key in properties:
                result[key] = _fit(item, properties[key], root)
            elif schema.get("additionalProperties") is not False:
                result[key] = item
        for key in schema.get("required", []):
            if key not in result and key in properties:
                candidate = _empty_for(_resolve(properties[key], root))
                if candidate is not None and not validation_errors(
                    candidate, {**properties[key], **_defs(root)}
                ):
                    result[key] = candidate
        return result
    return value


def _defs(root: dict[str, Any]) -> dict[str, Any]:
    return {key: root[key] for key in ("$defs", "definitions") if key in root}


def fit_to_schema(content: object, schema: dict[str, Any]) -> object:
    """Best-effort, deterministic coercion towards `schema`: over-long strings are cut at a
    word boundary, extra items and unknown properties dropped, numeric strings made numbers,
    missing properties filled only where an empty value is valid. Never raises."""
    try:
        return _fit(copy.deepcopy(content), schema, schema)
    except (RecursionError, TypeError, ValueError):
        return content


def fill_asset_placeholders(
    content: dict[str, Any], image_placeholder: str, icon_placeholder: str
) -> dict[str, Any]:
    """Give every image and icon object a URL (a placeholder until assets are fetched)."""

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
    note = content.get(SPEAKER_NOTE)
    return note.strip() if isinstance(note, str) else ""
