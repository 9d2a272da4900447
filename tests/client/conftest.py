"""Servers, proxies and clients for the client tests: slidestream (with ids) and the same
server in strict Presenton mode (no ids), each reachable through a cuttable proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from slidestream.app import create_app
from slidestream.client import AsyncClient, Client, RetryPolicy
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.support.cut_proxy import CutProxy, cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.servers import ThreadedServer, threaded_server

# Quick retries: the tests wait for conditions, never for backoff.
FAST_RETRY = RetryPolicy(max_retries=4, backoff_initial=0.01, backoff_max=0.05)


def _settings(data_dir: Path, fake_llm: FakeLLMHandle, **overrides: object) -> Settings:
    # A short LLM timeout releases a stalled call (it is retried and succeeds), so a test
    # can hold a deck mid-way with a stall and let it finish without cancelling it.
    return make_settings(data_dir, fake_llm.api_url, llm_timeout_seconds=2, **overrides)


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeLLMHandle) -> Settings:
    return _settings(tmp_path / "data", fake_llm)


@pytest.fixture
def strict_server(tmp_path: Path, fake_llm: FakeLLMHandle) -> Iterator[ThreadedServer]:
    # As many LLM attempts as it takes: a stall that lasts until the test moves on holds
    # the deck mid-way (rather than failing it after a few timeouts).
    strict = _settings(
        tmp_path / "strict", fake_llm, presenton_strict=True, llm_max_attempts=100_000
    )
    with threaded_server(create_app(strict)) as running:
        yield running


@pytest.fixture
def proxy(server: ThreadedServer) -> Iterator[CutProxy]:
    with cut_proxy(server.url) as running:
        yield running


@pytest.fixture
def strict_proxy(strict_server: ThreadedServer) -> Iterator[CutProxy]:
    with cut_proxy(strict_server.url) as running:
        yield running


ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    clients: list[Client] = []

    def make(url: str, **options: object) -> Client:
        options.setdefault("retry", FAST_RETRY)
        client = Client(url, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(server: ThreadedServer, make_client: ClientFactory) -> Client:
    return make_client(server.url)


@pytest.fixture
async def aclient(server: ThreadedServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(server.url, retry=FAST_RETRY) as running:
        yield running


class RequestLog:
    """The requests an injected httpx client made, as `METHOD path` lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        self.lines.append(f"{request.method} {request.url.path}")
