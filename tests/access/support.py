"""A keyed deployment for the access tests: a real server on loopback that requires keys,
three keys (two owners and an admin), and reads of its database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from slidestream.app import create_app
from slidestream.settings import Settings
from slidestream.storage.database import create_engine
from slidestream.storage.models import Base, JobRow, PresentationRow, SlideRow
from tests.support.flows import API
from tests.support.keys import bearer, make_key
from tests.support.servers import ThreadedServer
from tests.support.waiting import wait_for

GENERATE_ASYNC = f"{API}/presentation/generate/async"
CHALLENGE = 'Bearer realm="slidestream"'


def status_url(task_id: str) -> str:
    return f"{API}/presentation/status/{task_id}"


def markdown_slides(n: int, tag: str = "") -> list[str]:
    """Slides whose prompts carry `marker(i)` (tests/support/flows.py) and an optional tag."""
    from tests.support.flows import marker

    return [f"# Section {i + 1} {marker(i)} {tag}\n- A point about wind power" for i in range(n)]


@dataclass
class Deployment:
    settings: Settings
    server: ThreadedServer
    alice: str
    bob: str
    admin: str

    def client(self, key: str | None = None, **headers: str) -> httpx.AsyncClient:
        """A client of the server sending `key` (none: no Authorization header)."""
        sent = {**(bearer(key) if key else {}), **headers}
        return httpx.AsyncClient(base_url=self.server.url, headers=sent, timeout=30)


@asynccontextmanager
async def deployment(settings: Settings) -> AsyncIterator[Deployment]:
    """`settings`' server on loopback, with keys for alice, bob and an admin made first."""
    alice = await make_key(settings, "alice")
    bob = await make_key(settings, "bob")
    admin = await make_key(settings, "root", admin=True)
    server = ThreadedServer(create_app(settings)).start()
    try:
        yield Deployment(settings, server, alice, bob, admin)
    finally:
        server.stop()


async def count_rows(settings: Settings, model: type[Base], **where: Any) -> int:
    """Rows of `model` in the deployment's database (optionally filtered by columns)."""
    engine = create_engine(settings.resolved_database_url)
    try:
        statement = select(func.count()).select_from(model)
        for column, value in where.items():
            statement = statement.where(getattr(model, column) == value)
        async with engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


async def jobs_of(settings: Settings, presentation_id: str) -> int:
    return await count_rows(settings, JobRow, presentation_id=uuid.UUID(presentation_id))


async def presentations_count(settings: Settings) -> int:
    return await count_rows(settings, PresentationRow)


async def slides_of(settings: Settings, presentation_id: str) -> int:
    return await count_rows(settings, SlideRow, presentation=uuid.UUID(presentation_id))


async def deck_status(settings: Settings, presentation_id: str) -> str | None:
    engine = create_engine(settings.resolved_database_url)
    try:
        statement = select(PresentationRow.deck_status).where(
            PresentationRow.id == uuid.UUID(presentation_id)
        )
        async with engine.connect() as connection:
            value = (await connection.execute(statement)).scalar_one_or_none()
            return None if value is None else str(value)
    finally:
        await engine.dispose()


async def wait_completed(settings: Settings, presentation_id: str) -> None:
    """Until the deck is completed, read from the database (no API request is spent)."""

    async def probe() -> str | None:
        return await deck_status(settings, presentation_id)

    def ended(status: str | None) -> bool:
        return status in ("completed", "failed", "cancelled")

    await wait_for(probe, ended, "the deck to finish")
    assert await deck_status(settings, presentation_id) == "completed"


async def task_finished(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        response = await http.get(status_url(task_id))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    return await wait_for(probe, lambda t: t["status"] != "pending", "the task to finish")


async def deliveries(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/webhook/deliveries")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["www-authenticate"].startswith(CHALLENGE)
    assert isinstance(response.json()["detail"], str)


def api_operations(app_paths: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path template) of every operation under `/api/` in an OpenAPI document."""
    return [
        (method.upper(), path)
        for path, item in app_paths.items()
        if path.startswith("/api/")
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def fill(path: str, value: str) -> str:
    """A path template with every `{...}` parameter set (`{index}` to 0, `{provider}` to
    openai, any other to `value`)."""
    return (
        path.replace("{index}", "0")
        .replace("{provider}", "openai")
        .replace("{name}", "general")
        .replace("{id}", value)
    )
