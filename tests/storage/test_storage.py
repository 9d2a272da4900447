"""Migrations and integrity rules, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from slidestream.settings import Settings
from slidestream.storage.database import create_engine, current_revision, migrate
from slidestream.storage.models import Base, JobRow, PresentationRow
from slidestream.storage.repository import NewSlide, Repository
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = Settings(data_dir=tmp_path).resolved_database_url  # type: ignore[call-arg]
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = Settings(database_url=server.url).resolved_database_url  # type: ignore[call-arg]
    created = create_engine(url)
    if request.param == "postgresql":
        async with created.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await migrate(created)
    try:
        yield created
    finally:
        await created.dispose()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    assert await current_revision(engine) is not None
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_migrate_is_idempotent(engine: AsyncEngine) -> None:
    revision = await current_revision(engine)
    await migrate(engine)
    assert await current_revision(engine) == revision


async def _presentation(repository: Repository) -> PresentationRow:
    return await repository.add_presentation(PresentationRow(id=uuid.uuid4(), n_slides=3))


def _slide(index: int) -> NewSlide:
    return NewSlide(
        index=index, layout_group="general", layout="general:x", content={}, speaker_note=None
    )


async def test_deleting_a_presentation_cascades_to_slides_and_jobs(engine: AsyncEngine) -> None:
    repository = Repository(engine)
    row = await _presentation(repository)
    assert await repository.insert_slide(row.id, _slide(0))
    await repository.add_job(JobRow(id=uuid.uuid4(), presentation_id=row.id, kind="deck"))
    assert await repository.delete_presentation(row.id)
    async with engine.connect() as connection:
        slides = await connection.scalar(text("SELECT count(*) FROM slides"))
        jobs = await connection.scalar(text("SELECT count(*) FROM jobs"))
    assert (slides, jobs) == (0, 0)


async def test_a_slide_index_is_stored_once(engine: AsyncEngine) -> None:
    repository = Repository(engine)
    row = await _presentation(repository)
    assert await repository.insert_slide(row.id, _slide(1))
    assert not await repository.insert_slide(row.id, _slide(1))
    assert await repository.count_slides(row.id) == 1


async def test_a_slide_for_another_run_is_not_stored(engine: AsyncEngine) -> None:
    repository = Repository(engine)
    row = await _presentation(repository)
    assert not await repository.insert_slide(row.id, _slide(0), expected_run=5)
    # Nor for a run that is no longer generating (cancelled, failed, finished).
    assert not await repository.insert_slide(row.id, _slide(0), expected_run=0)
    await repository.update_presentation(row.id, {"deck_status": "generating"})
    assert await repository.insert_slide(row.id, _slide(0), expected_run=0)
    await repository.update_presentation(row.id, {"deck_status": "cancelled"})
    assert not await repository.insert_slide(row.id, _slide(1), expected_run=0)


async def test_foreign_keys_are_enforced(engine: AsyncEngine) -> None:
    repository = Repository(engine)
    assert not await repository.insert_slide(uuid.uuid4(), _slide(0))


async def test_one_active_job_per_presentation(engine: AsyncEngine) -> None:
    repository = Repository(engine)
    row = await _presentation(repository)
    first = await repository.add_job(JobRow(id=uuid.uuid4(), presentation_id=row.id, kind="deck"))
    assert first is not None
    second = JobRow(id=uuid.uuid4(), presentation_id=row.id, kind="outline")
    assert await repository.add_job(second) is None
    await repository.set_job_status(first.id, "completed")
    assert await repository.add_job(second) is not None
