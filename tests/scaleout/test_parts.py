"""Pieces of the distributed deployment against a real PostgreSQL server: the LISTEN/NOTIFY
channel, concurrent migrations, webhook claims across processes, and the settings and
commands that refuse a deployment that cannot work."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slidestream.access import Access
from slidestream.errors import LimitExceeded
from slidestream.generation.limits import HOUR, GenerationLimits
from slidestream.settings import Settings
from slidestream.storage.database import create_engine, current_revision, head_revision, migrate
from slidestream.storage.models import WebhookSubscriptionRow, utcnow
from slidestream.storage.repository import Repository
from slidestream.streaming.pg_channel import PostgresChannel
from tests.support.postgres import PostgresServer
from tests.support.scaleout import new_database
from tests.support.waiting import wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: PostgresServer) -> str:
    return new_database(postgres)


def _engine(url: str) -> AsyncEngine:
    return create_engine(Settings(database_url=url).resolved_database_url)  # type: ignore[call-arg]


@pytest.fixture
async def channels(database_url: str) -> AsyncIterator[tuple[PostgresChannel, PostgresChannel]]:
    """Two channels on one database: two processes, as far as PostgreSQL can tell."""
    a, b = PostgresChannel(database_url), PostgresChannel(database_url)
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()


async def test_a_notification_reaches_subscribers_in_other_processes(
    channels: tuple[PostgresChannel, PostgresChannel],
) -> None:
    a, b = channels
    with b.subscribe("presentation:1") as one, b.subscribe("presentation:2") as two:
        await a.publish("presentation:1")
        assert await one.wait(30) is True
        # Only the topic that was published wakes: the other stays asleep.
        assert await two.wait(0.2) is False
        # The publisher's own process hears it too.
        with a.subscribe("presentation:1") as own:
            await b.publish("presentation:1")
            assert await own.wait(30) is True


async def test_after_the_database_restarts_subscribers_are_woken_and_notifications_flow(
    channels: tuple[PostgresChannel, PostgresChannel], postgres: PostgresServer
) -> None:
    a, b = channels
    with b.subscribe("presentation:9") as subscription:
        postgres.shut_down()
        # Publishing while the database is down neither raises nor blocks forever.
        await a.publish("presentation:9")
        # The local subscriber on the publishing side is still told (see the channel).
        postgres.start_again()
        # Whatever was announced while b was deaf, b's readers are woken to re-read.
        assert await subscription.wait(60) is True
        await wait_for(lambda: a.connected and b.connected, bool, "both channels to reconnect")
        while await subscription.wait(0.2):
            pass  # drain wake-ups from the reconnect
        await a.publish("presentation:9")
        assert await subscription.wait(30) is True


async def test_processes_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    engines = [_engine(database_url) for _ in range(4)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_webhook_delivery_is_claimed_by_one_process_only(database_url: str) -> None:
    engines = [_engine(database_url) for _ in range(3)]
    try:
        await migrate(engines[0])
        repositories = [Repository(engine) for engine in engines]
        await repositories[0].add_subscription(
            WebhookSubscriptionRow(id="webhook-x", url="http://example.com/hook", event="e")
        )
        for n in range(20):
            await repositories[0].enqueue_deliveries("e", {"n": n}, None)
        claims = await asyncio.gather(
            *(r.claim_due_deliveries(8, timedelta(minutes=5)) for r in repositories)
        )
        claimed = [row.id for rows in claims for row in rows]
        assert len(claimed) == len(set(claimed)) == 20
        # Claimed deliveries are not due again until their lease runs out.
        assert await repositories[0].claim_due_deliveries(50, timedelta(minutes=5)) == []
    finally:
        for engine in engines:
            await engine.dispose()


async def test_an_hourly_limit_holds_when_processes_start_generations_together(
    database_url: str,
) -> None:
    """Two processes admit one owner's generations at the same moment: the owner's lock is
    held across both, so a limit of 2 per hour lets exactly 2 of 6 through."""
    engines = [_engine(database_url) for _ in range(2)]
    try:
        await migrate(engines[0])
        settings = Settings(  # type: ignore[call-arg]
            database_url=database_url, key_generations_per_hour=2, key_max_active_generations=0
        )
        limits = [GenerationLimits(Repository(engine), settings) for engine in engines]
        access = Access(owner="acme", everything=False, key_id="k1")

        async def start(limit: GenerationLimits) -> bool:
            try:
                async with limit.admitted(access):
                    await asyncio.sleep(0)  # the new job would be stored here
                return True
            except LimitExceeded:
                return False

        admitted = await asyncio.gather(*(start(limits[n % 2]) for n in range(6)))
        assert admitted.count(True) == 2
        count, _ = await limits[0].repository.generation_starts_since("acme", utcnow() - HOUR)
        assert count == 2
    finally:
        for engine in engines:
            await engine.dispose()


def _slidestream(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slidestream", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _plain_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDESTREAM_")}
    env.pop("DATABASE_URL", None)
    env["APP_DATA_DIRECTORY"] = str(tmp_path / "data")
    return env


def test_several_api_processes_need_the_distributed_deployment(tmp_path: Path) -> None:
    result = _slidestream("serve", "--workers", "2", env=_plain_env(tmp_path))
    assert result.returncode == 2
    assert "SLIDESTREAM_JOBS=distributed" in result.stderr


def test_a_worker_needs_the_distributed_deployment(tmp_path: Path) -> None:
    result = _slidestream("worker", env=_plain_env(tmp_path))
    assert result.returncode == 2
    assert "SLIDESTREAM_JOBS=distributed" in result.stderr


def test_distributed_jobs_need_postgresql(tmp_path: Path) -> None:
    env = {**_plain_env(tmp_path), "SLIDESTREAM_JOBS": "distributed"}
    for command in (["serve"], ["worker"]):
        result = _slidestream(*command, env=env)
        assert result.returncode == 2, result.stderr
        assert "needs a PostgreSQL database" in result.stderr


def test_settings_describe_what_cannot_run() -> None:
    sqlite = Settings(jobs="distributed")  # type: ignore[call-arg]
    assert "PostgreSQL" in (sqlite.deployment_problem() or "")
    url = f"postgresql://u@127.0.0.1:5432/{uuid.uuid4().hex}"
    slow = Settings(  # type: ignore[call-arg]
        jobs="distributed",
        database_url=url,
        worker_heartbeat_seconds=10,
        worker_stalled_seconds=5,
    )
    assert "STALLED" in (slow.deployment_problem() or "")
    good = Settings(jobs="distributed", database_url=url)  # type: ignore[call-arg]
    assert good.deployment_problem() is None
    assert good.libpq_database_url == url
    assert Settings().deployment_problem() is None  # type: ignore[call-arg]
