"""Stream positions: the `id:` of every frame and how a `Last-Event-ID` is read back.

An id names a place in a stream, computed from stored state, so any process can resume
from it: `o<run>:<offset>` in an outline stream (characters of outline text sent so far),
`d<run>:<seq>` in a deck stream (0 = opening chunk, i+1 = slide i, n+1 = closing chunk),
`<kind><run>:end` for the terminal frame and `<kind><run>:start` for a reset frame.
A run is one generation epoch of that stream; it changes when the outline or deck is
generated again, and an id from an older run makes the reader start the current run over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from slidestream.errors import InvalidInput

StreamKind = Literal["o", "d"]
MAX_ID_LENGTH = 64
START = -1
_ID = re.compile(r"^([od])([0-9]{1,9}):([0-9]{1,9}|end|start)$")


class InvalidLastEventId(InvalidInput):
    pass


@dataclass(frozen=True)
class StreamPosition:
    """The last frame a client has seen. `offset` is None for the terminal frame."""

    kind: StreamKind
    run: int
    offset: int | None

    @property
    def is_terminal(self) -> bool:
        return self.offset is None


def frame_id(kind: StreamKind, run: int, offset: int | None) -> str:
    if offset is None:
        return f"{kind}{run}:end"
    if offset == START:
        return f"{kind}{run}:start"
    return f"{kind}{run}:{offset}"


def parse_last_event_id(raw: str | None, kind: StreamKind) -> StreamPosition | None:
    """Read a client's Last-Event-ID; None when absent. Raises InvalidLastEventId (400)."""
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return None
    if len(value) > MAX_ID_LENGTH:
        raise InvalidLastEventId("Last-Event-ID is too long")
    match = _ID.match(value)
    if match is None:
        raise InvalidLastEventId("Last-Event-ID is not an id this server sent")
    id_kind, run, offset = match.groups()
    if id_kind != kind:
        other = "an outline" if id_kind == "o" else "a presentation"
        raise InvalidLastEventId(f"Last-Event-ID belongs to {other} stream")
    if offset == "end":
        return StreamPosition(kind, int(run), None)
    if offset == "start":
        return StreamPosition(kind, int(run), START)
    return StreamPosition(kind, int(run), int(offset))
