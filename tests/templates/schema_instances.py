"""Build the smallest and the largest instance a layout schema allows (test helper)."""

from __future__ import annotations

from typing import Any, Literal

Size = Literal["min", "max"]
WORDS = "solar panels cut energy bills for homes and small firms across the region " * 40


def text_of(length: int) -> str:
    """Exactly `length` characters of words, not ending in a space."""
    text = WORDS[:length]
    return text[:-1] + "s" if text.endswith(" ") else text


def instance(schema: dict[str, Any], size: Size, root: dict[str, Any] | None = None) -> Any:
    root = root if root is not None else schema
    if "$ref" in schema:
        target: Any = root
        for part in str(schema["$ref"])[2:].split("/"):
            target = target[part]
        return instance(target, size, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: instance(sub, size, root) for key, sub in schema["properties"].items()}
    if kind == "array":
        count = schema.get("minItems", 0) if size == "min" else schema["maxItems"]
        return [instance(schema["items"], size, root) for _ in range(count)]
    if kind == "string":
        return text_of(schema.get("minLength", 0) if size == "min" else schema["maxLength"])
    if kind in ("integer", "number"):
        return schema.get("minimum", 0) if size == "min" else schema.get("maximum", 10)
    if kind == "boolean":
        return False
    raise AssertionError(f"unexpected schema node {schema!r}")
