"""An async generation survives a server restart: its task reports progress, then
completion, and the slides made before the restart are not made again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ServerProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.reliability


@pytest.fixture
def processes() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for process in started:
        process.stop()


async def task_status(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    response = await http.get(f"{API}/presentation/status/{task_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_async_generation_survives_a_restart(
    tmp_path: Path, fake_llm: FakeLLMHandle, processes: list[ServerProcess]
) -> None:
    env = {
        "APP_DATA_DIRECTORY": str(tmp_path / "data"),
        "LLM": "custom",
        "CUSTOM_LLM_URL": fake_llm.api_url,
        "CUSTOM_MODEL": "slidestream-fake",
        "SLIDESTREAM_SLIDE_CONCURRENCY": "1",
        "SLIDESTREAM_LLM_BACKOFF_INITIAL": "0.01",
        "SLIDESTREAM_LOG_LEVEL": "warning",
    }
    markdown = [f"# Part {i} {marker(i)}\n- A point about storage" for i in range(6)]
    # The layout call lists every outline: it is refused once (and falls back to the
    # heuristic) so that the stall lands on slide 3's own call.
    fake_llm.add_faults(
        {"kind": "401", "times": 1, "match": marker(3)},
        {"kind": "stall", "times": 100, "match": marker(3)},
    )
    first = ServerProcess(env, tmp_path / "server.log").start()
    processes.append(first)
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        response = await http.post(
            f"{API}/presentation/generate/async", json={"content": "", "slides_markdown": markdown}
        )
        assert response.status_code == 200, response.text
        task_id = response.json()["id"]
        midway = await wait_for(
            lambda: task_status(http, task_id),
            lambda t: t["data"]["created_slides"] == 3,
            "three slides to exist",
        )
        assert midway["status"] == "pending"
        assert midway["message"] == "Generating slides"
    first.kill()
    fake_llm.clear_faults()
    await wait_for(fake_llm.stats, lambda s: s["in_flight"] == 0, "the stalled call to drop")

    second = ServerProcess(env, tmp_path / "server.log").start()
    processes.append(second)
    async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
        done = await wait_for(
            lambda: task_status(http, task_id),
            lambda t: t["status"] != "pending",
            "the task to finish after the restart",
        )
    assert done["status"] == "completed", done
    assert done["data"]["created_slides"] == 6 and done["data"]["remaining_slides"] == 0
    assert Path(done["data"]["path"]).exists()
    for index in (0, 1, 2, 4, 5):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1, f"slide {index} was redone"
