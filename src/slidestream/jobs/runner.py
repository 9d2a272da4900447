"""The job runner interface shared by the embedded and the distributed deployment.

A job is a row in the `jobs` table; the runner only decides where and when its
`execute(job_id)` runs. Enqueuing is idempotent per job id, cancelling is explicit, and
stopping the runner leaves unfinished jobs `running` in the database so they are picked
up again on the next start.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

JobExecutor = Callable[[uuid.UUID], Awaitable[None]]


class JobRunner(Protocol):
    async def start(self) -> None:
        """Start accepting jobs and resume every unfinished job found in the database."""

    async def stop(self) -> None:
        """Stop running jobs without marking them finished (they resume on next start)."""

    async def submit(self, job_id: uuid.UUID) -> None:
        """Run the job soon; submitting a job that is already running does nothing."""

    async def cancel(self, job_id: uuid.UUID) -> None:
        """Stop the job if it runs here and return once it has stopped."""

    @property
    def running(self) -> int:
        """Jobs running in this process."""
