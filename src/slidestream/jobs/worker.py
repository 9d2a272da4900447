"""`slidestream worker`: a process that runs queued generation jobs (distributed jobs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

from slidestream.llm.base import LLMProvider
from slidestream.settings import DeploymentError, Settings

log = logging.getLogger(__name__)

NOT_DISTRIBUTED = (
    "`slidestream worker` runs the jobs of the distributed deployment: set "
    "SLIDESTREAM_JOBS=distributed and DATABASE_URL=postgresql://... (the embedded "
    "deployment runs jobs inside `slidestream serve`)"
)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    name: str | None = None,
    provider: LLMProvider | None = None,
) -> None:
    """Run jobs until SIGTERM or SIGINT; jobs cut short resume on another worker."""
    if settings.jobs != "distributed":
        raise DeploymentError(NOT_DISTRIBUTED)
    from slidestream.app import Runtime
    from slidestream.jobs.distributed import JobWorker

    runtime = Runtime(settings, provider)
    assert runtime.job_queue is not None
    await runtime.start()
    worker = JobWorker(
        runtime.job_queue,
        runtime.repository,
        runtime.channel,
        runtime.executor,
        concurrency=concurrency or settings.max_concurrent_jobs,
        heartbeat_seconds=settings.worker_heartbeat_seconds,
        stalled_seconds=settings.worker_stalled_seconds,
        recheck_seconds=settings.stream_recheck_seconds,
        name=name or f"{socket.gethostname()}:{os.getpid()}",
    )
    work = asyncio.create_task(worker.run(), name="worker")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, work.cancel)
    log.info("worker.start name=%s concurrency=%d", worker.name, worker.concurrency)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await work
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runtime.stop()
        log.info("worker.stop name=%s", worker.name)
