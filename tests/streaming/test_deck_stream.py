"""The presentation stream over a real loopback server: framing, order, replay, resume."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, marker, prepared
from tests.support.sse import chunks_text, read_all, read_until, slide_frames
from tests.support.waiting import wait_for


async def test_frames_headers_and_bytes_follow_the_contract(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=4)
    async with http.stream("GET", deck_url(pid)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert "content-encoding" not in response.headers
        raw = b"".join([part async for part in response.aiter_bytes()]).decode()
    assert b"\r" not in raw.encode()
    blocks = [b for b in raw.split("\n\n") if b]
    assert blocks[0].startswith(": ") and "retry: " in blocks[0]
    events = [b for b in blocks if "event: response" in b]
    for block in events:
        lines = block.split("\n")
        assert any(line.startswith("id: d") for line in lines)
        data = [line[len("data: ") :] for line in lines if line.startswith("data: ")]
        assert len(data) == 1
        envelope = json.loads(data[0])
        # Python json.dumps defaults, exactly as Presenton writes them.
        assert data[0] == json.dumps(envelope)
    assert sum(1 for b in events if '"type": "complete"' in b) == 1
    assert '"type": "complete"' in events[-1]


async def test_chunks_form_valid_json_with_slides_in_order(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=6)
    frames = await read_all(http, deck_url(pid))
    document = json.loads(chunks_text(frames))
    assert [s["index"] for s in document["slides"]] == list(range(6))
    for slide in document["slides"]:
        assert set(slide) == {
            "presentation",
            "layout_group",
            "layout",
            "index",
            "content",
            "speaker_note",
            "id",
        }
        assert slide["presentation"] == pid
        assert slide["layout_group"] == "general"
        assert slide["speaker_note"] == slide["content"]["__speaker_note__"]
    terminal = [f for f in frames if f.terminal]
    assert len(terminal) == 1 and frames[-1] is terminal[0]
    presentation = terminal[0].data["presentation"]
    assert [s["id"] for s in presentation["slides"]] == [s["id"] for s in document["slides"]]
    ids = [f.id for f in frames]
    assert len(set(ids)) == len(ids)


async def test_finished_deck_is_replayed_without_llm_calls(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=3)
    first = await read_all(http, deck_url(pid))
    calls = fake_llm.stats()["requests"]
    second = await read_all(http, deck_url(pid))
    assert fake_llm.stats()["requests"] == calls
    assert slide_frames(second) == slide_frames(first)
    assert [f.id for f in second] == [f.id for f in first]


async def test_reconnect_after_the_terminal_frame_gets_204(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=2)
    frames = await read_all(http, deck_url(pid))
    terminal_id = frames[-1].id
    by_header = await http.get(deck_url(pid), headers={"Last-Event-ID": terminal_id})
    assert by_header.status_code == 204
    by_query = await http.get(deck_url(pid), params={"last_event_id": terminal_id})
    assert by_query.status_code == 204


async def test_resume_after_disconnect_sends_every_slide_exactly_once(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=8)
    first = await read_until(http, deck_url(pid), lambda got: len(slide_frames(got)) == 3)
    assert len(slide_frames(first)) == 3
    # Nobody is connected now; the job must carry on to the end by itself.
    await wait_for(
        lambda: _deck_status(http, pid), lambda status: status == "completed", "deck completes"
    )
    rest = await read_all(http, deck_url(pid), last_event_id=first[-1].id)
    slides = slide_frames(first) + slide_frames(rest)
    assert [s["index"] for s in slides] == list(range(8))
    document = json.loads(chunks_text(first) + chunks_text(rest))
    assert len(document["slides"]) == 8
    for index in range(8):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1


async def test_resume_by_query_parameter(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=4)
    first = await read_until(http, deck_url(pid), lambda got: len(slide_frames(got)) == 1)
    rest = await read_all(http, f"{deck_url(pid)}?last_event_id={first[-1].id}")
    indices = [s["index"] for s in slide_frames(first) + slide_frames(rest)]
    assert indices == [0, 1, 2, 3]


async def test_two_clients_share_one_generation(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    import asyncio

    pid = await prepared(http, n=6)
    first, second = await asyncio.gather(
        read_all(http, deck_url(pid)), read_all(http, deck_url(pid))
    )
    assert [(f.id, f.data) for f in first] == [(f.id, f.data) for f in second]
    for index in range(6):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1


async def test_an_id_from_an_older_run_resets_the_stream(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=3)
    old = await read_all(http, deck_url(pid))
    regenerated = await http.post(f"{API}/presentation/regenerate/{pid}")
    assert regenerated.status_code == 202
    frames = await read_all(http, deck_url(pid), last_event_id=old[2].id)
    assert frames[0].type == "reset"
    assert json.loads(chunks_text(frames[1:]))["slides"][0]["index"] == 0
    new_ids = {s["id"] for s in slide_frames(frames)}
    assert new_ids.isdisjoint({s["id"] for s in slide_frames(old)})


async def test_regenerating_mid_stream_resets_open_readers_into_the_new_run(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    import asyncio

    pid = await prepared(http, n=3)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(1)})
    reader = asyncio.create_task(read_all(http, deck_url(pid)))
    await wait_for(
        lambda: fake_llm.waiting_on(marker(1)), bool, "the second slide's call is stalled"
    )
    response = await http.post(f"{API}/presentation/regenerate/{pid}")
    assert response.status_code == 202
    frames = await reader
    types = [f.type for f in frames]
    assert "error" not in types
    assert types.count("reset") == 1 and types[-1] == "complete"
    after_reset = frames[types.index("reset") + 1 :]
    assert [s["index"] for s in slide_frames(after_reset)] == [0, 1, 2]
    assert json.loads(chunks_text(after_reset))["slides"][2]["index"] == 2
    assert all(f.id.startswith("d2:") for f in after_reset)


async def test_a_position_the_run_never_reached_resets(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=2)
    frames = await read_all(http, deck_url(pid), last_event_id="d1:40")
    assert frames[0].type == "reset"
    assert [s["index"] for s in slide_frames(frames)] == [0, 1]
    assert frames[-1].type == "complete"


async def test_malformed_last_event_ids_are_400(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=2)
    before = await get_presentation(http, pid)
    for bad in ("garbage", "d1:-3", "o1:4", "d" + "9" * 80 + ":1", "d1:1:1"):
        response = await http.get(deck_url(pid), headers={"Last-Event-ID": bad})
        assert response.status_code == 400, bad
        assert isinstance(response.json()["detail"], str)
        query = await http.get(deck_url(pid), params={"last_event_id": bad})
        assert query.status_code == 400
    after = await get_presentation(http, pid)
    assert after["generation"] == before["generation"]
    assert after["slides"] == []


async def test_regenerate_one_slide_keeps_its_id_and_index(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=3)
    await read_all(http, deck_url(pid))
    deck = await get_presentation(http, pid)
    target = deck["slides"][1]
    calls = len(fake_llm.calls_mentioning(marker(1)))
    response = await http.post(
        f"{API}/slide/regenerate", json={"id": target["id"], "prompt": "Make it punchier"}
    )
    assert response.status_code == 200, response.text
    slide = response.json()
    assert slide["id"] == target["id"] and slide["index"] == 1
    assert len(fake_llm.calls_mentioning(marker(1))) == calls + 1
    assert "Make it punchier" in fake_llm.calls_mentioning(marker(1))[-1]["user"]


async def _deck_status(http: httpx.AsyncClient, pid: str) -> str:
    return str((await get_presentation(http, pid))["generation"]["deck_status"])


async def test_slides_are_generated_concurrently_but_sent_in_order(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    import asyncio

    from tests.support.sse import open_stream

    pid = await prepared(http, n=5)
    # Slide 0 hangs at the LLM; with 4 slides at a time, slides 1-3 (then 4) are stored.
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(0)})
    received: list[object] = []

    async def read() -> None:
        async with open_stream(http, deck_url(pid)) as frames:
            async for frame in frames:
                received.append(frame)

    reader = asyncio.create_task(read())
    await wait_for(
        lambda: get_presentation(http, pid),
        lambda deck: {s["index"] for s in deck["slides"]} == {1, 2, 3, 4},
        "slides 1-4 are stored while slide 0 hangs",
    )
    # Nothing may overtake the missing slide 0: only the opening chunk went out.
    assert slide_frames(received) == []  # type: ignore[arg-type]
    await http.post(f"{API}/presentation/cancel/{pid}")
    await reader
    frames = await read_all(http, deck_url(pid))
    assert [s["index"] for s in slide_frames(frames)] == [0, 1, 2, 3, 4]
    assert frames[-1].type == "complete"


async def test_heartbeats_and_first_bytes_come_while_nothing_else_does(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    from slidestream.app import create_app
    from tests.conftest import make_settings
    from tests.support.servers import threaded_server

    settings = make_settings(tmp_path / "data", fake_llm.api_url, heartbeat_seconds=0.2)
    fake_llm.add_faults({"kind": "stall", "times": 1})
    with threaded_server(create_app(settings)) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as client:
            created = await client.post(
                f"{API}/presentation/create", json={"content": "x", "n_slides": 2}
            )
            pid = created.json()["id"]
            # The outline call hangs: the stream still opens at once and then pings.
            async with client.stream("GET", f"{API}/outlines/stream/{pid}") as response:
                assert response.status_code == 200
                seen = ""
                async for text in response.aiter_text():
                    seen += text
                    if seen.count(": ping") >= 3:
                        break
            assert seen.startswith(": slidestream\nretry: ")
            assert '"type": "status"' in seen
            assert '"type": "chunk"' not in seen
            await client.post(f"{API}/presentation/cancel/{pid}")


async def test_a_deck_deleted_mid_stream_still_closes_its_document(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    import asyncio

    pid = await prepared(http, n=3)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(0)})
    reader = asyncio.create_task(read_all(http, deck_url(pid)))
    await wait_for(lambda: fake_llm.waiting_on(marker(0)), bool, "the first slide is stalled")
    deleted = await http.delete(f"{API}/presentation/{pid}")
    assert deleted.status_code == 204
    frames = await reader
    assert frames[-1].type == "error"
    assert frames[-1].data["detail"] == "The presentation was deleted"
    # What arrived parses as it is, even though the deck is gone. Slides after the
    # stalled one may have been stored (and sent) before the deletion stopped the job.
    document = json.loads(chunks_text(frames))
    assert list(document) == ["slides"]
    assert {slide["index"] for slide in document["slides"]} <= {1, 2}
