"""One-shot generation at its edges: failures and cancels end every stage (streams get a
terminal frame, edits unlock), early streams see no reset, the title is kept, and
finishing twice announces once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, marker
from tests.support.sse import Frame, open_stream, read_all, slide_frames
from tests.support.waiting import wait_for

ASYNC = f"{API}/presentation/generate/async"


async def finished(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        result: dict[str, Any] = (await http.get(f"{API}/presentation/status/{task_id}")).json()
        return result

    return await wait_for(probe, lambda t: t["status"] != "pending", "the task to finish")


def markdown(n: int) -> list[str]:
    return [f"# Part {i} {marker(i)}\n- A point about rivers" for i in range(n)]


async def test_a_document_that_fails_to_parse_ends_the_outline(http: httpx.AsyncClient) -> None:
    upload = await http.post(
        f"{API}/files/upload",
        files=[("files", ("broken.pdf", b"%PDF-1.4\n" + b"garbage " * 50, "application/pdf"))],
    )
    assert upload.status_code == 200, upload.text
    body = {"content": "Rivers", "n_slides": 3, "files": upload.json()}
    task = (await http.post(ASYNC, json=body)).json()
    done = await finished(http, task["id"])
    assert done["status"] == "error"
    pid = task["data"]["presentation_id"]
    state = (await get_presentation(http, pid))["generation"]
    assert state["outline_status"] == "failed" and state["deck_status"] == "failed"
    # Nothing is left "generating": the outline can be edited again.
    edit = await http.put(f"{API}/outlines/{pid}", json={"slides": [{"content": "# One"}]})
    assert edit.status_code == 200, edit.text


async def test_streams_opened_early_end_when_the_generation_is_cancelled(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "stall", "times": 100, "match": "Number of slides"})
    task = (await http.post(ASYNC, json={"content": "Deltas", "n_slides": 3})).json()
    pid = task["data"]["presentation_id"]
    await wait_for(lambda: fake_llm.waiting_on("Number of slides"), bool, "the outline to stall")
    frames: list[Frame] = []
    async with (
        open_stream(http, deck_url(pid)) as deck,
        open_stream(http, f"{API}/outlines/stream/{pid}") as outline,
    ):
        first = await anext(deck)  # the deck stream is open and waiting for slides
        frames.append(first)
        response = await http.post(f"{API}/presentation/cancel/{pid}")
        assert response.status_code == 200, response.text
        frames += [frame async for frame in deck]
        outline_frames = [frame async for frame in outline]
    assert frames[-1].type == "error" and "cancelled" in frames[-1].data["detail"]
    assert outline_frames[-1].type == "error"
    assert (await finished(http, task["id"]))["status"] == "error"


async def test_cancelling_mid_deck_ends_the_open_stream(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults(
        {"kind": "401", "times": 1, "match": marker(2)},  # the layout call lists every outline
        {"kind": "stall", "times": 100, "match": marker(2)},
    )
    task = (await http.post(ASYNC, json={"content": "", "slides_markdown": markdown(3)})).json()
    pid = task["data"]["presentation_id"]
    frames: list[Frame] = []
    async with open_stream(http, deck_url(pid)) as deck:
        async for frame in deck:
            frames.append(frame)
            if len(slide_frames(frames)) == 2:
                break
        await wait_for(lambda: fake_llm.waiting_on(marker(2)), bool, "slide 2 to stall")
        response = await http.post(f"{API}/presentation/cancel/{pid}")
        assert response.status_code == 200, response.text
        frames += [frame async for frame in deck]
    assert frames[-1].type == "error"
    assert "cancelled" in frames[-1].data["detail"]
    assert (await finished(http, task["id"]))["status"] == "error"


async def test_edits_are_refused_while_a_one_shot_generation_runs(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults(
        {"kind": "401", "times": 1, "match": marker(1)},
        {"kind": "stall", "times": 100, "match": marker(1)},
    )
    task = (await http.post(ASYNC, json={"content": "", "slides_markdown": markdown(2)})).json()
    pid = task["data"]["presentation_id"]
    await wait_for(lambda: fake_llm.waiting_on(marker(1)), bool, "slide 1 to stall")
    outline = {"slides": [{"content": "# Mine"}]}
    assert (await http.put(f"{API}/outlines/{pid}", json=outline)).status_code == 409
    prepare = await http.post(
        f"{API}/presentation/prepare",
        json={"presentation_id": pid, "outlines": outline["slides"]},
    )
    assert prepare.status_code == 409
    await http.post(f"{API}/presentation/cancel/{pid}")


async def test_a_stream_opened_before_the_outline_exists_gets_every_slide_and_no_reset(
    http: httpx.AsyncClient,
) -> None:
    task = (await http.post(ASYNC, json={"content": "Wetlands", "n_slides": 4})).json()
    frames = await read_all(http, deck_url(task["data"]["presentation_id"]))
    assert frames[-1].type == "complete"
    assert "reset" not in [f.type for f in frames]
    assert [s["index"] for s in slide_frames(frames)] == [0, 1, 2, 3]


async def test_the_requested_title_is_kept_and_names_the_export(
    http: httpx.AsyncClient,
) -> None:
    body = {"content": "", "slides_markdown": markdown(2), "title": "Rivers of Europe"}
    task = (await http.post(ASYNC, json=body)).json()
    done = await finished(http, task["id"])
    deck = await get_presentation(http, task["data"]["presentation_id"])
    assert deck["title"] == "Rivers of Europe"
    assert Path(done["data"]["path"]).name.startswith("rivers-of-europe")


async def test_deleting_a_deck_deletes_its_export(http: httpx.AsyncClient) -> None:
    task = (await http.post(ASYNC, json={"content": "", "slides_markdown": markdown(2)})).json()
    path = Path((await finished(http, task["id"]))["data"]["path"])
    assert path.exists()
    pid = task["data"]["presentation_id"]
    assert (await http.delete(f"{API}/presentation/{pid}")).status_code == 204
    assert not path.exists()
    assert (await http.get(f"{API}/presentation/status/{task['id']}")).status_code == 404
