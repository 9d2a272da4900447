"""Layout kinds: the contract between a template group's layouts and the geometry.

Every built-in layout names its `kind`; the geometry (`render.layouts`) places a slide by
its kind and reads the content properties listed here. Groups may set their own length
limits, descriptions and ids, but a layout of a kind must have these properties (with
these shapes) in its JSON schema. Layouts without a known kind (a client's own layouts)
are placed by the generic arrangement: a title and the rest of the text as points.
"""

from __future__ import annotations

from typing import Literal

LayoutKind = Literal[
    "title",
    "agenda",
    "bullets",
    "bullets-image",
    "two-columns",
    "icon-cards",
    "metrics",
    "quote",
    "timeline",
    "table",
    "chart",
    "closing",
]

# kind -> the required top-level properties and what each holds.
KIND_FIELDS: dict[str, dict[str, str]] = {
    "title": {"title": "string", "subtitle": "string"},
    "agenda": {"title": "string", "items": "array of strings"},
    "bullets": {"title": "string", "bullets": "array of strings"},
    "bullets-image": {
        "title": "string",
        "bullets": "array of strings",
        "image": "object {__image_prompt__, __image_url__}",
    },
    "two-columns": {
        "title": "string",
        "left": "object {heading, body}",
        "right": "object {heading, body}",
    },
    "icon-cards": {
        "title": "string",
        "cards": "array of objects {icon {__icon_query__, __icon_url__}, heading, text}",
    },
    "metrics": {"title": "string", "metrics": "array of objects {value, label}"},
    "quote": {"quote": "string", "author": "string"},
    "timeline": {"title": "string", "steps": "array of objects {label, description}"},
    "table": {
        "title": "string",
        "columns": "array of strings (the header)",
        "rows": "array of arrays of strings (one per row, as many cells as columns)",
    },
    "chart": {
        "title": "string",
        "chart_type": "string: bar | line | pie",
        "categories": "array of strings (x axis or pie slices)",
        "series": "array of objects {name, values: array of numbers, one per category}",
    },
    "closing": {"title": "string", "message": "string"},
}

KINDS: tuple[str, ...] = tuple(KIND_FIELDS)
