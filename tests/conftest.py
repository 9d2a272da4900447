"""Shared fixtures: the simulated LLM over real HTTP, settings on a temp data dir,
the app in-process (for plain endpoints) and on a real loopback server (for streams)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from slidestream.app import create_app
from slidestream.llm.fake import FakeLLMConfig, create_fake_llm_app
from slidestream.settings import Settings
from tests.support.apps import in_process
from tests.support.fake_llm import FakeLLMHandle
from tests.support.servers import ThreadedServer


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLMHandle]:
    server = ThreadedServer(create_fake_llm_app(FakeLLMConfig(latency=0.005))).start()
    try:
        yield FakeLLMHandle(server.url)
    finally:
        server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLMHandle) -> FakeLLMHandle:
    fake_llm_server.reset()
    return fake_llm_server


def make_settings(data_dir: Path, llm_url: str | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "llm": "custom" if llm_url else None,
        "custom_llm_url": llm_url,
        "custom_model": "slidestream-fake",
        "llm_backoff_initial": 0.01,
        "llm_backoff_max": 0.05,
        "llm_timeout_seconds": 30,
        "outline_flush_seconds": 0.0,
        "heartbeat_seconds": 15,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeLLMHandle) -> Settings:
    return make_settings(tmp_path / "data", fake_llm.api_url)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process (ASGI transport) with its lifespan running."""
    async with in_process(app) as http:
        yield http


@pytest.fixture
def server(app: FastAPI) -> Iterator[ThreadedServer]:
    """The app on a real uvicorn server on a loopback port."""
    running = ThreadedServer(app).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def http(server: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http_client:
        yield http_client
