"""The outline stream over a real loopback server."""

from __future__ import annotations

import json

import httpx

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, create, get_presentation, outline_url
from tests.support.sse import chunks_text, read_all, read_until
from tests.support.waiting import wait_for


async def test_outline_streams_status_chunks_then_complete(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    created = await create(http, n_slides=5)
    frames = await read_all(http, outline_url(created["id"]))
    assert frames[0].type == "status"
    assert frames[0].data["status"] == "Generating presentation outlines..."
    assert frames[-1].type == "complete"
    assert sum(1 for f in frames if f.terminal) == 1
    streamed = json.loads(chunks_text(frames))
    assert len(streamed["slides"]) == 5
    presentation = frames[-1].data["presentation"]
    assert presentation["id"] == created["id"]
    assert [s["content"] for s in presentation["outlines"]["slides"]] == [
        s["content"].strip() for s in streamed["slides"]
    ]
    assert presentation["title"]
    assert presentation["layout"] is None and presentation["structure"] is None
    outline_calls = [c for c in fake_llm.calls() if c["stream"]]
    assert len(outline_calls) == 1


async def test_finished_outline_is_replayed_without_llm_calls(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    created = await create(http, n_slides=3)
    first = await read_all(http, outline_url(created["id"]))
    calls = fake_llm.stats()["requests"]
    second = await read_all(http, outline_url(created["id"]))
    assert fake_llm.stats()["requests"] == calls
    assert chunks_text(second) == chunks_text(first)
    assert second[-1].data["presentation"]["outlines"] == first[-1].data["presentation"]["outlines"]


async def test_resume_mid_outline_delivers_the_text_exactly_once(http: httpx.AsyncClient) -> None:
    created = await create(http, n_slides=6)
    pid = created["id"]
    first = await read_until(
        http, outline_url(pid), lambda got: sum(1 for f in got if f.type == "chunk") == 2
    )
    assert first[-1].type == "chunk"
    await wait_for(
        lambda: get_presentation(http, pid),
        lambda p: p["generation"]["outline_status"] == "ready",
        "the outline is ready",
    )
    rest = await read_all(http, outline_url(pid), last_event_id=first[-1].id)
    assert rest[0].type != "status"
    text = chunks_text(first) + chunks_text(rest)
    stored = await http.get(f"{API}/outlines/{pid}")
    assert len(json.loads(text)["slides"]) == len(stored.json()["slides"]) == 6
    replay = await read_all(http, outline_url(pid))
    assert chunks_text(replay) == text
    assert rest[-1].type == "complete"


async def test_outline_terminal_id_gets_204(http: httpx.AsyncClient) -> None:
    created = await create(http, n_slides=2)
    frames = await read_all(http, outline_url(created["id"]))
    response = await http.get(outline_url(created["id"]), headers={"Last-Event-ID": frames[-1].id})
    assert response.status_code == 204


async def test_outline_put_starts_a_new_run_for_resuming_readers(http: httpx.AsyncClient) -> None:
    created = await create(http, n_slides=2)
    frames = await read_all(http, outline_url(created["id"]))
    await http.put(f"{API}/outlines/{created['id']}", json={"slides": [{"content": "# Mine"}]})
    again = await read_all(http, outline_url(created["id"]), last_event_id=frames[1].id)
    assert again[0].type == "reset"
    assert json.loads(chunks_text(again)) == {"slides": [{"content": "# Mine"}]}


async def test_truncated_llm_stream_ends_with_one_error_frame(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "truncate", "times": 1, "after_chars": 30})
    created = await create(http, n_slides=3)
    frames = await read_all(http, outline_url(created["id"]))
    assert frames[-1].type == "error"
    assert sum(1 for f in frames if f.terminal) == 1
    assert frames[-1].data["detail"]
    # Streaming it again is a fresh attempt, which now succeeds.
    retry = await read_all(http, outline_url(created["id"]))
    assert retry[-1].type == "complete"


async def test_rate_limited_outline_is_retried(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "429", "times": 2})
    created = await create(http, n_slides=3)
    frames = await read_all(http, outline_url(created["id"]))
    assert frames[-1].type == "complete"
    assert fake_llm.stats()["requests"] == 3
