"""SIGKILL the server mid-deck, start it again: the deck completes, nothing is redone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import deck_url, get_presentation, marker, prepared
from tests.support.servers import ServerProcess
from tests.support.sse import read_all, read_until, slide_frames
from tests.support.waiting import wait_for

pytestmark = pytest.mark.reliability


@pytest.fixture
def server_env(tmp_path: Path, fake_llm: FakeLLMHandle) -> dict[str, str]:
    return {
        "APP_DATA_DIRECTORY": str(tmp_path / "data"),
        "LLM": "custom",
        "CUSTOM_LLM_URL": fake_llm.api_url,
        "CUSTOM_MODEL": "slidestream-fake",
        "SLIDESTREAM_SLIDE_CONCURRENCY": "2",
        "SLIDESTREAM_LLM_BACKOFF_INITIAL": "0.01",
        "SLIDESTREAM_LOG_LEVEL": "warning",
    }


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for process in started:
        process.stop()


async def test_killed_server_resumes_the_deck_without_regenerating_slides(
    server_env: dict[str, str],
    processes: list[ServerProcess],
    fake_llm: FakeLLMHandle,
    tmp_path: Path,
) -> None:
    first = ServerProcess(server_env, tmp_path / "server.log").start()
    processes.append(first)
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        pid = await prepared(http, n=6)
        # Slide 3 hangs at the LLM, so the kill lands mid-deck every time.
        fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(3)})
        seen = await read_until(http, deck_url(pid), lambda got: len(slide_frames(got)) == 3)
        assert [s["index"] for s in slide_frames(seen)] == [0, 1, 2]
        before = {s["index"]: s["id"] for s in (await get_presentation(http, pid))["slides"]}
    first.kill()
    fake_llm.clear_faults()
    await wait_for(fake_llm.stats, lambda s: s["in_flight"] == 0, "the stalled call to drop")

    second = ServerProcess(server_env, tmp_path / "server.log").start()
    processes.append(second)
    async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
        frames = await read_all(http, deck_url(pid))
        assert frames[-1].type == "complete"
        after = {s["index"]: s["id"] for s in slide_frames(frames)}
    assert sorted(after) == list(range(6))
    assert {0, 1, 2} <= set(before) and 3 not in before
    for index, slide_id in before.items():
        assert after[index] == slide_id, f"slide {index} was generated again"
        assert len(fake_llm.calls_mentioning(marker(index))) == 1
