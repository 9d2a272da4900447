"""Server-Sent Events as the gateway relays them: whole events cut out of an upstream byte
stream, forwarded as they were (line endings normalised to LF), plus the few frames the
gateway writes itself (opening comment, heartbeat, error).

Events are forwarded whole so that a heartbeat or an error frame never lands inside one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

OPENING = b": slidestream-gateway\n\n"
HEARTBEAT = b": ping\n\n"
EVENT_NAME = "response"
TERMINAL_MARKS = (b'"complete"', b'"error"')
TERMINAL_TYPES = ("complete", "error")
# One event larger than this is a broken upstream, not a presentation.
MAX_EVENT_BYTES = 32 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


class EventTooLarge(Exception):
    pass


@dataclass(frozen=True)
class SSEEvent:
    """One event block (data, comment-only or retry-only) as the upstream sent it: its
    lines joined by LF, without the blank line that ended it."""

    raw: bytes

    @property
    def lines(self) -> list[str]:
        return self.raw.decode("utf-8", errors="replace").split("\n")

    def field(self, name: str) -> str | None:
        """The last value of a field (`id`, `event`, `retry`), or None."""
        value = None
        prefix = name + ":"
        for line in self.lines:
            if line == name:
                value = ""
            elif line.startswith(prefix):
                value = line[len(prefix) :].removeprefix(" ")
        return value

    @property
    def id(self) -> str | None:
        """The event's last `id` field (what a client's Last-Event-ID becomes), or None
        when it has none; an id containing NUL is ignored, as clients ignore it."""
        if b"id" not in self.raw:
            return None
        value = None
        for line in self.raw.split(b"\n"):
            if line.startswith(b"id:"):
                found = line[3:].removeprefix(b" ")
            elif line == b"id":
                found = b""
            else:
                continue
            if b"\0" not in found:
                value = found.decode("utf-8", errors="replace")
        return value

    @property
    def has_data(self) -> bool:
        """Whether the event has a `data` field (clients dispatch only those)."""
        return self.raw.startswith(b"data") or b"\ndata" in self.raw

    @property
    def data(self) -> str | None:
        """The `data:` lines joined by newlines, or None for an event without data."""
        parts = [
            line[5:].removeprefix(" ") if line.startswith("data:") else ""
            for line in self.lines
            if line.startswith("data:") or line == "data"
        ]
        return "\n".join(parts) if parts else None

    @property
    def is_terminal(self) -> bool:
        """A Presenton `complete` or `error` frame: the stream's last."""
        # Parse only what can be terminal: chunk frames are the many, small ones, and a
        # quote inside their JSON strings is escaped.
        if TERMINAL_MARKS[0] not in self.raw and TERMINAL_MARKS[1] not in self.raw:
            return False
        data = self.data
        try:
            envelope = json.loads(data) if data is not None else None
        except ValueError:
            return False
        return isinstance(envelope, dict) and envelope.get("type") in TERMINAL_TYPES

    def encode(self) -> bytes:
        return self.raw + b"\n\n"


class SSEParser:
    """Incremental: bytes in (cut anywhere, lines ended by CRLF, CR or LF), whole events
    out. It works on bytes: line ends are ASCII, so UTF-8 text never needs decoding to
    be forwarded."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._after_cr = False
        self._at_start = True

    def feed(self, data: bytes) -> list[SSEEvent]:
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]  # the LF of a CRLF split between two reads
        if b"\r" in data:
            self._after_cr = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        elif data:
            self._after_cr = False
        if self._at_start:
            data = self._skip_bom(data)
        if self._buffer:
            # The rest of an event begun in an earlier read.
            searched_from = max(len(self._buffer) - 1, 0)
            self._buffer += data
            if self._buffer.find(b"\n\n", searched_from) < 0:
                return self._keep()
            text = bytes(self._buffer)
        elif b"\n\n" in data:
            text = data  # the usual case: whole events, nothing carried over, no copy
        else:
            self._buffer += data
            return self._keep()
        *blocks, rest = text.split(b"\n\n")
        self._buffer = bytearray(rest)
        # Extra blank lines leave empty blocks (or leading LFs): nothing to dispatch.
        return [SSEEvent(block.lstrip(b"\n")) for block in blocks if block.strip(b"\n")]

    def _keep(self) -> list[SSEEvent]:
        if len(self._buffer) > MAX_EVENT_BYTES:
            raise EventTooLarge
        return []

    def _skip_bom(self, data: bytes) -> bytes:
        """A byte-order mark at the very start of the stream is not part of it."""
        start = bytes(self._buffer) + data
        if len(start) < len(BOM) and BOM.startswith(start):
            return data  # too early to tell
        self._at_start = False
        if start.startswith(BOM):
            skip = len(BOM) - len(self._buffer)
            self._buffer.clear()
            return data[skip:]
        return data


def error_frame(detail: str) -> bytes:
    """Presenton's error envelope, written as Presenton writes it (`json.dumps` defaults)."""
    data = json.dumps({"type": "error", "detail": detail})
    return f"event: {EVENT_NAME}\ndata: {data}\n\n".encode()
