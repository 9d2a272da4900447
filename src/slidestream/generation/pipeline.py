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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel
from slidestream.errors import SlidestreamError
from slidestream.generation.engines import Engine
from slidestream.generation.offline.outline import Source
from slidestream.generation.outline import (
    OutlineParseError,
    parse_outline,
    title_from_outline,
)
from slidestream.generation.preparation import prepare_deck
from slidestream.generation.slides import SlideRequest
from slidestream.generation.stages import end_open_stages
from slidestream.generation.toc import outline_count_for
from slidestream.llm.base import LLMError
from slidestream.settings import Settings
from slidestream.storage.database import is_database_outage
from slidestream.storage.models import JobRow, PresentationRow, SlideRow
from slidestream.storage.repository import NewSlide, Repository
from slidestream.streaming.channels import NotificationChannel, presentation_topic
from slidestream.templates.registry import get_layout_group

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


DocumentLoader = Callable[[Sequence[str]], Awaitable[list[Source]]]


class AssetFetcher(Protocol):
    """Fills image and icon URLs in slide content (see `slidestream.assets`)."""

    @property
    def images_enabled(self) -> bool: ...

    async def fill(self, content: dict[str, Any]) -> dict[str, Any]: ...

    def fill_icons(self, content: dict[str, Any]) -> dict[str, Any]: ...

    def has_pending(self, content: dict[str, Any]) -> bool: ...


class TaskEvents(Protocol):
    """What a one-shot generation tells its task (see `generation.tasks`)."""

    async def stage(self, job: JobRow, message: str) -> None: ...

    async def completed(self, job: JobRow) -> None: ...

    async def failed(self, job: JobRow, detail: str) -> None: ...


class GenerationPipeline:
    """Runs one job of each kind with the configured engine."""

    def __init__(
        self,
        repository: Repository,
        channel: NotificationChannel,
        engine: Callable[[], Engine],
        settings: Settings,
        *,
        documents: DocumentLoader | None = None,
        assets: AssetFetcher | None = None,
    ) -> None:
        self.repository = repository
        self.channel = channel
        self.engine = engine
        self.settings = settings
        self.documents = documents
        self.assets = assets
        self.tasks: TaskEvents | None = None  # set once the task service exists

    async def announce(self, presentation_id: uuid.UUID) -> None:
        await self.channel.publish(presentation_topic(presentation_id))

    async def run(self, job: JobRow) -> None:
        if job.kind == "outline":
            await self.run_outline(job)
        elif job.kind == "deck":
            await self.run_deck(job)
        elif job.kind == "slide":
            await self.run_slide(job)
        elif job.kind == "generate":
            await self.run_generate(job)
        else:
            raise JobFailed(f"Unknown job kind {job.kind!r}")

    # --- outline ----------------------------------------------------------------------

    async def run_outline(self, job: JobRow) -> None:
        await self._outline(job.presentation_id)

    async def _outline(self, pid: uuid.UUID) -> None:
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

    async def load_documents(self, row: PresentationRow) -> list[Source]:
        if not row.file_paths or self.documents is None:
            return []
        return await self.documents(row.file_paths)

    async def _stream_outline(
        self, row: PresentationRow, wanted: int, only_this_run: Mapping[str, list[Any]]
    ) -> str:
        documents = await self.load_documents(row)
        text = ""
        saved = 0
        last_save = time.monotonic()
        stream = self.engine().stream_outline(row, wanted, documents)
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
        await self._deck(job.presentation_id, job.run)

    async def _deck(self, pid: uuid.UUID, run: int) -> None:
        row = await self._presentation(pid)
        layout = PresentationLayoutModel.model_validate(row.layout)
        structure: list[int] = list((row.structure or {}).get("slides", []))
        outlines = [o["content"] for o in (row.outlines or {}).get("slides", [])]
        only_this_run: dict[str, list[Any]] = {"deck_run": [run], "deck_status": ["generating"]}
        stored = await self.repository.slides_from(pid, 0)
        stored_indices = {s.index for s in stored}
        todo = [i for i in range(len(structure)) if i not in stored_indices]
        log.info(
            "deck.start presentation_id=%s run=%d slides=%d stored=%d",
            pid,
            run,
            len(structure),
            len(stored),
        )
        engine = self.engine()
        slots = asyncio.Semaphore(self.settings.slide_concurrency)
        failures: list[BaseException] = []
        # Images are fetched beside the slide stream: a slide is stored (and streamed) with
        # placeholders, and its final URLs are written when they arrive. Slides stored by
        # an earlier, interrupted run that still wait for images are finished here too.
        asset_tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(self._fill_assets(slide))
            for slide in stored
            if self._images_pending(slide.content)
        ]

        async def generate(index: int) -> None:
            async with slots:
                if failures:
                    return  # stop starting new slides once one has failed for good
                slide_layout = layout.slides[structure[index]]
                request = self._slide_request(row, slide_layout, outlines[index])
                try:
                    result = await engine.slide_content(request)
                except Exception as error:
                    failures.append(error)
                    log.warning(
                        "deck.slide_failed presentation_id=%s index=%d error=%s",
                        pid,
                        index,
                        error_detail(error),
                    )
                    return
                content = result.content
                if self.assets is not None:  # icons are instant: the slide streams with them
                    content = self.assets.fill_icons(content)
                new = NewSlide(
                    id=uuid.uuid4(),
                    index=index,
                    layout_group=layout.name,
                    layout=slide_layout.id,
                    content=content,
                    speaker_note=result.speaker_note,
                )
                if await self.repository.insert_slide(pid, new, expected_run=run):
                    await self.announce(pid)
                    if self._images_pending(content):
                        asset_tasks.append(asyncio.create_task(self._fill_assets(new.row(pid))))

        slide_tasks = [asyncio.create_task(generate(i)) for i in todo]
        try:
            await asyncio.gather(*slide_tasks)
            # The `complete` frame carries the final image URLs: wait for them.
            await asyncio.gather(*asset_tasks)
        finally:
            # On any way out (an unexpected error, a cancel), nothing keeps running behind.
            for task in [*slide_tasks, *asset_tasks]:
                task.cancel()
            await asyncio.gather(*slide_tasks, *asset_tasks, return_exceptions=True)
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
        log.info("deck.done presentation_id=%s run=%d", pid, run)

    def _images_pending(self, content: dict[str, Any]) -> bool:
        return (
            self.assets is not None
            and self.assets.images_enabled
            and self.assets.has_pending(content)
        )

    async def _fill_assets(self, slide: SlideRow) -> None:
        assert self.assets is not None
        try:
            content = await self.assets.fill(slide.content)
            if content != slide.content:
                await self.repository.replace_slide_content(slide.id, content, slide.speaker_note)
                await self.announce(slide.presentation)
        except Exception:  # an image is never worth failing a slide (or a deck) for
            log.exception("assets.failed slide_id=%s", slide.id)

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
            result = await self.engine().slide_content(request)
        except LLMError as error:
            raise JobFailed(error.detail) from error
        content = result.content
        if self.assets is not None:
            content = await self.assets.fill(content)
        await self.repository.replace_slide_content(slide.id, content, result.speaker_note)
        await self.announce(pid)

    # --- one-shot generation ------------------------------------------------------------

    async def run_generate(self, job: JobRow) -> None:
        """Outline, layouts, slides and export in one job, resumable at every stage.

        It drives the same presentation fields as the interactive flow, so both stream
        endpoints work for a deck started by `generate` or `generate/async`."""
        pid = job.presentation_id
        try:
            await self._generate_stages(job)
        except asyncio.CancelledError:
            raise  # cancelled on purpose (the service records it) or shut down (resumes)
        except Exception as error:
            if is_database_outage(error):
                raise  # not a failure of the deck: the job is run again once it is back
            detail = error.detail if isinstance(error, JobFailed) else error_detail(error)
            await self.end_generate(job, "failed", detail)
            if self.tasks is not None:
                await self.tasks.failed(job, detail)
            raise JobFailed(detail) from error
        log.info("generate.done presentation_id=%s", pid)

    async def end_generate(self, job: JobRow, status: str, detail: str) -> None:
        """A one-shot generation ended early: whichever stage it was in ends with it, so
        every reader gets a terminal frame and the deck can be edited again."""
        await end_open_stages(self.repository, job.presentation_id, status, detail)
        await self.announce(job.presentation_id)

    async def _stage(self, job: JobRow, message: str) -> None:
        if self.tasks is not None:
            await self.tasks.stage(job, message)

    async def _generate_stages(self, job: JobRow) -> None:
        pid = job.presentation_id
        mode = self.engine().mode
        row = await self._presentation(pid)
        if row.outline_status != "ready":
            await self._stage(job, "Generating presentation outlines")
            markdown: list[str] | None = job.params.get("slides_markdown")
            if markdown:
                await self.repository.update_presentation(
                    pid,
                    {
                        "outlines": {"slides": [{"content": c} for c in markdown]},
                        "title": title_from_outline(markdown),
                        "outline_status": "ready",
                        "generation_mode": mode,
                    },
                )
                await self.announce(pid)
            else:
                if row.outline_status != "generating":
                    await self.repository.update_presentation(
                        pid,
                        {
                            "outline_status": "generating",
                            "outline_run": row.outline_run + 1,
                            "outline_text": "",
                            "outline_error": None,
                            "generation_mode": mode,
                        },
                    )
                    await self.announce(pid)
                await self._outline(pid)
            row = await self._presentation(pid)
        if not (row.structure or {}).get("slides"):
            await self._stage(job, "Selecting layout for each slide")
            layout = get_layout_group(job.params.get("template") or "general")
            contents = [o["content"] for o in (row.outlines or {}).get("slides", [])]
            title = job.params.get("title")
            await prepare_deck(self.repository, self.engine(), row, layout, contents, title)
            await self.announce(pid)
            row = await self._presentation(pid)
        if row.deck_status != "completed":
            await self._stage(job, "Generating slides")
            run = row.deck_run
            if row.deck_status != "generating":
                # The task reserved run 1 when it was created: readers that attached early
                # are already in it and get the slides without a reset.
                if not (row.deck_status == "none" and run >= 1):
                    run += 1
                await self.repository.update_presentation(
                    pid,
                    {
                        "deck_status": "generating",
                        "deck_run": run,
                        "deck_error": None,
                        "generation_mode": mode,
                    },
                )
                await self.announce(pid)
            await self._deck(pid, run)
        await self._stage(job, "Exporting presentation")
        if self.tasks is not None:
            await self.tasks.completed(job)

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
