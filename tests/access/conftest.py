"""A real keyed server per test: alice and bob (two owners) and an admin key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.access.support import Deployment, deployment
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle


@pytest.fixture
async def keyed(tmp_path: Path, fake_llm: FakeLLMHandle) -> AsyncIterator[Deployment]:
    settings = make_settings(
        tmp_path / "data",
        fake_llm.api_url,
        auth="keys",
        fetch_allow_hosts=["127.0.0.1"],
        webhook_backoff_initial=0.01,
        webhook_backoff_max=0.05,
        webhook_timeout_seconds=5,
    )
    async with deployment(settings) as running:
        yield running
