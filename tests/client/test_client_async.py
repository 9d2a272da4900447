"""`AsyncClient` against a real slidestream server on loopback, with the simulated LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slidestream.client import (
    APIError,
    AsyncClient,
    Complete,
    OutlineDelta,
    Slide,
    StreamEvent,
    TaskFailed,
)
from tests.client.support import assert_every_slide_once_in_order, outline_texts
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker


async def test_the_seed_flow_create_outline_prepare_deck(aclient: AsyncClient) -> None:
    pid = (await aclient.create("Solar energy in 2025", n_slides=3))["id"]
    outline_events = [event async for event in aclient.stream_outline(pid)]
    text = "".join(e.text for e in outline_events if isinstance(e, OutlineDelta))
    assert len(json.loads(text)["slides"]) == 3
    complete = outline_events[-1]
    assert isinstance(complete, Complete) and len(complete.outline) == 3

    await aclient.prepare(pid)
    deck_events = [event async for event in aclient.stream_deck(pid)]
    done = assert_every_slide_once_in_order(deck_events, 3)
    assert (await aclient.get(pid))["slides"] == done.presentation["slides"]


async def test_a_finished_deck_replays_without_llm_calls(
    aclient: AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = (await aclient.create("", n_slides=2))["id"]
    await aclient.prepare(pid, outlines=outline_texts(2))
    first = [event async for event in aclient.stream_deck(pid)]
    calls = fake_llm.stats()["requests"]
    again = [event async for event in aclient.stream_deck(pid)]
    assert fake_llm.stats()["requests"] == calls
    assert [e.slide for e in again if isinstance(e, Slide)] == [
        e.slide for e in first if isinstance(e, Slide)
    ]


async def test_closing_a_stream_early_does_not_stop_generation(aclient: AsyncClient) -> None:
    pid = (await aclient.create("", n_slides=3))["id"]
    await aclient.prepare(pid, outlines=outline_texts(3))
    async with aclient.stream_deck(pid) as stream:
        first: StreamEvent = await stream.__anext__()
    assert isinstance(first, Slide) and first.index == 0
    # The deck went on without a reader; a new stream gets all of it.
    rest = [event async for event in aclient.stream_deck(pid)]
    assert_every_slide_once_in_order(rest, 3)


async def test_a_stream_continues_from_the_id_an_earlier_reader_stored(
    aclient: AsyncClient,
) -> None:
    pid = (await aclient.create("", n_slides=4))["id"]
    await aclient.prepare(pid, outlines=outline_texts(4))
    async with aclient.stream_deck(pid) as stream:
        first = await stream.__anext__()
        stored_id = stream.last_event_id
    assert isinstance(first, Slide) and first.index == 0 and stored_id == "d1:1"
    rest = [event async for event in aclient.stream_deck(pid, last_event_id=stored_id)]
    assert [e.index for e in rest if isinstance(e, Slide)] == [1, 2, 3]
    complete = rest[-1]
    assert isinstance(complete, Complete) and len(complete.deck) == 4
    assert complete.deck[0]["id"] == first.slide["id"]


async def test_generate_async_then_wait(aclient: AsyncClient) -> None:
    task = await aclient.generate_async("", slides_markdown=outline_texts(2), export_as="pdf")
    done = await aclient.wait(task.id, poll_interval=0.05)
    assert done.status == "completed" and done.path and done.path.endswith(".pdf")


async def test_generate_in_one_request(aclient: AsyncClient) -> None:
    result = await aclient.generate("", slides_markdown=outline_texts(2))
    assert result.path.endswith(".pptx")
    assert len((await aclient.get(result.presentation_id))["slides"]) == 2


async def test_a_failed_task_raises(aclient: AsyncClient, fake_llm: FakeLLMHandle) -> None:
    fake_llm.add_faults({"kind": "500", "times": 1000, "match": marker(0)})
    task = await aclient.generate_async("", slides_markdown=outline_texts(1))
    with pytest.raises(TaskFailed) as raised:
        await aclient.wait(task.id, poll_interval=0.05)
    assert "500" in str(raised.value.detail)


async def test_export_download_list_delete(aclient: AsyncClient, tmp_path: Path) -> None:
    pid = (await aclient.create("", n_slides=2))["id"]
    await aclient.prepare(pid, outlines=outline_texts(2))
    [event async for event in aclient.stream_deck(pid)]
    exported = await aclient.export(pid, "pdf")
    saved = await aclient.download(exported, tmp_path / "deck.pdf")
    assert saved.read_bytes()[:5] == b"%PDF-"
    assert pid in [item["id"] for item in await aclient.list()]
    await aclient.delete(pid)
    with pytest.raises(APIError) as raised:
        await aclient.get(pid)
    assert raised.value.status_code == 404 and raised.value.detail == "Presentation not found"


async def test_errors_before_streaming_are_exceptions(aclient: AsyncClient) -> None:
    pid = (await aclient.create("x", n_slides=2))["id"]
    with pytest.raises(APIError) as raised:
        [event async for event in aclient.stream_deck(pid)]
    assert raised.value.status_code == 400
    assert raised.value.detail == "Presentation not prepared for stream"
    with pytest.raises(APIError) as missing:
        await aclient.prepare("00000000-0000-4000-8000-000000000000", outlines=["# x"])
    assert missing.value.status_code == 404
