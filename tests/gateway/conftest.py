"""Gateway fixtures: a slidestream upstream (simulated LLM) on loopback with its requests
recorded, and gateways on loopback in front of it (or of any other upstream)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from slidestream.app import create_app
from slidestream.gateway import (
    Caller,
    Gateway,
    GatewayHooks,
    GatewaySettings,
    MemoryOwnershipStore,
    OwnershipStore,
    create_gateway_app,
)
from tests.conftest import make_settings
from tests.gateway.support import RequestLog
from tests.support.fake_llm import FakeLLMHandle
from tests.support.servers import ThreadedServer


@dataclass
class RunningUpstream:
    server: ThreadedServer
    log: RequestLog

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class RunningGateway:
    server: ThreadedServer
    gateway: Gateway

    @property
    def url(self) -> str:
        return self.server.url


async def header_caller(request: Request) -> Caller | None:
    """Tests name the caller in `X-Caller`; no header, no caller."""
    name = request.headers.get("x-caller")
    return Caller(name) if name else None


async def key_of(caller: Caller) -> str:
    return f"upstream-key-{caller.id}"


HEADER_HOOKS = GatewayHooks(authenticate=header_caller, upstream_key=key_of)


@pytest.fixture
def start_upstream(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> Iterator[Callable[..., RunningUpstream]]:
    """Start a slidestream server (settings as in `make_settings`, plus overrides)."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def start(**overrides: Any) -> RunningUpstream:
            data = tmp_path / f"upstream-{next(numbers)}"
            log = RequestLog(create_app(make_settings(data, fake_llm.api_url, **overrides)))
            server = ThreadedServer(log).start()
            stack.callback(server.stop)
            return RunningUpstream(server, log)

        yield start


@pytest.fixture
def upstream(start_upstream: Callable[..., RunningUpstream]) -> RunningUpstream:
    return start_upstream()


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., RunningGateway]]:
    """Start a gateway app in front of `upstream_url`: test callers (`X-Caller`) by
    default, ownership in memory unless a store is given, settings overridable, streams
    read off the socket unless `direct_streams=False`."""
    with ExitStack() as stack:

        def start(
            upstream_url: str,
            *,
            hooks: GatewayHooks = HEADER_HOOKS,
            store: OwnershipStore | None = None,
            direct_streams: bool = True,
            **overrides: Any,
        ) -> RunningGateway:
            values: dict[str, Any] = {
                "upstream_url": upstream_url,
                "data_dir": tmp_path / "gateway",
                **overrides,
            }
            settings = GatewaySettings(**values)
            app = create_gateway_app(settings, hooks, store=store or MemoryOwnershipStore())
            # False: streams through httpx, as when a proxy is configured.
            app.state.gateway.upstream.direct_streams = direct_streams
            server = ThreadedServer(app).start()
            stack.callback(server.stop)
            return RunningGateway(server, app.state.gateway)

        yield start


@pytest.fixture
def gateway(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> RunningGateway:
    return start_gateway(upstream.url)
