"""Plausible JSON for a JSON schema, built from the words of the prompt.

Deterministic for a given random generator; respects every limit it understands (lengths,
item counts, bounds, enums) so that answers validate against the requested schema.
"""

from __future__ import annotations

import random
import re
from typing import Any

VOCABULARY = [
    "growth",
    "market",
    "customers",
    "strategy",
    "costs",
    "results",
    "teams",
    "impact",
    "data",
    "platform",
    "quality",
    "efficiency",
    "adoption",
    "revenue",
    "risk",
    "demand",
    "innovation",
    "partners",
    "scale",
    "research",
    "value",
    "pilot",
    "roadmap",
    "energy",
    "systems",
    "users",
    "design",
    "security",
    "analysis",
    "trends",
    "budget",
    "progress",
]
STOPWORDS = set(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "among",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "could",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "from",
        "further",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "more",
        "most",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "slide",
        "slides",
        "presentation",
        "write",
        "content",
        "outline",
        "language",
        "english",
        "current",
        "date",
        "time",
        "number",
        "output",
        "icon",
        "query",
        "image",
        "prompt",
    ]
)
MAX_DEPTH = 12


def topic_words(text: str) -> list[str]:
    """Significant words of a prompt, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z0-9'-]{3,}", text):
        lower = word.lower()
        if lower not in STOPWORDS and lower not in seen:
            seen[lower] = None
    return list(seen)[:16]


class ContentGenerator:
    def __init__(self, rng: random.Random, prompt: str) -> None:
        self.rng = rng
        self.topic = topic_words(prompt) or ["the", "topic"]

    # --- text -------------------------------------------------------------------------

    def _word(self) -> str:
        pool = self.topic if self.rng.random() < 0.45 else VOCABULARY
        return self.rng.choice(pool)

    def _words(self, target: int) -> str:
        words = [self._word().capitalize()]
        while len(" ".join(words)) < target:
            words.append(self._word())
        return " ".join(words)

    def _fit(self, text: str, low: int, high: int | None) -> str:
        while len(text) < low:
            text = f"{text} {self._word()}"
        if high is not None and len(text) > high:
            cut = text[:high]
            if " " in cut and cut.rfind(" ") >= low:
                cut = cut[: cut.rfind(" ")]
            text = cut.rstrip() if len(cut.rstrip()) >= low else cut
        return text

    def text(self, key: str, schema: dict[str, Any], in_outline: bool) -> str:
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        high = int(high) if isinstance(high, int) else None
        lower = key.lower()
        if in_outline and "content" in lower:
            text = self._outline_item(low, high)
        elif lower == "__image_prompt__":
            text = f"A photo of {self._words(30).lower()}"
        elif lower == "__icon_query__":
            text = self._word()
        elif lower == "__speaker_note__":
            text = f"{self._words(60)}. {self._words(50)}."
        elif any(hint in lower for hint in ("title", "heading", "label", "name", "author")):
            text = self._words(min(high or 40, 40) // 2).title()
        elif any(hint in lower for hint in ("number", "value", "stat")):
            text = self.rng.choice(["42%", "3.4M", "$12B", "7x", "98%", "250k", "18 mo"])
        else:
            ceiling = high if high is not None else 120
            text = self._words(
                self.rng.randint(max(low, ceiling // 2), max(low, ceiling * 9 // 10))
            )
        return self._fit(text, low, high)

    def _outline_item(self, low: int, high: int | None) -> str:
        heading = self._words(24).title()
        points = "\n".join(f"- {self._words(50)}" for _ in range(3))
        text = f"# {heading}\n\n{points}"
        if high is not None and len(text) > high:
            text = f"# {heading}\n\n- {self._words(max(low, high // 3))}"
        return text

    # --- values -----------------------------------------------------------------------

    def value(
        self,
        schema: Any,
        root: dict[str, Any],
        key: str = "",
        in_outline: bool = False,
        depth: int = 0,
    ) -> Any:
        schema = self._resolve(schema, root)
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            properties = schema.get("properties", {})
            return {
                name: self.value(sub, root, name, in_outline, depth + 1)
                for name, sub in properties.items()
            }
        if kind == "array":
            low = int(schema.get("minItems", 1))
            high = int(schema.get("maxItems", max(low, 4)))
            count = self.rng.randint(low, max(low, min(high, low + 3)))
            outline = in_outline or key == "slides"
            return [
                self.value(schema.get("items", {}), root, key, outline, depth + 1)
                for _ in range(count)
            ]
        if kind in ("integer", "number"):
            low = schema.get("minimum", 0)
            high = schema.get("maximum", low + 100)
            if kind == "integer":
                return self.rng.randint(int(low), int(high))
            return round(self.rng.uniform(float(low), float(high)), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.text(key, schema, in_outline)

    def _resolve(self, schema: Any, root: dict[str, Any]) -> Any:
        for _ in range(MAX_DEPTH):
            if not isinstance(schema, dict):
                return schema
            if "$ref" in schema:
                target: Any = root
                for part in str(schema["$ref"]).lstrip("#/").split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                schema = target
                continue
            for combinator in ("anyOf", "oneOf"):
                options = schema.get(combinator)
                if isinstance(options, list) and options:
                    usable = [
                        o for o in options if not (isinstance(o, dict) and o.get("type") == "null")
                    ]
                    schema = (usable or options)[0]
                    break
            else:
                if isinstance(schema.get("allOf"), list):
                    merged: dict[str, Any] = {}
                    for part in schema["allOf"]:
                        resolved = self._resolve(part, root)
                        if isinstance(resolved, dict):
                            merged.update(resolved)
                    rest = {k: v for k, v in schema.items() if k != "allOf"}
                    return {**merged, **rest}
                return schema
        return schema
