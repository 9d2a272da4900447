"""The presentation service: every operation the API and the CLI perform.

Starting generation never runs it: it records a job and its presentation state in one
transaction (the unique "one active job per presentation" index makes a second start
attach instead of duplicating) and hands the job id to the runner.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Callable
from typing import Any

from slidestream.access import Access
from slidestream.documents.store import UploadStore
from slidestream.domain.presentations import (
    MAX_SLIDES,
    MIN_SLIDES,
    CreatePresentationRequest,
    OutlineModel,
    PrepareRequest,
    UpdatePresentationRequest,
)
from slidestream.errors import (
    Conflict,
    InvalidInput,
    PayloadTooLarge,
    PresentationNotFound,
    SlideNotFound,
    SlidestreamError,
    UpstreamFailed,
)
from slidestream.generation.engines import Engine
from slidestream.generation.limits import GenerationLimits
from slidestream.generation.outline import title_from_outline
from slidestream.generation.pipeline import TaskEvents
from slidestream.generation.preparation import prepare_deck
from slidestream.generation.stages import end_open_stages
from slidestream.jobs.runner import JobRunner
from slidestream.settings import Settings
from slidestream.storage.models import JobRow, PresentationRow, SlideRow
from slidestream.storage.repository import NewSlide, Repository
from slidestream.streaming.channels import NotificationChannel, presentation_topic
from slidestream.templates.registry import DEFAULT_LAYOUT_GROUP, get_layout_group

log = logging.getLogger(__name__)

NOT_PREPARED = "Presentation not prepared for stream"
NO_OUTLINES = "Outlines can not be empty"
GENERATING_CONFLICT = (
    "The presentation is being generated; wait for it to finish or cancel it first"
)


def check_slide_count(n_slides: int) -> None:
    if n_slides < MIN_SLIDES:
        raise InvalidInput("Number of slides must be greater than 0")
    if n_slides > MAX_SLIDES:
        raise InvalidInput(f"Number of slides cannot be greater than {MAX_SLIDES}")


def _new_deck_run(run: int, mode: str) -> dict[str, Any]:
    """The presentation's columns when deck run `run` starts."""
    return {
        "deck_status": "generating",
        "deck_run": run,
        "deck_error": None,
        "generation_mode": mode,
    }


class PresentationService:
    """Create, prepare, generate, cancel and edit presentations."""

    def __init__(
        self,
        repository: Repository,
        channel: NotificationChannel,
        runner: JobRunner,
        engine: Callable[[], Engine],
        settings: Settings,
        uploads: UploadStore | None = None,
    ) -> None:
        self.uploads = uploads or UploadStore(settings)
        self.repository = repository
        self.channel = channel
        self.runner = runner
        self.engine = engine
        self.settings = settings
        self.limits = GenerationLimits(repository, settings)
        self.tasks: TaskEvents | None = None  # set once the task service exists

    # --- reading ----------------------------------------------------------------------

    async def require(self, presentation_id: uuid.UUID, access: Access) -> PresentationRow:
        """The presentation, if `access` reaches it; another owner's is "not found" too,
        so ids cannot be probed."""
        row = await self.repository.get_presentation(presentation_id)
        if row is None or not access.sees(row.owner, row.id):
            raise PresentationNotFound()
        return row

    async def require_with_slides(
        self, presentation_id: uuid.UUID, access: Access
    ) -> PresentationRow:
        row = await self.repository.get_presentation_with_slides(presentation_id)
        if row is None or not access.sees(row.owner, row.id):
            raise PresentationNotFound()
        return row

    async def check_access(self, presentation_id: uuid.UUID, access: Access) -> None:
        """`PresentationNotFound` unless `access` reaches the presentation (a small read)."""
        exists, owner = await self.repository.presentation_owner(presentation_id)
        if not exists or not access.sees(owner, presentation_id):
            raise PresentationNotFound()

    # --- create and edit --------------------------------------------------------------

    async def create(self, request: CreatePresentationRequest, access: Access) -> PresentationRow:
        check_slide_count(request.n_slides)
        if request.include_table_of_contents and request.n_slides < 3:
            raise InvalidInput(
                "Number of slides cannot be less than 3 if table of contents is included"
            )
        limit = self.settings.max_content_chars
        if len(request.content) > limit:
            raise PayloadTooLarge(f"content is longer than {limit} characters")
        if request.instructions and len(request.instructions) > limit:
            raise PayloadTooLarge(f"instructions are longer than {limit} characters")
        for path in request.file_paths or []:
            # Only paths `/files/upload` or `/files/decompose` issued (checked without
            # opening anything); a deleted upload is refused here too.
            try:
                self.uploads.resolve(path, access)
            except SlidestreamError as error:
                raise InvalidInput(error.detail) from None
        row = PresentationRow(
            id=uuid.uuid4(),
            content=request.content,
            n_slides=request.n_slides,
            language=request.language,
            file_paths=request.file_paths,
            tone=request.tone.value,
            verbosity=request.verbosity.value,
            instructions=request.instructions,
            include_table_of_contents=request.include_table_of_contents,
            include_title_slide=request.include_title_slide,
            web_search=request.web_search,
            owner=access.owner,
        )
        return await self.repository.add_presentation(row)

    async def update_outline(
        self, presentation_id: uuid.UUID, outline: OutlineModel, access: Access
    ) -> PresentationRow:
        row = await self.require(presentation_id, access)
        await self._refuse_while_generating(row)
        contents = [s.content for s in outline.slides]
        if not contents:
            raise InvalidInput("Outlines are required")
        check_slide_count(len(contents))
        text = json.dumps({"slides": [{"content": c} for c in contents]}, ensure_ascii=False)
        changed = await self.repository.update_presentation(
            presentation_id,
            {
                "outlines": {"slides": [{"content": c} for c in contents]},
                "n_slides": len(contents),
                "title": title_from_outline(contents),
                "outline_status": "ready",
                "outline_run": row.outline_run + 1,
                "outline_text": text,
                "outline_error": None,
                # The chosen layouts belonged to the old outline: prepare again.
                "structure": None,
            },
            only_if={
                "outline_status": [row.outline_status],
                "outline_run": [row.outline_run],
                "deck_status": [row.deck_status],
            },
        )
        if not changed:
            raise Conflict(GENERATING_CONFLICT)
        await self._announce(presentation_id)
        return await self.require(presentation_id, access)

    async def prepare(self, request: PrepareRequest, access: Access) -> PresentationRow:
        row = await self.require(request.presentation_id, access)
        contents = [o.content for o in request.outlines]
        if not contents:
            raise InvalidInput("Outlines are required")
        check_slide_count(len(contents))
        await self._refuse_while_generating(row)
        layout = request.layout or get_layout_group(DEFAULT_LAYOUT_GROUP)
        await prepare_deck(self.repository, self.engine(), row, layout, contents, request.title)
        await self._announce(row.id)
        return await self.require(row.id, access)

    async def update(self, request: UpdatePresentationRequest, access: Access) -> PresentationRow:
        row = await self.require(request.id, access)
        values: dict[str, Any] = {}
        if request.title is not None:
            values["title"] = request.title
        if request.n_slides is not None:
            check_slide_count(request.n_slides)
            values["n_slides"] = request.n_slides
        if request.slides is not None:
            await self._refuse_while_generating(row)
            indices = [s.index for s in request.slides]
            if len(set(indices)) != len(indices):
                raise InvalidInput("Two slides have the same index")
            replaced = await self.repository.replace_slides(
                row.id,
                [
                    NewSlide(
                        id=s.id,
                        index=s.index,
                        layout_group=s.layout_group,
                        layout=s.layout,
                        content=s.content,
                        speaker_note=s.speaker_note,
                        html_content=s.html_content,
                        properties=s.properties,
                    )
                    for s in request.slides
                ],
            )
            if not replaced:
                raise InvalidInput("Two slides have the same id")
            # Edited slides are a new stream epoch: resuming readers start over.
            values["deck_run"] = row.deck_run + 1
        if values:
            await self.repository.update_presentation(row.id, values)
            await self._announce(row.id)
        return await self.require_with_slides(row.id, access)

    async def delete(self, presentation_id: uuid.UUID, access: Access) -> None:
        await self.require(presentation_id, access)
        await self._stop_active_job(presentation_id, "The presentation was deleted")
        await self.repository.delete_presentation(presentation_id)
        for folder in (self.settings.presentations_dir, self.settings.exports_dir):
            shutil.rmtree(folder / str(presentation_id), ignore_errors=True)
        await self._announce(presentation_id)

    # --- generation -------------------------------------------------------------------

    async def start_outline(self, presentation_id: uuid.UUID, access: Access) -> PresentationRow:
        """Make sure the outline exists or is being generated (attach, never duplicate)."""
        row = await self.require(presentation_id, access)
        if row.outline_status == "generating" or await self._generate_job_active(presentation_id):
            await self._submit_active(presentation_id, "outline")
        elif row.outline_status in ("none", "failed", "cancelled"):
            mode = self.engine().mode
            run = row.outline_run + 1
            async with self.limits.admitted(access):
                await self._start_job(
                    presentation_id,
                    "outline",
                    run,
                    {
                        "outline_status": "generating",
                        "outline_run": run,
                        "outline_text": "",
                        "outline_error": None,
                        "generation_mode": mode,
                    },
                )
        return row

    async def start_deck(
        self, presentation_id: uuid.UUID, access: Access, *, resuming: bool
    ) -> None:
        """Make sure the deck is generated, being generated, or replayable.

        A failed or cancelled deck starts a new run that keeps its stored slides, unless
        the client is resuming a stream (then it is shown how that run ended)."""
        await self.check_access(presentation_id, access)
        info = await self.repository.deck_start_info(presentation_id)
        if info is None:
            raise PresentationNotFound()
        waiting = not (info.prepared and info.has_outlines) or info.status == "none"
        if waiting and await self._generate_job_active(presentation_id):
            return  # a one-shot generation is making this deck: its readers wait
        if not info.prepared:
            raise InvalidInput(NOT_PREPARED)
        if not info.has_outlines:
            raise InvalidInput(NO_OUTLINES)
        restart = info.status == "none" or (info.status in ("failed", "cancelled") and not resuming)
        if info.status == "generating":
            await self._submit_active(presentation_id, "deck")
        elif restart:
            mode = self.engine().mode
            run = info.run + 1
            async with self.limits.admitted(access):
                await self._start_job(presentation_id, "deck", run, _new_deck_run(run, mode))

    async def regenerate_deck(self, presentation_id: uuid.UUID, access: Access) -> PresentationRow:
        """Throw the stored slides away and generate the deck again (a new run)."""
        row = await self.require(presentation_id, access)
        self._check_prepared(row)
        mode = self.engine().mode
        async with self.limits.admitted(access, replacing=presentation_id):
            await self._stop_active_job(presentation_id, "Generation was restarted", replaced=True)
            row = await self.require(presentation_id, access)
            run = row.deck_run + 1
            await self._start_job(
                presentation_id, "deck", run, _new_deck_run(run, mode), delete_slides=True
            )
        return await self.require(presentation_id, access)

    async def cancel(self, presentation_id: uuid.UUID, access: Access) -> PresentationRow:
        await self.require(presentation_id, access)
        if not await self._stop_active_job(presentation_id, "Generation was cancelled"):
            raise Conflict("Nothing is being generated for this presentation")
        return await self.require(presentation_id, access)

    async def regenerate_slide(
        self, slide_id: uuid.UUID, prompt: str | None, access: Access
    ) -> SlideRow:
        """Generate one slide's content again; waits for the job (which outlives the request)."""
        slide = await self.repository.get_slide(slide_id)
        if slide is None:
            raise SlideNotFound()
        try:
            await self.check_access(slide.presentation, access)
        except PresentationNotFound:
            raise SlideNotFound() from None
        self.engine()
        topic = presentation_topic(slide.presentation)
        with self.channel.subscribe(topic) as subscription:
            async with self.limits.admitted(access):
                job = await self._start_job(
                    slide.presentation,
                    "slide",
                    0,
                    {},
                    params={"slide_id": str(slide_id), "prompt": prompt},
                    attach=False,
                )
            while True:
                current = await self.repository.get_job(job.id)
                if current is None:
                    raise SlideNotFound()
                if current.status == "completed":
                    break
                if current.status in ("failed", "cancelled"):
                    raise UpstreamFailed(current.error or "The slide could not be regenerated")
                await subscription.wait(self.settings.stream_recheck_seconds)
        updated = await self.repository.get_slide(slide_id)
        if updated is None:
            raise SlideNotFound()
        return updated

    # --- internals --------------------------------------------------------------------

    async def _refuse_while_generating(self, row: PresentationRow) -> None:
        """Edits wait until nothing generates this deck (any stage, any kind of job)."""
        busy = "generating" in (row.outline_status, row.deck_status)
        if busy or await self.repository.active_job_for(row.id) is not None:
            raise Conflict(GENERATING_CONFLICT)

    def _check_prepared(self, row: PresentationRow) -> None:
        if not (row.structure or {}).get("slides") or not row.layout:
            raise InvalidInput(NOT_PREPARED)
        if not (row.outlines or {}).get("slides"):
            raise InvalidInput(NO_OUTLINES)

    async def _start_job(
        self,
        presentation_id: uuid.UUID,
        kind: str,
        run: int,
        presentation_values: dict[str, Any],
        *,
        params: dict[str, Any] | None = None,
        delete_slides: bool = False,
        attach: bool = True,
    ) -> JobRow:
        job = JobRow(
            id=uuid.uuid4(),
            presentation_id=presentation_id,
            kind=kind,
            run=run,
            params=params or {},
        )
        started = await self.repository.start_job(
            job, presentation_values, delete_slides=delete_slides
        )
        if started is None:
            active = await self.repository.active_job_for(presentation_id)
            if attach and active is not None and active.kind == kind:
                await self.runner.submit(active.id)
                return active
            raise Conflict(GENERATING_CONFLICT)
        log.info(
            "job.queued job_id=%s kind=%s presentation_id=%s run=%d",
            job.id,
            kind,
            presentation_id,
            run,
        )
        await self._announce(presentation_id)
        await self.runner.submit(job.id)
        return job

    async def _generate_job_active(self, presentation_id: uuid.UUID) -> bool:
        active = await self.repository.active_job_for(presentation_id)
        if active is not None and active.kind == "generate":
            await self.runner.submit(active.id)
            return True
        return False

    async def _submit_active(self, presentation_id: uuid.UUID, kind: str) -> None:
        active = await self.repository.active_job_for(presentation_id)
        if active is not None and active.kind == kind:
            await self.runner.submit(active.id)

    async def _stop_active_job(
        self, presentation_id: uuid.UUID, detail: str, *, replaced: bool = False
    ) -> bool:
        """Cancel the presentation's active job. `replaced`: a new deck run starts right
        after, so a running deck is not marked cancelled: its readers stay in the stream and
        move to the new run with a `reset` instead of ending on an error."""
        job = await self.repository.active_job_for(presentation_id)
        if job is None:
            return False
        await self.repository.set_job_status(job.id, "cancelled", error=detail)
        try:
            await self.runner.cancel(job.id)
        except Exception:
            # Best effort: the row is cancelled and every write of the job is fenced, so
            # the presentation is still brought to its cancelled state below.
            log.warning("job.cancel_unconfirmed job_id=%s", job.id, exc_info=True)
        if job.kind == "deck" and replaced:
            log.info("job.replaced job_id=%s presentation_id=%s", job.id, presentation_id)
            return True
        if job.kind == "deck":
            await self.repository.update_presentation(
                presentation_id,
                {"deck_status": "cancelled", "deck_error": detail},
                only_if={"deck_status": ["generating"], "deck_run": [job.run]},
            )
        elif job.kind == "outline":
            await self.repository.update_presentation(
                presentation_id,
                {"outline_status": "cancelled", "outline_error": detail},
                only_if={"outline_status": ["generating"]},
            )
        elif job.kind == "generate":
            await end_open_stages(self.repository, presentation_id, "cancelled", detail)
            if self.tasks is not None:
                await self.tasks.failed(job, detail)
        log.info("job.cancelled job_id=%s presentation_id=%s", job.id, presentation_id)
        await self._announce(presentation_id)
        return True

    async def _announce(self, presentation_id: uuid.UUID) -> None:
        await self.channel.publish(presentation_topic(presentation_id))
