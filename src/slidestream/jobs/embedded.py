"""The embedded runner: jobs run as asyncio tasks in the server process.

Jobs survive the HTTP requests that start them (a task is not tied to a connection) and,
because they are rows in the database, a restart resumes them: `start()` resubmits every
job still queued or running.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from slidestream.jobs.executor import JobInterrupted
from slidestream.jobs.runner import JobExecutor
from slidestream.storage.database import is_database_outage
from slidestream.storage.repository import Repository

log = logging.getLogger(__name__)

RETRY_MAX_SECONDS = 10.0


class EmbeddedJobRunner:
    """Runs jobs in this process, at most `max_concurrent` at a time."""

    def __init__(self, repository: Repository, execute: JobExecutor, max_concurrent: int) -> None:
        self.repository = repository
        self.execute = execute
        self._slots = asyncio.Semaphore(max_concurrent)
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._accepting = False

    async def start(self) -> None:
        self._accepting = True
        for job in await self.repository.active_jobs():
            log.info(
                "job.resume job_id=%s kind=%s presentation_id=%s",
                job.id,
                job.kind,
                job.presentation_id,
            )
            await self.submit(job.id)

    async def stop(self) -> None:
        self._accepting = False
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def submit(self, job_id: uuid.UUID) -> None:
        if not self._accepting or job_id in self._tasks:
            return
        task = asyncio.create_task(self._run(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def cancel(self, job_id: uuid.UUID) -> None:
        task = self._tasks.get(job_id)
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def join(self, job_id: uuid.UUID) -> None:
        """Wait for a job running here to end (used by the CLI and tests)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def _run(self, job_id: uuid.UUID) -> None:
        async with self._slots:
            interruptions = 0
            while True:
                try:
                    await self.execute(job_id)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if not (isinstance(error, JobInterrupted) or is_database_outage(error)):
                        log.exception("job.crashed job_id=%s", job_id)
                        return
                    # The database went away mid-job: try again once it is back; the job
                    # resumes from what it stored.
                    interruptions += 1
                    await asyncio.sleep(min(RETRY_MAX_SECONDS, 0.5 * 2**interruptions))
                    continue
                return
