"""Presenton's SSE envelope: `event: response` + `data: {"type": ...}`, plus an id.

JSON is encoded exactly as Presenton encodes it (`json.dumps` defaults: `", "` and `": "`
separators, non-ASCII escaped), so byte-level consumers see the same data lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EVENT_NAME = "response"


@dataclass(frozen=True)
class Frame:
    id: str
    data: dict[str, Any]

    @property
    def is_terminal(self) -> bool:
        return self.data.get("type") in ("complete", "error")

    def data_line(self) -> str:
        return json.dumps(self.data)


def chunk(frame_id: str, text: str) -> Frame:
    return Frame(frame_id, {"type": "chunk", "chunk": text})


def status(frame_id: str, text: str) -> Frame:
    return Frame(frame_id, {"type": "status", "status": text})


def complete(frame_id: str, presentation: dict[str, Any]) -> Frame:
    return Frame(frame_id, {"type": "complete", "presentation": presentation})


def error(frame_id: str, detail: str) -> Frame:
    return Frame(frame_id, {"type": "error", "detail": detail})


def reset(frame_id: str, reason: str) -> Frame:
    """Tells a resuming client to drop what it accumulated: the stream starts over."""
    return Frame(frame_id, {"type": "reset", "detail": reason})
