"""A deck survives a flaky LLM, keeps what succeeded when it fails, and cancels cleanly."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, marker, prepared
from tests.support.sse import chunks_text, open_stream, read_all, slide_frames
from tests.support.waiting import wait_for

pytestmark = pytest.mark.reliability


async def test_transient_429_and_500_are_retried_and_the_deck_completes(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=4)
    fake_llm.add_faults(
        {"kind": "429", "times": 1, "match": marker(2)},
        {"kind": "500", "times": 1, "match": marker(2)},
    )
    frames = await read_all(http, deck_url(pid))
    assert frames[-1].type == "complete"
    assert [s["index"] for s in slide_frames(frames)] == [0, 1, 2, 3]
    statuses = [c["status"] for c in fake_llm.calls_mentioning(marker(2))]
    assert statuses == [429, 500, 200]


async def test_a_slide_that_fails_for_good_ends_the_stream_and_keeps_earlier_slides(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=6)
    fake_llm.add_faults({"kind": "500", "times": 100, "match": marker(3)})
    frames = await read_all(http, deck_url(pid))
    errors = [f for f in frames if f.terminal]
    assert len(errors) == 1 and frames[-1].type == "error"
    assert "500" in frames[-1].data["detail"]
    sent = [s["index"] for s in slide_frames(frames)]
    assert sent[:3] == [0, 1, 2] and 3 not in sent
    assert sent == sorted(sent)
    # The chunks still close into valid JSON holding the slides that were sent.
    assert len(json.loads(chunks_text(frames))["slides"]) == len(sent)
    deck = await get_presentation(http, pid)
    kept = {s["index"]: s["id"] for s in deck["slides"]}
    assert {0, 1, 2} <= set(kept)
    assert deck["generation"]["deck_status"] == "failed"

    # Later, with the provider healthy again, streaming resumes the deck: the stored
    # slides are not generated again.
    fake_llm.clear_faults()
    calls_before = {i: len(fake_llm.calls_mentioning(marker(i))) for i in range(6)}
    resumed = await read_all(http, deck_url(pid))
    assert resumed[-1].type == "complete"
    final = {s["index"]: s["id"] for s in slide_frames(resumed)}
    assert sorted(final) == list(range(6))
    for index, slide_id in kept.items():
        assert final[index] == slide_id
        assert len(fake_llm.calls_mentioning(marker(index))) == calls_before[index]


async def test_cancel_mid_deck_ends_every_reader_and_stops_llm_calls(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=6)
    fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(2)})

    async def read_to_end() -> list[object]:
        async with open_stream(http, deck_url(pid)) as frames:
            return [frame async for frame in frames]

    readers = [asyncio.create_task(read_to_end()) for _ in range(2)]
    await wait_for(
        lambda: fake_llm.calls_mentioning(marker(2)),
        lambda calls: len(calls) >= 1,
        "slide 2 is stalled at the LLM",
    )
    response = await http.post(f"{API}/presentation/cancel/{pid}")
    assert response.status_code == 200
    assert response.json()["generation"]["deck_status"] == "cancelled"
    results = await asyncio.gather(*readers)
    for frames in results:
        assert frames[-1].type == "error"  # type: ignore[attr-defined]
        assert frames[-1].data["detail"] == "Generation was cancelled"  # type: ignore[attr-defined]
    await wait_for(
        fake_llm.stats,
        lambda stats: stats["in_flight"] == 0,
        "the stalled LLM call is dropped",
    )
    calls = fake_llm.stats()["requests"]
    health = await http.get("/health")
    assert health.json()["jobs_running"] == 0
    deck = await get_presentation(http, pid)
    assert deck["generation"]["deck_status"] == "cancelled"
    assert fake_llm.stats()["requests"] == calls
    terminal_id = f"d{deck['generation']['deck_run']}:end"
    again = await http.get(deck_url(pid), headers={"Last-Event-ID": terminal_id})
    assert again.status_code == 204
