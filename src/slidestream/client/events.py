"""Typed stream events. Every event carries the state of the document at that step:
`outline` (slide outline texts so far, the last one possibly still being written) on the
outline stream, `deck` (the slides received so far, by index) on the deck stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SlideData = dict[str, Any]


@dataclass(frozen=True)
class _Event:
    outline: tuple[str, ...] = ()
    deck: tuple[SlideData, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Status(_Event):
    """A progress message (`{"type": "status"}`)."""

    text: str


@dataclass(frozen=True, kw_only=True)
class OutlineDelta(_Event):
    """New outline text. `text` extends what was handed out before, unless `restart` is
    true: then the server's outline differs from it (it was generated again) and `text`
    is the whole outline so far, to replace what the caller accumulated."""

    text: str
    restart: bool = False


@dataclass(frozen=True, kw_only=True)
class Slide(_Event):
    """One finished slide. Each index is handed out once; it comes again only with
    `revised=True`, when the server's slide at that index changed (the deck was
    generated again) — never as a duplicate."""

    index: int
    slide: SlideData
    revised: bool = False


@dataclass(frozen=True, kw_only=True)
class Complete(_Event):
    """The terminal `complete` frame: the finished presentation as the server sent it."""

    presentation: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class StreamError(_Event):
    """The terminal `error` frame; slides already handed out stay valid."""

    detail: str


StreamEvent = Status | OutlineDelta | Slide | Complete | StreamError
