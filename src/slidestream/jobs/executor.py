"""Runs one job by id: claims it, runs its body, records how it ended."""

from __future__ import annotations

import asyncio
import logging
import uuid

from slidestream.generation.pipeline import GenerationPipeline, JobFailed, error_detail
from slidestream.storage.database import is_database_outage
from slidestream.storage.models import ACTIVE_JOB_STATUSES
from slidestream.storage.repository import Repository

log = logging.getLogger(__name__)


class JobInterrupted(Exception):
    """The job stopped because the database went away; it is still `running` and should
    be run again later (it resumes from what is stored)."""

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(f"job {job_id} interrupted by a database outage")
        self.job_id = job_id


class JobExecutor:
    """The `execute(job_id)` callable every runner is given."""

    def __init__(self, repository: Repository, pipeline: GenerationPipeline) -> None:
        self.repository = repository
        self.pipeline = pipeline

    async def __call__(self, job_id: uuid.UUID) -> None:
        job = await self.repository.get_job(job_id)
        if job is None or job.status not in ACTIVE_JOB_STATUSES:
            return
        await self.repository.set_job_status(job_id, "running", count_attempt=True)
        try:
            await self.pipeline.run(job)
        except asyncio.CancelledError:
            # Cancelled explicitly (the row already says so) or by shutdown (the row
            # stays `running` and the job resumes on the next start).
            raise
        except JobFailed as failure:
            await self.repository.set_job_status(job_id, "failed", error=failure.detail)
        except Exception as error:
            if is_database_outage(error):
                # Not the job's fault: leave it `running` and let the runner try again
                # once the database is back; the slides already stored are kept.
                log.warning(
                    "job.interrupted job_id=%s presentation_id=%s reason=database",
                    job_id,
                    job.presentation_id,
                )
                raise JobInterrupted(job_id) from error
            log.exception("job.error job_id=%s presentation_id=%s", job_id, job.presentation_id)
            await self.repository.set_job_status(job_id, "failed", error=error_detail(error))
            await self.pipeline.fail_presentation(job, error_detail(error))
        else:
            await self.repository.set_job_status(job_id, "completed")
        # Whoever waits on the job itself (not only on its presentation) hears it ended.
        await self.pipeline.announce(job.presentation_id)
