"""Stream readers: turn stored state into the frames a client has not seen yet.

A reader never generates anything. It reads the database, sends what is new since the
client's position, then sleeps until the notification channel says the presentation
changed (or a re-check interval passes). Any number of readers, on any process, see the
same frames for the same stored state; a disconnecting client only stops its reader.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from slidestream.domain.views import presentation_model, presentation_with_slides, slide_chunk_json
from slidestream.storage.models import PresentationRow
from slidestream.storage.repository import Repository
from slidestream.streaming import frames
from slidestream.streaming.channels import NotificationChannel, presentation_topic
from slidestream.streaming.frames import Frame
from slidestream.streaming.positions import START, StreamPosition, frame_id

OPENING_CHUNK = '{ "slides": [ '
CLOSING_CHUNK = " ] }"
OUTLINE_STATUS_TEXT = "Generating presentation outlines..."
DELETED_DETAIL = "The presentation was deleted"
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
    ) -> None:
        self.repository = repository
        self.channel = channel
        self.presentation_id = presentation_id
        self.after = after
        self.recheck_seconds = recheck_seconds

    async def frames(self) -> AsyncIterator[Frame]:
        with self.channel.subscribe(presentation_topic(self.presentation_id)) as subscription:
            async for frame in self._frames(subscription.wait):
                yield frame

    def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        raise NotImplementedError


class DeckStreamReader(_Reader):
    """Frames of `GET /presentation/stream/{id}`.

    seq 0 opens the JSON document, seq k+1 carries the k-th slide (by index), the closing
    chunk follows the last slide, then exactly one `complete` or `error` frame. Slides are
    emitted strictly in order: while generation runs, slide k is sent only after 0..k-1.
    """

    def __init__(self, *args: Any, commas: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commas = commas

    async def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        row = await self.repository.get_presentation(self.presentation_id)
        if row is None:
            yield frames.error(frame_id("d", 0, None), DELETED_DETAIL)
            return
        run = row.deck_run
        sent = 0  # frames of this run already with the client: next seq to send
        if self.after is not None:
            if self.after.run == run and self.after.offset is not None:
                sent = self.after.offset + 1
            else:
                yield frames.reset(frame_id("d", run, START), "The deck was generated again")
        closed = False
        while True:
            row = await self.repository.get_presentation(self.presentation_id)
            if row is None:
                yield frames.error(frame_id("d", run, None), DELETED_DETAIL)
                return
            if row.deck_run != run:
                run, sent, closed = row.deck_run, 0, False
                yield frames.reset(frame_id("d", run, START), "The deck was generated again")
            terminal = row.deck_status in TERMINAL_DECK_STATUSES
            if sent == 0:
                yield frames.chunk(frame_id("d", run, 0), OPENING_CHUNK)
                sent = 1
            slides = await self.repository.slides_from(self.presentation_id, 0)
            if sent - 1 > len(slides) + int(terminal):
                # A position this run never reached (ids are computed, so one can be
                # made up): start the run over rather than guess.
                sent = 1
                yield frames.reset(frame_id("d", run, START), "Unknown stream position")
                yield frames.chunk(frame_id("d", run, 0), OPENING_CHUNK)
            if sent > len(slides) + 1:
                closed = True  # the client already has the closing chunk
            while not closed and sent <= len(slides):
                slide = slides[sent - 1]
                # While generating, never skip ahead of a missing slide.
                if not terminal and slide.index != sent - 1:
                    break
                separator = ", " if self.commas and sent > 1 else ""
                yield frames.chunk(frame_id("d", run, sent), separator + slide_chunk_json(slide))
                sent += 1
            if terminal:
                if not closed:
                    yield frames.chunk(frame_id("d", run, len(slides) + 1), CLOSING_CHUNK)
                yield self._terminal(row, slides, run)
                return
            await wait(self.recheck_seconds)

    def _terminal(self, row: PresentationRow, slides: list[Any], run: int) -> Frame:
        end = frame_id("d", run, None)
        if row.deck_status == "completed":
            return frames.complete(end, _dump(presentation_with_slides(row, slides)))
        if row.deck_status == "cancelled":
            return frames.error(end, row.deck_error or "Generation was cancelled")
        return frames.error(end, row.deck_error or "Generation failed")


class OutlineStreamReader(_Reader):
    """Frames of `GET /outlines/stream/{id}`: a status frame, the outline JSON text in
    chunks as it is written (ids are character offsets), then `complete` or `error`."""

    async def _frames(self, wait: Callable[[float], Any]) -> AsyncIterator[Frame]:
        row = await self.repository.get_presentation(self.presentation_id)
        if row is None:
            yield frames.error(frame_id("o", 0, None), DELETED_DETAIL)
            return
        run = row.outline_run
        offset = 0
        after = self.after
        if after is not None and after.run == run and after.offset is not None:
            if after.offset <= len(row.outline_text):
                offset = max(after.offset, 0)
            else:
                after = None  # a position this run never reached: start over
                yield frames.reset(frame_id("o", run, START), "The outline was generated again")
        elif after is not None:
            yield frames.reset(frame_id("o", run, START), "The outline was generated again")
        if after is None or after.run != run:
            yield frames.status(frame_id("o", run, 0), OUTLINE_STATUS_TEXT)
        while True:
            row = await self.repository.get_presentation(self.presentation_id)
            if row is None:
                yield frames.error(frame_id("o", run, None), DELETED_DETAIL)
                return
            if row.outline_run != run:
                run, offset = row.outline_run, 0
                yield frames.reset(frame_id("o", run, START), "The outline was generated again")
                yield frames.status(frame_id("o", run, 0), OUTLINE_STATUS_TEXT)
            text = row.outline_text
            if len(text) > offset:
                yield frames.chunk(frame_id("o", run, len(text)), text[offset:])
                offset = len(text)
            if row.outline_status == "ready":
                yield frames.complete(frame_id("o", run, None), _dump(presentation_model(row)))
                return
            if row.outline_status in ("failed", "cancelled"):
                detail = row.outline_error or "Failed to generate presentation outlines"
                yield frames.error(frame_id("o", run, None), detail)
                return
            await wait(self.recheck_seconds)
