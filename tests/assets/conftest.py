"""Fixtures for the asset tests: the fake outside world on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assets.fakes import FakeWorldServer


@pytest.fixture(scope="session")
def world_server() -> Iterator[FakeWorldServer]:
    server = FakeWorldServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(world_server: FakeWorldServer) -> FakeWorldServer:
    world_server.reset()
    return world_server
