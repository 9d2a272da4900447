"""Stream sessions: the I/O-free state machine behind `stream_outline` and `stream_deck`.

A driver asks `next_step()` what to do (open the stream, or fetch the stored deck), does
it, and reports back: `connected()` / `refused(reply)` when the stream request is
answered, `feed(event)` for every SSE event (getting back the typed events to hand out),
`lost(error)` when a connection ends without a terminal frame, `fetched(reply)` for a
fetch. The session decides how to resume and never hands out the same slide twice.

Resume rules (docs/client.md has the long form):
- the server sends ids: reconnect with `Last-Event-ID`; the server continues after it;
- no ids (Presenton, strict mode, or a server that ignored the id it was sent): a deck
  stream first re-reads the stored deck and finishes from it if the server says it is
  complete, failed or cancelled; otherwise, like an outline stream, it reopens the stream,
  which starts over, and skips what was already handed out;
- a `reset` frame starts the document over the same way;
- a 204 (the server says the stream already ended): the stored deck ends the stream, as
  `Complete` or, when it failed or was cancelled, as `StreamError`.
A slide index already handed out is handed out again only if its content changed
(`revised=True`); outline text only beyond what was handed out, or whole with
`restart=True` if the server's text differs. Without ids only what is new (a slide index
or outline text beyond what was handed out) renews the retry budget, so a server that
starts over on every reconnect and breaks at the same point cannot loop forever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

from slidestream.client.documents import DeckDocument, outline_texts, parse_partial
from slidestream.client.errors import APIError, StreamInterrupted
from slidestream.client.events import (
    Complete,
    OutlineDelta,
    Slide,
    SlideData,
    Status,
    StreamError,
    StreamEvent,
)
from slidestream.client.models import RetryPolicy
from slidestream.client.protocol import (
    API,
    RETRYABLE_STATUSES,
    Reply,
    Request,
    api_error,
)

EVENT_NAMES = ("response", "message", "")
_FINGERPRINT_KEYS = ("id", "layout", "content", "speaker_note")
# What a deck document starts with. A stream resumed from an id it did not read itself
# usually continues mid-document, without it.
DECK_OPENING = '{ "slides": [ '


@dataclass(frozen=True)
class Connect:
    """Open the stream (after `delay` seconds)."""

    request: Request
    delay: float


@dataclass(frozen=True)
class Fetch:
    """Read the stored presentation (after `delay` seconds) and report it to `fetched`."""

    request: Request
    delay: float


Step = Connect | Fetch


class StreamSession:
    """What both streams share: ids, reconnect budget, status/error/reset frames."""

    kind = "stream"

    def __init__(
        self, presentation_id: str, path: str, policy: RetryPolicy, last_event_id: str | None
    ) -> None:
        self.presentation_id = presentation_id
        self.done = False
        self._path = path
        self._policy = policy
        self._last_id = last_event_id or None
        self._has_ids = self._last_id is not None
        self._pending: Step | None = None
        self._started = False
        self._connected_once = False
        self._from_start = False
        self._first_frame = False  # the next envelope is the connection's first
        self._progress = False  # a new id since the last failure
        self._mark_at_failure = 0  # `_mark()` at the last failure
        self._failures = 0
        self._server_retry: float | None = None
        self._last_status: str | None = None

    @property
    def last_event_id(self) -> str | None:
        """The id of the last frame processed (None while the server sends none): what a
        later process passes as `last_event_id` to continue from here."""
        return self._last_id if self._has_ids else None

    # --- what to do next ---------------------------------------------------------------
    def next_step(self) -> Step | None:
        """The next thing to do, or None when the stream is over."""
        if self.done:
            return None
        if not self._started:
            self._started = True
            return self._connect(0.0, resume=True)
        step, self._pending = self._pending, None
        if step is None:
            raise RuntimeError("next_step() called before the last step was reported")
        return step

    def _connect(self, delay: float, *, resume: bool) -> Connect:
        headers = {}
        if resume and self._has_ids and self._last_id:
            headers["Last-Event-ID"] = self._last_id
        self._from_start = not headers
        return Connect(Request("GET", self._path, headers=headers, timeout="stream"), delay)

    def _reconnect(self, delay: float) -> Step:
        return self._connect(delay, resume=True)

    # --- reports from the driver --------------------------------------------------------
    def connected(self) -> None:
        """The stream request was answered with an event stream."""
        self._connected_once = True
        self._progress = False
        self._first_frame = True
        if self._from_start:
            self._start_document()

    def refused(self, reply: Reply) -> None:
        """The stream request was answered with something else (its body read)."""
        if reply.status_code == 204:
            self._pending = self._finished_elsewhere()
            return
        error = api_error(reply)
        if 200 <= reply.status_code < 300:
            content_type = reply.headers.get("content-type", "no content type")
            error = APIError(reply.status_code, f"Expected an event stream, got {content_type}")
        if not self._connected_once or reply.status_code not in RETRYABLE_STATUSES:
            raise error
        self.lost(error)

    def lost(self, error: BaseException | None) -> None:
        """A connection (or a fetch) ended without a terminal frame: plan the retry, or
        raise `StreamInterrupted` once the policy's retries are spent."""
        if self.done:
            return
        if self._progress or self._mark() > self._mark_at_failure:
            self._failures = 0
        self._progress = False
        self._mark_at_failure = self._mark()
        self._failures += 1
        if self._failures > self._policy.max_retries:
            reason = f": {error}" if error is not None else " (closed without a terminal frame)"
            message = (
                f"The {self.kind} stream of presentation {self.presentation_id} failed "
                f"{self._failures} times in a row, giving up{reason}"
            )
            raise StreamInterrupted(message, self._failures) from error
        self._pending = self._reconnect(self._policy.delay(self._failures, self._server_retry))

    def feed(self, sse: ServerSentEvent) -> list[StreamEvent]:
        """Events to hand out for one SSE event."""
        if sse.retry is not None:
            self._server_retry = sse.retry / 1000
        new_id = bool(sse.id) and sse.id != self._last_id
        if sse.id:
            self._has_ids = True
        events: list[StreamEvent] = []
        envelope = _envelope(sse)
        if envelope is not None:
            if self._first_frame:
                self._first_frame = False
                if not sse.id and not self._from_start:
                    self._ignored_id()
            events = self._handle(str(envelope.get("type")), envelope)
        if sse.id:
            self._last_id = sse.id
        # With ids every new frame is progress; without them only what is new is (`_mark`:
        # a replay of known slides, or a server that generates them again and breaks at
        # the same point, must not renew the retry budget forever).
        self._progress = self._progress or new_id
        return events

    def _ignored_id(self) -> None:
        """The connection sent `Last-Event-ID` but its first frame has none: the server
        does not resume (Presenton, strict mode) and is sending the stream from its start."""
        self._has_ids = False
        self._last_id = None
        self._from_start = True
        self._start_document()

    def _mark(self) -> int:
        """How far the caller got; it only grows. Getting further renews the retry budget."""
        raise NotImplementedError

    def fetched(self, reply: Reply) -> list[StreamEvent]:
        raise NotImplementedError

    # --- frames -----------------------------------------------------------------------
    def _handle(self, kind: str, envelope: dict[str, Any]) -> list[StreamEvent]:
        if kind == "chunk":
            return self._chunk(str(envelope.get("chunk") or ""))
        if kind == "complete":
            self.done = True
            presentation = envelope.get("presentation")
            return self._complete(presentation if isinstance(presentation, dict) else {})
        if kind == "error":
            self.done = True
            return [self._with_state(StreamError, detail=str(envelope.get("detail") or ""))]
        if kind == "status":
            text = str(envelope.get("status") or "")
            if text == self._last_status:
                return []  # the same status again, from a replay
            self._last_status = text
            return [self._with_state(Status, text=text)]
        if kind == "reset":
            self._start_document()
        return []  # reset, and types this client does not know (Presenton says: ignore)

    def _with_state(self, event_type: Any, **fields: Any) -> StreamEvent:
        raise NotImplementedError

    def _start_document(self) -> None:
        raise NotImplementedError

    def _chunk(self, text: str) -> list[StreamEvent]:
        raise NotImplementedError

    def _complete(self, presentation: dict[str, Any]) -> list[StreamEvent]:
        raise NotImplementedError

    def _finished_elsewhere(self) -> Step:
        raise NotImplementedError


def _envelope(sse: ServerSentEvent) -> dict[str, Any] | None:
    if sse.event not in EVENT_NAMES or not sse.data:
        return None
    try:
        envelope = json.loads(sse.data)
    except ValueError:
        return None
    return envelope if isinstance(envelope, dict) else None


def _fingerprint(slide: SlideData) -> str:
    return json.dumps({key: slide.get(key) for key in _FINGERPRINT_KEYS}, sort_keys=True)


def _deck_is_finished(presentation: dict[str, Any]) -> bool:
    """slidestream says so in `generation`; Presenton says nothing (so: not known)."""
    generation = presentation.get("generation")
    return isinstance(generation, dict) and generation.get("deck_status") == "completed"


def _is_opening(chunk: str) -> bool:
    """Whether a deck chunk starts the document (`{ "slides": [ `), not a slide or the end."""
    start = parse_partial(chunk)
    return isinstance(start, dict) and isinstance(start.get("slides"), list)


def _deck_failure(presentation: dict[str, Any]) -> str | None:
    """The `error` frame's detail of a stored deck that failed or was cancelled (what
    slidestream says in `generation`); None otherwise, and always on Presenton."""
    generation = presentation.get("generation")
    if not isinstance(generation, dict):
        return None
    status = generation.get("deck_status")
    if status not in ("failed", "cancelled"):
        return None
    fallback = "Generation was cancelled" if status == "cancelled" else "Generation failed"
    return str(generation.get("error") or fallback)


class DeckSession(StreamSession):
    """`GET /presentation/stream/{id}` as Slide events, each index handed out once."""

    kind = "presentation"

    def __init__(
        self, presentation_id: str, policy: RetryPolicy, last_event_id: str | None = None
    ) -> None:
        path = f"{API}/presentation/stream/{presentation_id}"
        super().__init__(presentation_id, path, policy, last_event_id)
        self._handed: dict[int, str] = {}  # index -> fingerprint of the slide handed out
        self._deck: dict[int, SlideData] = {}
        self._document = DeckDocument()
        self._position = 0  # slides seen in the current document
        self._final_fetch = False
        # Resuming from an id an earlier reader stored: the slides before that id were that
        # reader's (handed out there, not here), and the stream continues mid-document
        # (unless that id was the one just before the opening: a reset frame's).
        self._continues_earlier = self._last_id is not None
        self._opening_unseen = self._continues_earlier

    def _with_state(self, event_type: Any, **fields: Any) -> StreamEvent:
        event: StreamEvent = event_type(deck=self._snapshot(), **fields)
        return event

    def _snapshot(self) -> tuple[SlideData, ...]:
        return tuple(self._deck[index] for index in sorted(self._deck))

    def _start_document(self) -> None:
        self._document = DeckDocument()
        self._deck.clear()
        self._position = 0
        self._continues_earlier = False  # this document is read from its start
        self._opening_unseen = False

    def _mark(self) -> int:
        return len(self._handed)  # slide indices handed out (revisions do not count)

    def _chunk(self, text: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self._opening_unseen:
            self._opening_unseen = False
            if not _is_opening(text):
                self._document.feed(DECK_OPENING)
        for slide in self._document.feed(text):
            index = slide.get("index")
            if not isinstance(index, int):
                index = self._position
            self._position += 1
            self._deck[index] = slide
            event = self._hand_out(index, slide, revise=True)
            if event is not None:
                events.append(event)
        return events

    def _hand_out(self, index: int, slide: SlideData, *, revise: bool) -> Slide | None:
        fingerprint = _fingerprint(slide)
        previous = self._handed.get(index)
        if previous == fingerprint or (previous is not None and not revise):
            return None
        self._handed[index] = fingerprint
        return Slide(index=index, slide=slide, revised=previous is not None, deck=self._snapshot())

    def _complete(self, presentation: dict[str, Any]) -> list[StreamEvent]:
        events = self._take_stored(presentation)
        events.append(Complete(presentation=presentation, deck=self._snapshot()))
        return events

    def _take_stored(self, presentation: dict[str, Any]) -> list[StreamEvent]:
        """Adopt the stored slides as the deck. A slide the stream never carried is handed
        out (unless an earlier reader had it); one that only changed since (its final image
        URL, say) is not: the terminal event's deck has it."""
        events: list[StreamEvent] = []
        stored = presentation.get("slides")
        if not isinstance(stored, list):
            return events
        slides = sorted(
            (s for s in stored if isinstance(s, dict) and isinstance(s.get("index"), int)),
            key=lambda s: int(s["index"]),
        )
        self._deck = {int(s["index"]): s for s in slides}
        for slide in slides:
            index = int(slide["index"])
            if self._continues_earlier:
                self._handed.setdefault(index, _fingerprint(slide))
                continue
            event = self._hand_out(index, slide, revise=False)
            if event is not None:
                events.append(event)
        return events

    def _stored_end(self, presentation: dict[str, Any]) -> list[StreamEvent]:
        """The stream's end, read from the stored deck: `Complete`, or the `StreamError`
        its failure or cancellation sent (with the slides it kept)."""
        self.done = True
        failure = _deck_failure(presentation)
        if failure is None:
            return self._complete(presentation)
        events = self._take_stored(presentation)
        events.append(StreamError(detail=failure, deck=self._snapshot()))
        return events

    def _stored_request(self, delay: float) -> Fetch:
        return Fetch(Request("GET", f"{API}/presentation/{self.presentation_id}"), delay)

    def _reconnect(self, delay: float) -> Step:
        if self._has_ids:
            return self._connect(delay, resume=True)
        return self._stored_request(delay)

    def _finished_elsewhere(self) -> Step:
        self._final_fetch = True
        return self._stored_request(0.0)

    def fetched(self, reply: Reply) -> list[StreamEvent]:
        """The stored deck: finish from it when the stream is over (204) or the server
        says the deck is complete, or failed or was cancelled while this session was
        away; otherwise reopen the stream."""
        if reply.status_code != 200:
            if reply.status_code not in RETRYABLE_STATUSES:
                raise api_error(reply)
            self.lost(api_error(reply))
            return []
        presentation = reply.json()
        if not isinstance(presentation, dict):
            presentation = {}
        if self._final_fetch:
            # The caller already had the whole stream up to its terminal frame.
            self._continues_earlier = True
            return self._stored_end(presentation)
        if _deck_is_finished(presentation) or (
            # The run this session was reading failed or was cancelled while it was away.
            # Opening the stream again would start a new run (the server's answer to a
            # stream request without an id), undoing a cancellation.
            self._connected_once and _deck_failure(presentation) is not None
        ):
            return self._stored_end(presentation)
        self._pending = self._connect(0.0, resume=False)
        return []


class OutlineSession(StreamSession):
    """`GET /outlines/stream/{id}` as OutlineDelta events over the accumulated text."""

    kind = "outline"

    def __init__(self, presentation_id: str, policy: RetryPolicy, remember: dict[str, list[str]]):
        super().__init__(presentation_id, f"{API}/outlines/stream/{presentation_id}", policy, None)
        self._remember = remember
        self._handed = ""  # outline text handed out so far
        self._current = ""  # outline text of the current document
        self._outline: tuple[str, ...] = ()
        self._longest = 0  # length of the longest outline text handed out

    def _with_state(self, event_type: Any, **fields: Any) -> StreamEvent:
        event: StreamEvent = event_type(outline=self._outline, **fields)
        return event

    def _start_document(self) -> None:
        self._current = ""

    def _chunk(self, text: str) -> list[StreamEvent]:
        self._current += text
        parsed = outline_texts(self._current)
        if parsed is not None:
            self._outline = parsed
        if self._handed.startswith(self._current):
            return []  # a replay that has not yet passed what was handed out
        if self._current.startswith(self._handed):
            delta, restart = self._current[len(self._handed) :], False
        else:
            delta, restart = self._current, True
        self._handed = self._current
        self._longest = max(self._longest, len(self._current))
        return [OutlineDelta(text=delta, restart=restart, outline=self._outline)]

    def _mark(self) -> int:
        return self._longest  # outline text handed out, the longest so far

    def _complete(self, presentation: dict[str, Any]) -> list[StreamEvent]:
        outlines = presentation.get("outlines")
        slides = outlines.get("slides") if isinstance(outlines, dict) else None
        if isinstance(slides, list):
            self._outline = tuple(
                str(s["content"]) for s in slides if isinstance(s, dict) and "content" in s
            )
        self._remember[self.presentation_id] = list(self._outline)
        return [Complete(presentation=presentation, outline=self._outline)]

    def _reconnect(self, delay: float) -> Step:
        return self._connect(delay, resume=True)

    def _finished_elsewhere(self) -> Step:
        # Only possible with an id this session did not see end; a replay from the start
        # brings the `complete` frame, and the text dedupe keeps it from repeating.
        return self._connect(0.0, resume=False)

    def fetched(self, reply: Reply) -> list[StreamEvent]:
        raise RuntimeError("the outline stream never fetches")
