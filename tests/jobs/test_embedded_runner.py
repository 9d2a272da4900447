"""The embedded runner against a real SQLite repository: a database outage anywhere in a
job (even before it starts running) leaves the job to be run again, never dropped."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from slidestream.errors import DatabaseUnavailable
from slidestream.jobs.embedded import EmbeddedJobRunner
from slidestream.settings import Settings
from slidestream.storage.database import create_engine, migrate
from slidestream.storage.repository import Repository


async def test_a_job_hit_by_an_outage_is_run_again(tmp_path: Path) -> None:
    engine = create_engine(Settings(data_dir=tmp_path).resolved_database_url)  # type: ignore[call-arg]
    await migrate(engine)
    calls: list[uuid.UUID] = []
    finished = asyncio.Event()

    async def execute(job_id: uuid.UUID) -> None:
        calls.append(job_id)
        if len(calls) == 1:
            raise DatabaseUnavailable()  # as the repository raises it, outside any pipeline
        finished.set()

    runner = EmbeddedJobRunner(Repository(engine), execute, max_concurrent=2)
    await runner.start()
    job_id = uuid.uuid4()
    await runner.submit(job_id)
    async with asyncio.timeout(60):
        await finished.wait()
    await runner.join(job_id)
    assert calls == [job_id, job_id]
    await runner.stop()
    await engine.dispose()


async def test_a_job_that_crashes_for_another_reason_is_not_retried(tmp_path: Path) -> None:
    engine = create_engine(Settings(data_dir=tmp_path).resolved_database_url)  # type: ignore[call-arg]
    await migrate(engine)
    calls: list[uuid.UUID] = []

    async def execute(job_id: uuid.UUID) -> None:
        calls.append(job_id)
        raise ValueError("a bug")

    runner = EmbeddedJobRunner(Repository(engine), execute, max_concurrent=2)
    await runner.start()
    job_id = uuid.uuid4()
    await runner.submit(job_id)
    await runner.join(job_id)
    assert calls == [job_id]
    await runner.stop()
    await engine.dispose()
