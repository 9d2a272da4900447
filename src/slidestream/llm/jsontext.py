"""JSON answers without native structured output (`LLM_STRUCTURED_OUTPUTS=false`).

The schema goes into the prompt and the model is asked for a fenced ```json block; the
answer's JSON text is then read back out of whatever the model wrote around it: the
fenced block, or else the first balanced JSON object. `JsonTextStream` does the same
incrementally, so a streamed answer still reaches readers delta by delta, without the
fence or the chatter.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slidestream.llm.base import Message

INSTRUCTION_HEAD = "Answer with one JSON object that follows this JSON schema"
INSTRUCTION = (
    INSTRUCTION_HEAD + ", written in a single ```json fenced block and nothing else.\n"
    "JSON schema: {schema}"
)
SCHEMA_LINE = re.compile(r"^JSON schema: (\{.*\})\s*$", re.MULTILINE)
FENCE_OPEN = re.compile(r"```[ \t]*(?:json|JSON|json5)?[ \t]*\r?\n")


def with_json_instruction(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """`messages` with the schema and the ask for fenced JSON appended to the last one."""
    instruction = INSTRUCTION.format(schema=json.dumps(schema, separators=(",", ":")))
    if not messages:
        return [Message("user", instruction)]
    last = messages[-1]
    return [*messages[:-1], Message(last.role, f"{last.content}\n\n{instruction}")]


def schema_in_prompt(text: str) -> dict[str, Any] | None:
    """The schema a `with_json_instruction` prompt asks for (the simulated LLM reads it)."""
    found = list(SCHEMA_LINE.finditer(text))
    if not found:
        return None
    try:
        schema = json.loads(found[-1].group(1))
    except ValueError:
        return None
    return schema if isinstance(schema, dict) else None


def balanced_end(text: str, start: int) -> int | None:
    """The index just past the JSON value opened at `text[start]`, or None if it never closes."""
    depth, in_string, escaped = 0, False, False
    for position in range(start, len(text)):
        char = text[position]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return position + 1
    return None


def extract_json_text(text: str) -> str:
    """The JSON text of a model's answer: the object in the fenced block, else the first
    balanced object that parses, else everything from the first `{` (a cut-off answer,
    for repair), else the whole answer."""
    fence = FENCE_OPEN.search(text)
    if fence is not None and (start := text.find("{", fence.end())) >= 0:
        end = balanced_end(text, start)
        if end is not None:
            return text[start:end]
        return text[start:].strip().removesuffix("```").rstrip()
    first = text.find("{")
    if first < 0:
        return text.strip()
    start = first
    while start >= 0:
        end = balanced_end(text, start)
        if end is None:
            break
        candidate = text[start:end]
        try:
            json.loads(candidate)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        return candidate
    return text[first:].strip()


_OBJECT_START = re.compile(r"(?:^|\n)[ \t]*(\{)|```[A-Za-z0-9]*[ \t]*\r?\n?[ \t]*(\{)")


class JsonTextStream:
    """Incremental `extract_json_text`: feed the answer's deltas, get the JSON's deltas.

    Text before the object (a fence line, a preamble) is held back; the object passes
    through as it arrives; everything after it closes is dropped.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._started = False
        self._done = False
        self._depth = 0
        self._in_string = False
        self._escaped = False

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, piece: str) -> str:
        if self._done:
            return ""
        if not self._started:
            self._pending += piece
            # The object starts at a brace that opens a line or follows a fence, so a
            # brace inside a preamble ("I'll fill {slides}:") is not taken for it.
            opening = _OBJECT_START.search(self._pending)
            if opening is None:
                return ""
            self._started = True
            piece, self._pending = self._pending[opening.end() - 1 :], ""
        return self._scan(piece)

    def _scan(self, piece: str) -> str:
        for position, char in enumerate(piece):
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
            elif char in "}]":
                self._depth -= 1
                if self._depth == 0:
                    self._done = True
                    return piece[: position + 1]
        return piece

    def finish(self) -> str:
        """What is left at the end: an object that never opened a line (inline in a
        sentence) is extracted from the whole answer now, as `extract_json_text` does."""
        if self._started or self._done:
            return ""
        rest, self._pending = self._pending, ""
        return extract_json_text(rest)
