"""What every provider test asks: one small schema and one conversation."""

from __future__ import annotations

from typing import Any

from slidestream.llm.base import Message

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 5, "maxLength": 40},
        "points": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 2,
            "maxItems": 4,
        },
    },
    "required": ["title", "points"],
}
MESSAGES = [Message("system", "Answer in JSON."), Message("user", "Solar energy MARKTEST")]
