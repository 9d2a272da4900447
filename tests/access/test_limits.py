"""Per-key limits over real HTTP: each one exceeded is a 429 with a numeric Retry-After
before any work; another key is unaffected at the same moment; what already runs finishes
with every slide. Generations are held active by stalling the simulated LLM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.settings import Settings
from tests.access.support import (
    GENERATE_ASYNC,
    Deployment,
    deployment,
    jobs_of,
    markdown_slides,
    presentations_count,
    slides_of,
    task_finished,
    wait_completed,
)
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, marked_outlines, outline_url
from tests.support.sse import open_stream, read_all
from tests.support.waiting import wait_for

Deploy = Callable[..., AbstractAsyncContextManager[Deployment]]


@pytest.fixture
def deploy(tmp_path: Path, fake_llm: FakeLLMHandle) -> Deploy:
    """A keyed deployment with the given limits (every other limit off)."""

    def build(**limits: int) -> AbstractAsyncContextManager[Deployment]:
        values: dict[str, object] = {
            "key_max_active_generations": 0,
            "key_generations_per_hour": 0,
            "key_max_open_streams": 0,
            "key_requests_per_minute": 0,
            **limits,
        }
        settings: Settings = make_settings(
            tmp_path / "data", fake_llm.api_url, auth="keys", **values
        )
        return deployment(settings)

    return build


@pytest.fixture
async def released(fake_llm: FakeLLMHandle) -> AsyncIterator[FakeLLMHandle]:
    """The simulated LLM; every stalled call is let go when the test ends."""
    try:
        yield fake_llm
    finally:
        release(fake_llm)


def release(fake_llm: FakeLLMHandle) -> None:
    """Let every stalled call answer, and stall no later one (a retry, say)."""
    fake_llm.clear_faults()
    fake_llm.release()


def assert_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, (response.status_code, response.text)
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1, retry_after
    assert isinstance(response.json()["detail"], str)
    return int(retry_after)


async def start_held(http: httpx.AsyncClient, fake_llm: FakeLLMHandle, tag: str) -> dict[str, Any]:
    """A 3-slide generation whose second slide stalls at the LLM until released."""
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": f"MARK01X {tag}"})
    body = {"content": "", "slides_markdown": markdown_slides(3, tag)}
    response = await http.post(GENERATE_ASYNC, json=body)
    assert response.status_code == 200, response.text
    await wait_for(lambda: fake_llm.waiting_on(f"MARK01X {tag}"), bool, "slide 1 to stall")
    task: dict[str, Any] = response.json()
    return task


async def prepared(http: httpx.AsyncClient, n: int = 2) -> str:
    created = await http.post(
        f"{API}/presentation/create", json={"content": "Tides", "n_slides": n}
    )
    assert created.status_code == 200, created.text
    pid = str(created.json()["id"])
    response = await http.post(
        f"{API}/presentation/prepare", json={"presentation_id": pid, "outlines": marked_outlines(n)}
    )
    assert response.status_code == 200, response.text
    return pid


async def test_active_generations_over_the_limit_are_429_and_the_running_one_finishes(
    deploy: Deploy, released: FakeLLMHandle
) -> None:
    async with (
        deploy(key_max_active_generations=1) as keyed,
        keyed.client(keyed.alice) as alice,
        keyed.client(keyed.bob) as bob,
    ):
        held = await start_held(alice, released, "HOLDA")
        waiting = await prepared(alice)
        decks = await presentations_count(keyed.settings)
        body = {"content": "", "slides_markdown": markdown_slides(2)}
        assert_limited(await alice.post(GENERATE_ASYNC, json=body))
        assert_limited(await alice.get(deck_url(waiting)))  # a stream starting a deck
        assert_limited(await alice.post(f"{API}/presentation/regenerate/{waiting}"))
        assert await presentations_count(keyed.settings) == decks  # nothing was made
        assert await jobs_of(keyed.settings, waiting) == 0
        # Bob, at the same moment (alice's generation still stalled), is not limited.
        assert released.waiting_on("MARK01X HOLDA")
        bobs = await bob.post(GENERATE_ASYNC, json=body)
        assert bobs.status_code == 200, bobs.text
        assert (await task_finished(bob, bobs.json()["id"]))["status"] == "completed"
        assert released.waiting_on("MARK01X HOLDA")
        release(released)
        done = await task_finished(alice, held["id"])
        assert done["status"] == "completed", done
        assert await slides_of(keyed.settings, held["data"]["presentation_id"]) == 3
        # With it finished, alice may start again.
        frames = await read_all(alice, deck_url(waiting))
        assert frames[-1].type == "complete"
        assert len(frames[-1].data["presentation"]["slides"]) == 2


async def test_concurrent_starts_cannot_overshoot_the_active_limit(
    deploy: Deploy, released: FakeLLMHandle
) -> None:
    released.add_faults({"kind": "stall", "times": 1000, "match": "MARK00X RACE"})
    body = {"content": "", "slides_markdown": markdown_slides(1, "RACE")}
    async with (
        deploy(key_max_active_generations=1) as keyed,
        keyed.client(keyed.alice) as alice,
    ):
        answers = await asyncio.gather(*(alice.post(GENERATE_ASYNC, json=body) for _ in range(4)))
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [200, 429, 429, 429], [r.text for r in answers]


async def test_concurrent_starts_cannot_overshoot_the_hourly_limit(
    deploy: Deploy, fake_llm: FakeLLMHandle
) -> None:
    body = {"content": "", "slides_markdown": markdown_slides(1)}
    async with (
        deploy(key_generations_per_hour=2) as keyed,
        keyed.client(keyed.alice) as alice,
    ):
        answers = await asyncio.gather(*(alice.post(GENERATE_ASYNC, json=body) for _ in range(5)))
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [200, 200, 429, 429, 429], [r.text for r in answers]


async def test_generations_per_hour_over_the_limit_are_429_with_the_wait(
    deploy: Deploy, fake_llm: FakeLLMHandle
) -> None:
    body = {"content": "", "slides_markdown": markdown_slides(2)}
    async with (
        deploy(key_generations_per_hour=2) as keyed,
        keyed.client(keyed.alice) as alice,
        keyed.client(keyed.bob) as bob,
    ):
        tasks = []
        for _ in range(2):
            response = await alice.post(GENERATE_ASYNC, json=body)
            assert response.status_code == 200, response.text
            tasks.append(response.json())
        decks = await presentations_count(keyed.settings)
        wait = assert_limited(await alice.post(GENERATE_ASYNC, json=body))
        assert 3500 <= wait <= 3600, wait
        assert_limited(await alice.get(outline_url(await prepared_outline(alice))))
        assert await presentations_count(keyed.settings) == decks + 1  # only the created one
        assert (await bob.post(GENERATE_ASYNC, json=body)).status_code == 200
        for task in tasks:
            assert (await task_finished(alice, task["id"]))["status"] == "completed"
            assert await slides_of(keyed.settings, task["data"]["presentation_id"]) == 2


async def prepared_outline(http: httpx.AsyncClient) -> str:
    created = await http.post(
        f"{API}/presentation/create", json={"content": "Reefs", "n_slides": 2}
    )
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


async def test_open_streams_over_the_limit_are_429_and_closing_one_frees_it(
    deploy: Deploy, released: FakeLLMHandle
) -> None:
    async with (
        deploy(key_max_open_streams=1) as keyed,
        keyed.client(keyed.alice) as alice,
        keyed.client(keyed.bob) as bob,
    ):
        pid = await prepared(alice)
        bobs = await prepared(bob)
        # Slide 0's content call stalls (the structure calls are made by now).
        released.add_faults({"kind": "stall", "times": 1000, "match": "MARK00X"})
        async with open_stream(alice, deck_url(pid)) as frames:
            assert (await anext(frames)).type in ("status", "chunk")
            await wait_for(lambda: released.waiting_on("MARK00X"), bool, "slide 0 to stall")
            assert_limited(await alice.get(deck_url(pid)))
            assert_limited(await alice.get(outline_url(pid)))
            # Bob's stream opens at the same moment.
            async with open_stream(bob, deck_url(bobs)) as bob_frames:
                assert (await anext(bob_frames)).type in ("status", "chunk")
        # Closing alice's stream frees its place (and does not stop her generation).

        async def reopen() -> int:
            async with alice.stream("GET", deck_url(pid)) as response:
                return response.status_code  # attached to the stalled run; then closed

        def admitted(status: int) -> bool:
            return status == 200

        await wait_for(reopen, admitted, "a stream to be admitted again")
        release(released)
        await wait_completed(keyed.settings, pid)
        assert await slides_of(keyed.settings, pid) == 2
        frames_after = await read_all(alice, deck_url(pid))
        assert frames_after[-1].type == "complete"


async def test_requests_over_the_rate_are_429_and_running_work_goes_on(
    deploy: Deploy, released: FakeLLMHandle
) -> None:
    async with (
        deploy(key_requests_per_minute=5) as keyed,
        keyed.client(keyed.alice) as alice,
        keyed.client(keyed.bob) as bob,
    ):
        held = await start_held(alice, released, "HOLDR")  # request 1
        for _ in range(4):  # requests 2 to 5
            assert (await alice.get(f"{API}/presentation/all")).status_code == 200
        wait = assert_limited(await alice.get(f"{API}/presentation/all"))
        assert wait <= 60
        assert_limited(await alice.post(GENERATE_ASYNC, json={"content": "x", "n_slides": 2}))
        assert (await bob.get(f"{API}/presentation/all")).status_code == 200
        assert released.waiting_on("MARK01X HOLDR")
        release(released)
        pid = held["data"]["presentation_id"]
        await wait_completed(keyed.settings, pid)
        assert await slides_of(keyed.settings, pid) == 3
