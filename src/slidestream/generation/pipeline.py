"""Job bodies: outline, deck and single-slide generation.

Each writes its progress to the database as it goes (outline text while it streams, each
slide as soon as it exists) and announces every write on the notification channel. A job
started again after a crash continues from what is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel
from slidestream.errors import SlidestreamError
from slidestream.generation.outline import (
    OutlineParseError,
    outline_messages,
    outline_schema,
    parse_outline,
    title_from_outline,
)
from slidestream.generation.slides import SlideRequest, generate_slide_content
from slidestream.generation.toc import outline_count_for
from slidestream.llm.base import LLMError, LLMProvider
from slidestream.settings import Settings
from slidestream.storage.models import JobRow, PresentationRow
from slidestream.storage.repository import NewSlide, Repository
from slidestream.streaming.channels import NotificationChannel, presentation_topic

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """A job ended with an error that has been recorded on the presentation."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def error_detail(error: BaseException) -> str:
    if isinstance(error, LLMError | SlidestreamError):
        return error.detail
    return f"Generation failed: {error}"


class GenerationPipeline:
    """Runs one job of each kind against the configured provider."""

    def __init__(
        self,
        repository: Repository,
        channel: NotificationChannel,
        provider: Callable[[], LLMProvider],
        settings: Settings,
    ) -> None:
        self.repository = repository
        self.channel = channel
        self.provider = provider
        self.settings = settings

    async def announce(self, presentation_id: uuid.UUID) -> None:
        await self.channel.publish(presentation_topic(presentation_id))

    async def run(self, job: JobRow) -> None:
        if job.kind == "outline":
            await self.run_outline(job)
        elif job.kind == "deck":
            await self.run_deck(job)
        elif job.kind == "slide":
            await self.run_slide(job)
        else:
            raise JobFailed(f"Unknown job kind {job.kind!r}")

    # --- outline ----------------------------------------------------------------------

    async def run_outline(self, job: JobRow) -> None:
        pid = job.presentation_id
        row = await self._presentation(pid)
        run = row.outline_run
        if row.outline_text:
            # Resumed after a crash: a model cannot continue a half-written answer, so
            # this is a new run (readers are told to start over).
            run += 1
            await self.repository.update_presentation(
                pid, {"outline_run": run, "outline_text": ""}, only_if={"outline_run": [run - 1]}
            )
            await self.announce(pid)
        only_this_run: dict[str, list[Any]] = {
            "outline_run": [run],
            "outline_status": ["generating"],
        }
        wanted = outline_count_for(row.n_slides, row.include_table_of_contents)
        try:
            text = await self._stream_outline(row, wanted, only_this_run)
            contents = parse_outline(text, wanted)
        except (LLMError, OutlineParseError) as error:
            detail = (
                f"Failed to generate presentation outlines. Please try again. {error}"
                if isinstance(error, OutlineParseError)
                else error_detail(error)
            )
            await self.repository.update_presentation(
                pid, {"outline_status": "failed", "outline_error": detail}, only_if=only_this_run
            )
            await self.announce(pid)
            raise JobFailed(detail) from error
        await self.repository.update_presentation(
            pid,
            {
                "outlines": {"slides": [{"content": c} for c in contents]},
                "title": title_from_outline(contents),
                "outline_status": "ready",
                "outline_error": None,
            },
            only_if=only_this_run,
        )
        await self.announce(pid)
        log.info("outline.done presentation_id=%s slides=%d", pid, len(contents))

    async def _stream_outline(
        self, row: PresentationRow, wanted: int, only_this_run: Mapping[str, list[Any]]
    ) -> str:
        provider = self.provider()
        text = ""
        saved = 0
        last_save = time.monotonic()
        stream = provider.stream_json(
            outline_messages(row, wanted), outline_schema(wanted), "outline"
        )
        async for delta in stream:
            text += delta
            if time.monotonic() - last_save >= self.settings.outline_flush_seconds:
                await self.repository.update_presentation(
                    row.id, {"outline_text": text}, only_if=only_this_run
                )
                await self.announce(row.id)
                saved, last_save = len(text), time.monotonic()
        if len(text) != saved:
            await self.repository.update_presentation(
                row.id, {"outline_text": text}, only_if=only_this_run
            )
            await self.announce(row.id)
        return text

    # --- deck -------------------------------------------------------------------------

    async def run_deck(self, job: JobRow) -> None:
        pid = job.presentation_id
        row = await self._presentation(pid)
        layout = PresentationLayoutModel.model_validate(row.layout)
        structure: list[int] = list((row.structure or {}).get("slides", []))
        outlines = [o["content"] for o in (row.outlines or {}).get("slides", [])]
        only_this_run: dict[str, list[Any]] = {"deck_run": [job.run], "deck_status": ["generating"]}
        stored = await self.repository.stored_slide_indices(pid)
        todo = [i for i in range(len(structure)) if i not in stored]
        log.info(
            "deck.start presentation_id=%s run=%d slides=%d stored=%d",
            pid,
            job.run,
            len(structure),
            len(stored),
        )
        provider = self.provider()
        slots = asyncio.Semaphore(self.settings.slide_concurrency)
        failures: list[BaseException] = []

        async def generate(index: int) -> None:
            async with slots:
                if failures:
                    return  # stop starting new slides once one has failed for good
                slide_layout = layout.slides[structure[index]]
                request = self._slide_request(row, slide_layout, outlines[index])
                try:
                    result = await generate_slide_content(provider, request)
                except Exception as error:
                    failures.append(error)
                    log.warning(
                        "deck.slide_failed presentation_id=%s index=%d error=%s",
                        pid,
                        index,
                        error_detail(error),
                    )
                    return
                await self.repository.insert_slide(
                    pid,
                    NewSlide(
                        index=index,
                        layout_group=layout.name,
                        layout=slide_layout.id,
                        content=result.content,
                        speaker_note=result.speaker_note,
                    ),
                    expected_run=job.run,
                )
                await self.announce(pid)

        await asyncio.gather(*(generate(i) for i in todo))
        if failures:
            detail = error_detail(failures[0])
            await self.repository.update_presentation(
                pid, {"deck_status": "failed", "deck_error": detail}, only_if=only_this_run
            )
            await self.announce(pid)
            raise JobFailed(detail)
        await self.repository.update_presentation(
            pid, {"deck_status": "completed", "deck_error": None}, only_if=only_this_run
        )
        await self.announce(pid)
        log.info("deck.done presentation_id=%s run=%d", pid, job.run)

    def _slide_request(
        self,
        row: PresentationRow,
        layout: SlideLayoutModel,
        outline: str,
        extra_prompt: str | None = None,
    ) -> SlideRequest:
        return SlideRequest(
            outline=outline,
            layout=layout,
            language=row.language,
            tone=row.tone,
            verbosity=row.verbosity,
            instructions=row.instructions,
            extra_prompt=extra_prompt,
        )

    # --- one slide --------------------------------------------------------------------

    async def run_slide(self, job: JobRow) -> None:
        pid = job.presentation_id
        row = await self._presentation(pid)
        slide = await self.repository.get_slide(uuid.UUID(job.params["slide_id"]))
        if slide is None or slide.presentation != pid:
            raise JobFailed("Slide not found")
        layout = PresentationLayoutModel.model_validate(row.layout)
        slide_layout = next((s for s in layout.slides if s.id == slide.layout), None)
        if slide_layout is None:
            raise JobFailed(f"The slide's layout {slide.layout!r} is not in the presentation")
        outlines = [o["content"] for o in (row.outlines or {}).get("slides", [])]
        outline = outlines[slide.index] if slide.index < len(outlines) else str(slide.content)
        request = self._slide_request(row, slide_layout, outline, job.params.get("prompt"))
        try:
            result = await generate_slide_content(self.provider(), request)
        except LLMError as error:
            raise JobFailed(error.detail) from error
        await self.repository.replace_slide_content(slide.id, result.content, result.speaker_note)
        await self.announce(pid)

    async def fail_presentation(self, job: JobRow, detail: str) -> None:
        """Record an unexpected job failure where readers look, so they end their streams."""
        if job.kind == "outline":
            values = {"outline_status": "failed", "outline_error": detail}
            only_if: dict[str, list[Any]] = {"outline_status": ["generating"]}
        elif job.kind == "deck":
            values = {"deck_status": "failed", "deck_error": detail}
            only_if = {"deck_run": [job.run], "deck_status": ["generating"]}
        else:
            return
        await self.repository.update_presentation(job.presentation_id, values, only_if=only_if)
        await self.announce(job.presentation_id)

    async def _presentation(self, presentation_id: uuid.UUID) -> PresentationRow:
        row = await self.repository.get_presentation(presentation_id)
        if row is None:
            raise JobFailed("The presentation was deleted")
        return row
