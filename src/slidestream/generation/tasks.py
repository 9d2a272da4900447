"""One-shot generation: `generate` (waits), `generate/async` + `status/{id}` (polls).

A task is a row next to the `generate` job that does the work (see
`GenerationPipeline.run_generate`), so it runs on the same runner as streamed decks,
survives restarts, and its deck can be streamed while it is made. Progress is read from
the stored slides when asked, so a task costs no writes per slide.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from typing import Any

from slidestream.access import Access
from slidestream.domain.presentations import CreatePresentationRequest
from slidestream.domain.tasks import (
    GeneratePresentationRequest,
    PresentationPathAndEditPath,
    TaskData,
    TaskError,
    TaskModel,
)
from slidestream.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    StillRunning,
    UpstreamFailed,
)
from slidestream.generation.service import PresentationService, check_slide_count
from slidestream.jobs.runner import JobRunner
from slidestream.render.export import ExportFormat, ExportService
from slidestream.settings import Settings
from slidestream.storage.models import ACTIVE_JOB_STATUSES, JobRow, TaskRow
from slidestream.storage.repository import Repository
from slidestream.streaming.channels import NotificationChannel, presentation_topic
from slidestream.templates.registry import LayoutGroupNotFound, get_layout_group
from slidestream.webhooks import WebhookService

log = logging.getLogger(__name__)

NOTHING_TO_GENERATE = (
    "Either content or slides markdown or files is required to generate presentation"
)
TEMPLATE_NOT_FOUND = "Template not found. Please use a valid template."
TASK_NOT_FOUND = "No presentation generation task found"
COMPLETED = "Presentation generation completed"
FAILED = "Presentation generation failed"


class TaskNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(TASK_NOT_FOUND)


def new_task_id() -> str:
    return "task-" + secrets.token_hex(32)


def edit_path(presentation_id: uuid.UUID) -> str:
    return f"/presentation?id={presentation_id}"


class TaskService:
    """Starts one-shot generations, reports on them, and finishes them (task events)."""

    def __init__(
        self,
        repository: Repository,
        channel: NotificationChannel,
        runner: JobRunner,
        presentations: PresentationService,
        webhooks: WebhookService,
        exports: ExportService,
        settings: Settings,
    ) -> None:
        self.exports = exports
        self.repository = repository
        self.channel = channel
        self.runner = runner
        self.presentations = presentations
        self.webhooks = webhooks
        self.settings = settings

    # --- starting -------------------------------------------------------------------------

    def _validate(self, request: GeneratePresentationRequest) -> int:
        markdown = request.slides_markdown
        if not request.content.strip() and not markdown and not request.files:
            raise InvalidInput(NOTHING_TO_GENERATE)
        n_slides = len(markdown) if markdown else request.n_slides
        check_slide_count(n_slides)
        try:
            get_layout_group(request.template)
        except LayoutGroupNotFound as error:
            raise InvalidInput(TEMPLATE_NOT_FOUND) from error
        if markdown:
            limit = self.settings.max_content_chars
            if any(not text.strip() for text in markdown):
                raise InvalidInput("slides_markdown has an empty slide")
            if sum(len(text) for text in markdown) > limit:
                raise PayloadTooLarge(f"slides_markdown is longer than {limit} characters")
        return n_slides

    async def start(self, request: GeneratePresentationRequest, access: Access) -> TaskRow:
        """Validate, create the presentation and queue the job; returns the task."""
        n_slides = self._validate(request)
        self.presentations.engine()  # a half-configured provider fails here, not later
        async with self.presentations.limits.admitted(access):
            task = await self._store(request, n_slides, access)
        log.info("task.queued task_id=%s presentation_id=%s", task.id, task.presentation_id)
        assert task.job_id is not None
        await self.runner.submit(task.job_id)
        return task

    async def _store(
        self, request: GeneratePresentationRequest, n_slides: int, access: Access
    ) -> TaskRow:
        """The presentation, its task and the task's job, stored (not yet submitted)."""
        row = await self.presentations.create(
            CreatePresentationRequest(
                content=request.content,
                n_slides=n_slides,
                language=request.language,
                file_paths=request.files,
                tone=request.tone,
                verbosity=request.verbosity,
                instructions=request.instructions,
                include_table_of_contents=request.include_table_of_contents,
                include_title_slide=request.include_title_slide,
                web_search=request.web_search,
            ),
            access,
        )
        # Run 1 is reserved for the deck this task makes, so a client that opens the deck
        # stream early is already in the right run (no `reset` when the slides start).
        early: dict[str, Any] = {"deck_run": 1}
        if request.title:
            early["title"] = request.title
        await self.repository.update_presentation(row.id, early)
        job = JobRow(
            id=uuid.uuid4(),
            presentation_id=row.id,
            kind="generate",
            run=0,
            params={
                "template": request.template,
                "slides_markdown": request.slides_markdown,
                "export_as": request.export_as,
                "title": request.title,
            },
        )
        task = TaskRow(
            id=new_task_id(),
            presentation_id=row.id,
            job_id=job.id,
            status="pending",
            message="Queued for generation",
            export_as=request.export_as,
            owner=access.owner,
        )
        await self.repository.add_task_with_job(task, job)
        return task

    # --- reading ----------------------------------------------------------------------------

    async def require(self, task_id: str, access: Access) -> TaskRow:
        """The task, if `access` reaches it (another owner's is "not found" too)."""
        task = await self.repository.get_task(task_id) if len(task_id) <= 80 else None
        if task is None or not access.sees(task.owner, task.presentation_id):
            raise TaskNotFound()
        return task

    async def view(self, task: TaskRow) -> TaskModel:
        """The task as clients see it, with live progress and a job that ended abnormally
        (cancelled, or deleted with its presentation) reported as an error."""
        status, message, error = task.status, task.message, task.error
        if status == "pending" and task.job_id is not None:
            job = await self.repository.get_job(task.job_id)
            if job is None or job.status not in (*ACTIVE_JOB_STATUSES, "completed"):
                status, message = "error", FAILED
                detail = (job.error if job is not None else None) or "The generation was stopped"
                error = {"status_code": 500, "detail": detail}
        created = await self.repository.count_slides(task.presentation_id)
        presentation = await self.repository.get_presentation(task.presentation_id)
        total = created
        if presentation is not None:
            structure = (presentation.structure or {}).get("slides")
            total = len(structure) if structure else presentation.n_slides
        result = task.result or {}
        return TaskModel(
            id=task.id,
            status=status,
            message=message,
            data=TaskData(
                presentation_id=task.presentation_id,
                created_slides=created,
                remaining_slides=max(total - created, 0),
                path=result.get("path"),
                edit_path=result.get("edit_path"),
            ),
            error=TaskError.model_validate(error) if error else None,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )

    async def wait(self, task: TaskRow) -> PresentationPathAndEditPath:
        """Wait for the task to end (`generate`); the job goes on if the caller leaves.

        With `generate_wait_seconds` set, a longer wait ends in a 504 that names the task
        to poll, for deployments behind proxies with short timeouts."""
        ceiling = self.settings.generate_wait_seconds
        if not ceiling:
            return await self._wait(task)
        try:
            async with asyncio.timeout(ceiling):
                return await self._wait(task)
        except TimeoutError as error:
            raise StillRunning(
                f"The presentation is still being generated (task {task.id}). Poll "
                f"/api/v1/ppt/presentation/status/{task.id} or use generate/async."
            ) from error

    async def _wait(self, task: TaskRow) -> PresentationPathAndEditPath:
        with self.channel.subscribe(presentation_topic(task.presentation_id)) as subscription:
            while True:
                current = await self.repository.get_task(task.id)
                if current is None:
                    raise TaskNotFound()
                view = await self.view(current)
                if view.status == "completed":
                    return PresentationPathAndEditPath(
                        presentation_id=task.presentation_id,
                        path=view.data.path or "",
                        edit_path=view.data.edit_path or edit_path(task.presentation_id),
                    )
                if view.status == "error":
                    raise UpstreamFailed(view.error.detail if view.error else FAILED)
                await subscription.wait(self.settings.stream_recheck_seconds)

    # --- task events (called by the pipeline) -------------------------------------------------

    async def stage(self, job: JobRow, message: str) -> None:
        task = await self.repository.task_for_job(job.id)
        if task is not None and task.status == "pending" and task.message != message:
            await self.repository.update_task(
                task.id, {"message": message}, only_if_status="pending"
            )

    async def completed(self, job: JobRow) -> None:
        task = await self.repository.task_for_job(job.id)
        if task is not None and task.status != "pending":
            return  # resumed after it was recorded (exported and announced), or cancelled
        path = await self.export(job.presentation_id, task.export_as if task else "pptx")
        result = {
            "presentation_id": str(job.presentation_id),
            "path": str(path),
            "edit_path": edit_path(job.presentation_id),
        }
        if task is not None and not await self.repository.update_task(
            task.id,
            {"status": "completed", "message": COMPLETED, "result": result},
            only_if_status="pending",
        ):
            return  # ended meanwhile (cancelled, say): it is announced once, as it ended
        await self.webhooks.publish(
            "presentation.generation.completed", result, await self._owner(job, task)
        )
        await self.channel.publish(presentation_topic(job.presentation_id))

    async def failed(self, job: JobRow, detail: str) -> None:
        task = await self.repository.task_for_job(job.id)
        error = {"status_code": 500, "detail": detail}
        if task is not None and not await self.repository.update_task(
            task.id,
            {"status": "error", "message": FAILED, "error": error},
            only_if_status="pending",
        ):
            return  # already ended (completed, or failed by another process)
        await self.webhooks.publish(
            "presentation.generation.failed",
            {**error, "presentation_id": str(job.presentation_id)},
            await self._owner(job, task),
        )
        await self.channel.publish(presentation_topic(job.presentation_id))

    async def _owner(self, job: JobRow, task: TaskRow | None) -> str | None:
        """Whose subscriptions hear about this job: its task's (or deck's) owner."""
        if task is not None:
            return task.owner
        return (await self.repository.presentation_owner(job.presentation_id))[1]

    async def export(self, presentation_id: uuid.UUID, export_as: str) -> str:
        """Write the deck where `path` points: a PPTX or PDF file of its own."""
        fmt: ExportFormat = "pdf" if export_as == "pdf" else "pptx"
        exported = await self.exports.export(presentation_id, fmt, access=None)
        return str(exported.path.resolve())
