"""The distributed runner: jobs queued in PostgreSQL with procrastinate, run by workers.

API processes only enqueue (`DistributedJobRunner`); `slidestream worker` processes run
`execute(job_id)` (`JobWorker`). Our `jobs` table stays the truth about a job; the
procrastinate job is only the means of getting it run somewhere:

- one procrastinate job per run attempt, locked by our job id, so two workers never run
  the same job at once;
- a worker that stops sending heartbeats for `worker_stalled_seconds` is taken for dead:
  the other workers put its jobs back in the queue, and the job resumes from the slides it
  stored (the executor only generates what is missing);
- a reconciler on every worker re-queues any active job that has no queued or running
  procrastinate job (its worker lost the database mid-job, say), so no job stays
  `running` forever;
- cancelling marks our row; the worker running the job hears the presentation's
  notification, sees the row and stops the job.

Long jobs are never re-run for taking long: liveness is the worker's heartbeat, not the
job's age. Decision 0012 records why procrastinate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from slidestream.errors import DatabaseUnavailable
from slidestream.jobs.executor import JobInterrupted
from slidestream.storage.database import is_connection_failure, is_database_outage
from slidestream.storage.models import ACTIVE_JOB_STATUSES, utcnow
from slidestream.storage.repository import Repository
from slidestream.streaming.channels import NotificationChannel, presentation_topic

log = logging.getLogger(__name__)

QUEUE = "slidestream"
TASK_NAME = "slidestream.run_job"
SCHEMA_LOCK_KEY = 7_366_105_771_020_116
# A job just queued by an API process may not be in procrastinate's table yet: the
# reconciler leaves jobs younger than this alone.
RECONCILE_GRACE = timedelta(seconds=10)
SHUTDOWN_GRACE_SECONDS = 10.0
CANCEL_WAIT_SECONDS = 10.0
# Published by a worker whenever a job ends there, so a cancel waiting on it returns at once.
JOB_STOPPED_TOPIC = "jobs:stopped"


@contextlib.asynccontextmanager
async def _queue_database() -> AsyncIterator[None]:
    """The job queue's own connections fail like the repository's: as
    `DatabaseUnavailable` when PostgreSQL cannot be reached (a 503, a job that waits)."""
    try:
        yield
    except Exception as error:
        if is_connection_failure(error, sqlite=False):
            raise DatabaseUnavailable() from error
        raise


class JobQueue:
    """The procrastinate app with slidestream's one task, `run_job(job_id)`."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=dsn, min_size=1, max_size=4)
        )
        self.handler: Callable[[uuid.UUID], Awaitable[None]] | None = None

        @self.app.task(name=TASK_NAME, queue=QUEUE)
        async def run_job(job_id: str) -> None:
            if self.handler is None:
                raise RuntimeError("this process does not run jobs")
            await self.handler(uuid.UUID(job_id))

    async def open(self) -> None:
        await ensure_queue_schema(self.dsn)
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()

    async def enqueue(self, job_id: uuid.UUID) -> bool:
        """Queue `job_id` unless a queued or running procrastinate job has it already."""
        if await self.has_pending(job_id):
            return False
        key = str(job_id)
        deferrer = self.app.configure_task(TASK_NAME, lock=key, queueing_lock=key, queue=QUEUE)
        try:
            async with _queue_database():
                await deferrer.defer_async(job_id=key)
        except AlreadyEnqueued:
            return False
        return True

    async def drop(self, queue_job_id: int) -> None:
        """Take a job that no worker has started out of the queue."""
        async with _queue_database():
            await self.app.job_manager.cancel_job_by_id_async(queue_job_id)

    async def pending(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        """The queued (`todo`) and running (`doing`) procrastinate jobs for `job_id`."""
        async with _queue_database():
            rows = await self.app.connector.execute_query_all_async(
                "SELECT id, status FROM procrastinate_jobs WHERE lock = %(lock)s "
                "AND status IN ('todo', 'doing')",
                lock=str(job_id),
            )
        return [dict(row) for row in rows]

    async def has_pending(self, job_id: uuid.UUID) -> bool:
        async with _queue_database():
            rows = await self.app.connector.execute_query_all_async(
                "SELECT 1 FROM procrastinate_jobs WHERE lock = %(lock)s "
                "AND status IN ('todo', 'doing') LIMIT 1",
                lock=str(job_id),
            )
        return bool(rows)

    async def pending_locks(self) -> set[str]:
        async with _queue_database():
            rows = await self.app.connector.execute_query_all_async(
                "SELECT lock FROM procrastinate_jobs WHERE queue_name = %(queue)s "
                "AND status IN ('todo', 'doing')",
                queue=QUEUE,
            )
        return {row["lock"] for row in rows if row["lock"]}


async def ensure_queue_schema(dsn: str) -> None:
    """Create procrastinate's tables once; processes starting together take turns."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs')")
            row = await cursor.fetchone()
            if row is None or row[0] is None:
                log.info("jobs.schema_created")
                await connection.execute(SchemaManager.get_schema())
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


class DistributedJobRunner:
    """`JobRunner` for API processes: jobs are queued here and run by workers."""

    def __init__(
        self, queue: JobQueue, repository: Repository, channel: NotificationChannel
    ) -> None:
        self.queue = queue
        self.repository = repository
        self.channel = channel

    async def start(self) -> None:
        await self.queue.open()

    async def stop(self) -> None:
        await self.queue.close()

    async def submit(self, job_id: uuid.UUID) -> None:
        await self.queue.enqueue(job_id)

    async def cancel(self, job_id: uuid.UUID) -> None:
        """The caller has marked the job's row cancelled. A job still waiting in the queue
        is dropped from it; a running one is stopped by its worker, which hears the
        presentation's notification and sees the row. Returns once no worker runs the job,
        or after `CANCEL_WAIT_SECONDS` if its worker does not answer (a dead worker's job
        can write nothing: its row is no longer active, and every write is fenced)."""
        job = await self.repository.get_job(job_id)
        deadline = asyncio.get_running_loop().time() + CANCEL_WAIT_SECONDS
        with self.channel.subscribe(JOB_STOPPED_TOPIC) as stopped:
            while True:
                if job is not None:  # again each time: one notification may be lost
                    await self.channel.publish(presentation_topic(job.presentation_id))
                pending = await self.queue.pending(job_id)
                for queued in pending:
                    if queued["status"] == "todo":
                        await self.queue.drop(queued["id"])
                if not any(queued["status"] == "doing" for queued in pending):
                    return
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    log.warning("job.cancel_unconfirmed job_id=%s", job_id)
                    return
                await stopped.wait(min(remaining, 0.5))

    @property
    def running(self) -> int:
        return 0


class JobWorker:
    """One `slidestream worker` process: runs queued jobs, watches for cancels, and keeps
    every active job queued somewhere."""

    def __init__(
        self,
        queue: JobQueue,
        repository: Repository,
        channel: NotificationChannel,
        execute: Callable[[uuid.UUID], Coroutine[Any, Any, None]],
        *,
        concurrency: int,
        heartbeat_seconds: float,
        stalled_seconds: float,
        recheck_seconds: float,
        name: str = "slidestream-worker",
    ) -> None:
        self.queue = queue
        self.repository = repository
        self.channel = channel
        self.execute = execute
        self.concurrency = concurrency
        self.heartbeat_seconds = heartbeat_seconds
        self.stalled_seconds = stalled_seconds
        self.recheck_seconds = recheck_seconds
        self.name = name
        self.running: set[uuid.UUID] = set()
        queue.handler = self._run_job

    async def run(self) -> None:
        """Work until cancelled. A lost database connection is waited out, never fatal."""
        reconciler = asyncio.create_task(self._reconcile_forever(), name="jobs-reconcile")
        failures = 0
        try:
            while True:
                started = asyncio.get_running_loop().time()
                try:
                    await self.queue.app.run_worker_async(
                        queues=[QUEUE],
                        name=self.name,
                        concurrency=self.concurrency,
                        update_heartbeat_interval=self.heartbeat_seconds,
                        stalled_worker_timeout=self.stalled_seconds,
                        fetch_job_polling_interval=min(5.0, self.heartbeat_seconds),
                        delete_jobs="successful",
                        # On a stop, jobs still running after this are cut short; they
                        # resume on another worker from what they stored.
                        shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                        install_signal_handlers=False,
                    )
                    # A stop we did not ask for (we stop by cancelling): procrastinate
                    # lost its database connection. Start again once it is back.
                    reason = "stopped"
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    reason = f"{error.__class__.__name__}: {error}"
                if asyncio.get_running_loop().time() - started > 60:
                    failures = 0  # it ran fine for a while: this is a new outage
                failures += 1
                log.warning("worker.restart reason=%s", reason)
                await asyncio.sleep(min(5.0, 0.5 * 2 ** min(failures, 4)))
        finally:
            reconciler.cancel()
            await asyncio.gather(reconciler, return_exceptions=True)

    # --- one job ------------------------------------------------------------------------

    async def _run_job(self, job_id: uuid.UUID) -> None:
        """Run the job, stopping it if its row is cancelled meanwhile. A job interrupted
        by a database outage ends here quietly: the reconciler queues it again."""
        job = await self.repository.get_job(job_id)
        if job is None or job.status not in ACTIVE_JOB_STATUSES:
            return
        self.running.add(job_id)
        log.info(
            "job.run job_id=%s kind=%s presentation_id=%s worker=%s",
            job_id,
            job.kind,
            job.presentation_id,
            self.name,
        )
        body = asyncio.create_task(self.execute(job_id), name=f"job-{job_id}")
        ended = asyncio.Event()
        watcher = asyncio.create_task(self._watch_cancel(job_id, job.presentation_id, ended))
        try:
            await asyncio.wait({body, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if not body.done():
                log.info("job.stopped job_id=%s reason=cancelled", job_id)
                body.cancel()
            await asyncio.gather(body, return_exceptions=True)
            error = body.exception() if not body.cancelled() else None
            if isinstance(error, JobInterrupted) or (
                error is not None and is_database_outage(error)
            ):
                return
            if error is not None:
                raise error
        finally:
            ended.set()
            for task in (body, watcher):
                task.cancel()
            await asyncio.gather(body, watcher, return_exceptions=True)
            self.running.discard(job_id)
            # Heard by cancels waiting in API processes. procrastinate marks its job done
            # only after this returns, so they may see it still running for a moment and
            # look again within half a second.
            with contextlib.suppress(Exception):
                await self.channel.publish(JOB_STOPPED_TOPIC)

    async def _watch_cancel(
        self, job_id: uuid.UUID, presentation_id: uuid.UUID, ended: asyncio.Event
    ) -> None:
        """Return once the job's row says `cancelled` (or the job is gone), or once the
        job has ended here."""
        with self.channel.subscribe(presentation_topic(presentation_id)) as subscription:
            while not ended.is_set():
                with contextlib.suppress(Exception):  # an outage: look again later
                    # Shielded: cancelling the watcher when the job ends must not cut a
                    # query off mid-flight (that drops the pooled connection).
                    job = await asyncio.shield(self.repository.get_job(job_id))
                    if job is None or job.status == "cancelled":
                        return
                await subscription.wait(self.recheck_seconds)

    # --- keeping every job queued -------------------------------------------------------

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds * random.uniform(0.8, 1.2))
            try:
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("jobs.reconcile_failed error=%s", error.__class__.__name__)

    async def reconcile(self) -> None:
        """Re-queue jobs of dead workers, and active jobs that nothing will run."""
        manager = self.queue.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.stalled_seconds
        )
        for queued in stalled:
            log.warning(
                "job.stalled job_id=%s worker_id=%s: its worker stopped sending heartbeats",
                queued.lock,
                queued.worker_id,
            )
            with contextlib.suppress(Exception):  # another worker may have done it first
                await manager.retry_job(queued)
        pending = await self.queue.pending_locks()
        cutoff = utcnow() - RECONCILE_GRACE
        for job in await self.repository.active_jobs():
            created = job.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=cutoff.tzinfo)
            if str(job.id) in pending or created > cutoff:
                continue
            if await self.queue.enqueue(job.id):
                log.info("job.requeued job_id=%s presentation_id=%s", job.id, job.presentation_id)
