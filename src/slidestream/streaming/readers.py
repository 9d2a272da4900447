"""Stream readers: turn stored state into the frames a client has not seen yet.

A reader never generates anything. It reads the database, sends what is new since the
client's position, then sleeps until the notification channel says the presentation
changed (or a re-check interval passes). Any number of readers, on any process, see the
same frames for the same stored state; a disconnecting client only stops its reader.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from slidestream.domain.views import presentation_model, presentation_with_slides, slide_chunk_json
from slidestream.storage.database import is_database_outage
from slidestream.storage.repository import Repository
from slidestream.streaming import frames
from slidestream.streaming.channels import NotificationChannel, presentation_topic
from slidestream.streaming.frames import Frame
from slidestream.streaming.positions import START, StreamPosition, frame_id

T = TypeVar("T")
log = logging.getLogger(__name__)
OUTAGE_RETRY_MAX_SECONDS = 5.0
OPENING_CHUNK = '{ "slides": [ '
CLOSING_CHUNK = " ] }"
OUTLINE_STATUS_TEXT = "Generating presentation outlines..."
DELETED_DETAIL = "The presentation was deleted"
DECK_AGAIN_DETAIL = "The deck was generated again"
OUTLINE_AGAIN_DETAIL = "The outline was generated again"
TERMINAL_DECK_STATUSES = ("completed", "failed", "cancelled")
TERMINAL_OUTLINE_STATUSES = ("ready", "failed", "cancelled")


def _dump(model: Any) -> dict[str, Any]:
    result: dict[str, Any] = model.model_dump(mode="json")
    return result


class _Reader:
    def __init__(
        self,
        repository: Repository,
        channel: NotificationChannel,
        presentation_id: uuid.UUID,
        after: StreamPosition | None,
        recheck_seconds: float,
        *,
        resets: bool = True,
    ) -> None:
        self.repository = repository
        self.channel = channel
        self.presentation_id = presentation_id
        self.after = after
        self.recheck_seconds = recheck_seconds
        # Without resets (Presenton's strict wire) a new run mid-stream ends the stream
        # with an `error` frame instead: a Presenton client has no way to start over.
        self.resets = resets

    async def frames(self) -> AsyncIterator[Frame]:
        with self.channel.subscribe(presentation_topic(self.presentation_id)) as subscription:
            async for frame in self._frames(subscription.wait):
                yield frame

    def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        raise NotImplementedError

    async def _read(self, query: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run a read, waiting out a database outage: the client's stream stays open
        (heartbeats keep flowing) and goes on where it was once the database is back."""
        delay = 0.2
        while True:
            try:
                return await query(*args)
            except Exception as error:
                if not is_database_outage(error):
                    raise
            log.warning("stream.database_unavailable presentation_id=%s", self.presentation_id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, OUTAGE_RETRY_MAX_SECONDS)


class DeckStreamReader(_Reader):
    """Frames of `GET /presentation/stream/{id}`.

    seq 0 opens the JSON document, seq k carries the k-th slide (by index), the closing
    chunk follows the last slide, then exactly one `complete` or `error` frame. Slides are
    emitted strictly in order: while generation runs, slide k is sent only after 0..k-1.
    Between wake-ups the reader holds no rows, only counters: thousands of idle streams
    must stay cheap.
    """

    def __init__(self, *args: Any, commas: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commas = commas

    async def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        state = await self._read(self.repository.deck_state, self.presentation_id)
        if state is None:
            yield frames.error(frame_id("d", 0, None), DELETED_DETAIL)
            return
        run = state.run
        sent = 0  # frames of this run the client has: the next seq to send
        if self.after is not None:
            if self.after.run == run and self.after.offset is not None:
                sent = self.after.offset + 1
            else:
                yield frames.reset(frame_id("d", run, START), DECK_AGAIN_DETAIL)
        last_index: int | None = None  # index of the last slide sent; None = not yet known
        closed = False
        while True:
            state = await self._read(self.repository.deck_state, self.presentation_id)
            if state is None:
                # Deleted mid-stream: what arrived still closes the document, as on any error.
                if sent and not closed:
                    yield frames.chunk(frame_id("d", run, sent), CLOSING_CHUNK)
                yield frames.error(frame_id("d", run, None), DELETED_DETAIL)
                return
            if state.run != run:
                if not self.resets:
                    if sent and not closed:
                        yield frames.chunk(frame_id("d", run, sent), CLOSING_CHUNK)
                    yield frames.error(frame_id("d", run, None), DECK_AGAIN_DETAIL)
                    return
                run, sent, last_index, closed = state.run, 0, None, False
                yield frames.reset(frame_id("d", run, START), DECK_AGAIN_DETAIL)
            terminal = state.status in TERMINAL_DECK_STATUSES
            if sent == 0:
                yield frames.chunk(frame_id("d", run, 0), OPENING_CHUNK)
                sent = 1
            if last_index is None:
                slides = await self._read(self.repository.slides_from, self.presentation_id, 0)
                already = sent - 1  # slides (and maybe the closing chunk) the client has
                if already > len(slides) + int(terminal):
                    # A position this run never reached (ids are computed, so one can be
                    # made up): start the run over rather than guess.
                    yield frames.reset(frame_id("d", run, START), "Unknown stream position")
                    yield frames.chunk(frame_id("d", run, 0), OPENING_CHUNK)
                    sent, already = 1, 0
                closed = already > len(slides)
                already = min(already, len(slides))
                last_index = slides[already - 1].index if already else -1
                slides = slides[already:]
            else:
                slides = await self._read(
                    self.repository.slides_from, self.presentation_id, last_index + 1
                )
            ready = [] if closed else self._in_order(slides, last_index, terminal)
            del slides  # idle readers keep counters, not rows
            for index, text in ready:
                separator = ", " if self.commas and sent > 1 else ""
                yield frames.chunk(frame_id("d", run, sent), separator + text)
                sent, last_index = sent + 1, index
            del ready
            if terminal:
                if not closed:
                    yield frames.chunk(frame_id("d", run, sent), CLOSING_CHUNK)
                yield await self._terminal(state.status, state.error, run)
                return
            await wait(self.recheck_seconds)

    @staticmethod
    def _in_order(slides: list[Any], last_index: int, terminal: bool) -> list[tuple[int, str]]:
        """(index, chunk JSON) of the slides that may go out now. While generating, never
        skip ahead of a missing slide; once finished, send whatever is stored."""
        ready = []
        for slide in slides:
            if not terminal and slide.index != last_index + 1:
                break
            ready.append((slide.index, slide_chunk_json(slide)))
            last_index = slide.index
        return ready

    async def _terminal(self, status: str, error: str | None, run: int) -> Frame:
        end = frame_id("d", run, None)
        if status == "completed":
            row = await self._read(
                self.repository.get_presentation_with_slides, self.presentation_id
            )
            if row is None:
                return frames.error(end, DELETED_DETAIL)
            return frames.complete(end, _dump(presentation_with_slides(row, list(row.slides))))
        if status == "cancelled":
            return frames.error(end, error or "Generation was cancelled")
        return frames.error(end, error or "Generation failed")


class OutlineStreamReader(_Reader):
    """Frames of `GET /outlines/stream/{id}`: a status frame, the outline JSON text in
    chunks as it is written (ids are character offsets), then `complete` or `error`."""

    async def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        after = self.after
        offset = max(after.offset or 0, 0) if after is not None else 0
        state = await self._read(self.repository.outline_state, self.presentation_id, offset)
        if state is None:
            yield frames.error(frame_id("o", 0, None), DELETED_DETAIL)
            return
        run = state.run
        if after is not None and (after.run != run or offset > state.length):
            offset = 0  # an older run, or a position this run never reached: start over
            yield frames.reset(frame_id("o", run, START), OUTLINE_AGAIN_DETAIL)
            after = None
        if after is None:
            yield frames.status(frame_id("o", run, 0), OUTLINE_STATUS_TEXT)
        while True:
            state = await self._read(self.repository.outline_state, self.presentation_id, offset)
            if state is None:
                yield frames.error(frame_id("o", run, None), DELETED_DETAIL)
                return
            if state.run != run:
                if not self.resets:
                    yield frames.error(frame_id("o", run, None), OUTLINE_AGAIN_DETAIL)
                    return
                run, offset = state.run, 0
                yield frames.reset(frame_id("o", run, START), OUTLINE_AGAIN_DETAIL)
                yield frames.status(frame_id("o", run, 0), OUTLINE_STATUS_TEXT)
                continue
            if state.length > offset:
                yield frames.chunk(frame_id("o", run, state.length), state.text_after)
                offset = state.length
            if state.status == "ready":
                row = await self._read(self.repository.get_presentation, self.presentation_id)
                if row is None:
                    yield frames.error(frame_id("o", run, None), DELETED_DETAIL)
                    return
                yield frames.complete(frame_id("o", run, None), _dump(presentation_model(row)))
                return
            if state.status in ("failed", "cancelled"):
                detail = state.error or "Failed to generate presentation outlines"
                yield frames.error(frame_id("o", run, None), detail)
                return
            await wait(self.recheck_seconds)
