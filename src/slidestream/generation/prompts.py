"""Prompt texts live in `prompts/*.txt` as `string.Template`s; this module fills them in."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from string import Template

VERBOSITY_RULES = {
    "concise": "use about a third of each maximum length.",
    "standard": "use about two thirds of each maximum length.",
    "text-heavy": "use at least three quarters of each maximum length.",
}


@cache
def _template(name: str) -> Template:
    return Template(files("slidestream.generation").joinpath("prompts", f"{name}.txt").read_text())


def render(name: str, **values: object) -> str:
    """Fill prompt `name`; unknown placeholders are an error, blank lines are trimmed."""
    text = _template(name).substitute({k: str(v) for k, v in values.items()})
    return "\n".join(line for line in text.splitlines() if line.strip() or line == "").strip()


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def language_text(language: str) -> str:
    return language.strip() or "the same language as the topic"
