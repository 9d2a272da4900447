"""Offline slide content: the slide's outline item poured into its layout's JSON schema.

The outline item is a heading and points (see `offline.outline`). Each schema property is
filled by what its name asks for: headings and titles from the heading, body text from the
points, lists from the points one by one, figures from the numbers in the text, image
prompts and icon queries from the keywords. Lengths, item counts and required properties
follow the schema, so the result always validates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slidestream.generation.offline.text import (
    Weights,
    clean,
    figures,
    shorten,
    split_sentences,
)

_TITLE_KEYS = re.compile(r"title|heading|header|name|label|headline|caption|author|source")
_BODY_KEYS = re.compile(r"body|text|description|content|summary|subtitle|message|quote|detail|note")
_FIGURE_KEYS = re.compile(r"value|figure|number|stat|metric|amount|percent|count|data")
_MAX_DEPTH = 12
_EMPHASIS = re.compile(r"[*_`]")
_FILLER = "Overview"  # the heading of a slide whose outline has none
# How `generation.toc` writes a table-of-contents slide's outline, one line per entry.
_TOC_ENTRY = re.compile(r"^Slide page number: (\d+) / Slide Content: (.*)$")


@dataclass
class Material:
    """What one slide has to say."""

    heading: str
    points: list[str]
    weights: Weights
    keywords: list[str] = field(default_factory=list)

    @classmethod
    def from_outline(cls, outline: str, weights: Weights) -> Material:
        lines = [clean(line) for line in outline.splitlines() if line.strip()]
        heading = ""
        points: list[str] = []
        for line in lines:
            stripped = line.lstrip("#").strip()
            entry = _TOC_ENTRY.match(stripped)
            if entry:  # a table-of-contents line: "3 · Section heading"
                title = entry.group(2).lstrip("#").split(" - ")[0].strip()
                points.append(f"{entry.group(1)} · {title}")
            elif not heading and line.startswith("#"):
                heading = stripped
            else:
                points.extend(split_sentences(stripped.lstrip("-*• ").strip()))
        if not heading and points:
            heading = shorten(points.pop(0), 60)
        points = [p for p in points if p]
        if len(points) < 3:  # lists need several items: split long points at clauses
            clauses = [c.strip() for p in points for c in re.split(r"[;:]|, (?=\w{4,})", p)]
            if len([c for c in clauses if len(c) >= 12]) > len(points):
                points = [c for c in clauses if len(c) >= 12]
        material = cls(heading or _FILLER, points, weights)
        # The points say more about the slide than its heading's first words.
        keywords = weights.keywords(" ".join(points), 6)
        keywords += [w for w in weights.keywords(heading, 3) if w not in keywords]
        material.keywords = keywords or ["presentation"]
        return material

    def point(self, i: int) -> str:
        if not self.points:
            return self.heading
        return self.points[i % len(self.points)]

    def short_label(self, text: str) -> str:
        words = [w for w in self.weights.keywords(text, 3)]
        return " ".join(w.capitalize() for w in words[:3]) if words else shorten(text, 30)

    def body(self) -> str:
        return " ".join(self.points) if self.points else self.heading


def _fit(text: str, schema: dict[str, Any], filler: str) -> str:
    limit = schema.get("maxLength")
    minimum = int(schema.get("minLength", 0))
    # The padding must survive `clean`, which `shorten` applies again: a filler of emphasis
    # markers ("__", from a topic of underscores) pairs with its copy and is erased.
    filler = _EMPHASIS.sub("", filler).strip() or _FILLER
    text = clean(text)
    if len(text) < minimum:
        text = clean(f"{text} {filler}") if text else filler
    while len(text) < minimum:
        text = f"{text} {filler}".strip() if filler else text + "."
    if isinstance(limit, int):
        text = shorten(text, limit)
        if len(text) < minimum:  # an ellipsis cut can undershoot a tight window
            text = text[:limit]
    return text


class Filler:
    """Walks a layout schema and writes a value for every required property."""

    def __init__(self, schema: dict[str, Any], material: Material) -> None:
        self.root = schema
        self.material = material

    def resolve(self, schema: Any) -> dict[str, Any]:
        hops = 0
        while isinstance(schema, dict) and "$ref" in schema and hops < 16:
            ref = str(schema["$ref"])
            node: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) and part else node
            schema = node
            hops += 1
        if isinstance(schema, dict):
            for key in ("anyOf", "oneOf"):
                options = schema.get(key)
                if isinstance(options, list) and options:
                    typed = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
                    return self.resolve(typed[0] if typed else options[0])
            return schema
        return {}

    def value(self, key: str, schema: Any, index: int, depth: int) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if depth > _MAX_DEPTH:
            return {} if kind == "object" else [] if kind == "array" else ""
        if kind == "object":
            return self.object(schema, index, depth)
        if kind == "array":
            return self.array(key, schema, depth)
        if kind in ("integer", "number"):
            return self.number(schema, index, kind == "integer")
        if kind == "boolean":
            return False
        return self.string(key, schema, index, depth)

    def object(self, schema: dict[str, Any], index: int, depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        blocks = 0  # sibling blocks (two columns, say) each take the next point
        for key, sub in properties.items():
            if key in ("__image_url__", "__icon_url__") or (key not in required and depth > 0):
                continue
            resolved = self.resolve(sub)
            is_block = resolved.get("type") == "object" and not (
                {"__image_prompt__", "__icon_query__"} & set(resolved.get("properties", {}))
            )
            result[key] = self.value(key, sub, index + blocks, depth + 1)
            blocks += 1 if is_block else 0
        return result

    def array(self, key: str, schema: dict[str, Any], depth: int) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        count = max(low, min(len(self.material.points) or 1, high if isinstance(high, int) else 6))
        items = schema.get("items", {})
        return [self.value(key, items, i, depth + 1) for i in range(count)]

    def number(self, schema: dict[str, Any], index: int, integer: bool) -> int | float:
        found = [f for f in figures(self.material.body())]
        raw = found[index % len(found)] if found else str(index + 1)
        digits = re.sub(r"[^\d.]", "", raw.replace(",", "")) or str(index + 1)
        try:
            number: float = float(digits)
        except ValueError:
            number = float(index + 1)
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float):
            number = max(number, float(low))
        if isinstance(high, int | float):
            number = min(number, float(high))
        return int(number) if integer else number

    def string(self, key: str, schema: dict[str, Any], index: int, depth: int) -> str:
        m = self.material
        name = key.lower()
        limit = schema.get("maxLength", 400)
        if name == "__image_prompt__":
            text = f"{m.heading}, illustration of {', '.join(m.keywords[:3])}"
        elif name == "__icon_query__":
            text = m.keywords[index % len(m.keywords)]
        elif name == "__speaker_note__":
            text = f"{m.heading}. {m.body()}"
        elif _FIGURE_KEYS.search(name) and isinstance(limit, int) and limit <= 20:
            found = figures(m.body())
            # Never invent a figure: without one, the keyword stands in for it.
            text = found[index % len(found)] if found else m.keywords[index % len(m.keywords)]
        elif _TITLE_KEYS.search(name) and not _BODY_KEYS.search(name):
            text = m.heading if depth <= 1 else m.short_label(m.point(index))
        elif depth <= 1 and (not isinstance(limit, int) or limit > 200):
            text = m.body()
        else:
            text = m.point(index)
        return _fit(text, schema, m.heading)


def fill_schema(
    schema: dict[str, Any], outline: str, weights: Weights | None = None
) -> dict[str, Any]:
    """Content for one slide: every required property of `schema`, filled from `outline`."""
    material = Material.from_outline(outline, weights or Weights([outline]))
    filler = Filler(schema, material)
    content = filler.object(filler.resolve(schema), 0, 0)
    return content
