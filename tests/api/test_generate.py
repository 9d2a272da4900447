"""One-shot generation: `generate`, `generate/async` + `status`, their defaults, content
features and bad input, against the simulated LLM over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pptx import Presentation

from tests.support.apps import in_process
from tests.support.fake_llm import SLIDE_SYSTEM_PROMPT_START, FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, marker
from tests.support.sse import read_all, slide_frames
from tests.support.waiting import wait_for

GENERATE = f"{API}/presentation/generate"
ASYNC = f"{API}/presentation/generate/async"


def status_url(task_id: str) -> str:
    return f"{API}/presentation/status/{task_id}"


async def finished(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        response = await http.get(status_url(task_id))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    return await wait_for(probe, lambda t: t["status"] != "pending", "the task to finish")


def markdown_slides(n: int) -> list[str]:
    return [f"# Section {i + 1} {marker(i)}\n- A point about wind power" for i in range(n)]


async def test_generate_waits_and_returns_the_exported_deck(client: httpx.AsyncClient) -> None:
    response = await client.post(GENERATE, json={"content": "Wind power in 2030", "n_slides": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"presentation_id", "path", "edit_path"}
    assert body["edit_path"] == f"/presentation?id={body['presentation_id']}"
    assert body["path"].endswith(".pptx")
    exported = Presentation(body["path"])  # the default export: an editable PPTX
    assert len(exported.slides) == 4
    stored = await get_presentation(client, body["presentation_id"])
    assert exported.core_properties.title == stored["title"]
    assert stored["generation"]["deck_status"] == "completed"
    assert stored["generation_mode"] == "llm"


async def test_two_decks_with_the_same_title_do_not_share_an_export_file(
    client: httpx.AsyncClient,
) -> None:
    body = {"content": "Same", "slides_markdown": ["# Same title\n- one", "# Two\n- two"]}
    first = (await client.post(GENERATE, json=body)).json()
    second = (await client.post(GENERATE, json=body)).json()
    assert first["path"] != second["path"]
    assert Path(first["path"]).exists() and Path(second["path"]).exists()


async def test_async_task_reports_progress_then_completion(client: httpx.AsyncClient) -> None:
    response = await client.post(ASYNC, json={"content": "Tidal energy", "n_slides": 5})
    assert response.status_code == 200, response.text
    task = response.json()
    assert task["id"].startswith("task-") and len(task["id"]) == 5 + 64
    assert task["type"] == "presentation.generate"
    assert task["status"] == "pending"
    assert task["error"] is None
    # presentation_id and the counters are there from the start.
    assert task["data"]["presentation_id"]
    assert task["data"]["created_slides"] + task["data"]["remaining_slides"] == 5
    done = await finished(client, task["id"])
    assert done["status"] == "completed", done
    assert done["message"] == "Presentation generation completed"
    assert done["data"]["created_slides"] == 5 and done["data"]["remaining_slides"] == 0
    assert done["data"]["presentation_id"] == task["data"]["presentation_id"]
    assert Path(done["data"]["path"]).exists()
    assert done["data"]["edit_path"].endswith(task["data"]["presentation_id"])


async def test_a_deck_started_with_generate_async_can_be_streamed(
    http: httpx.AsyncClient,
) -> None:
    task = (await http.post(ASYNC, json={"content": "Geothermal", "n_slides": 4})).json()
    pid = task["data"]["presentation_id"]
    frames = await read_all(http, deck_url(pid))
    assert frames[-1].type == "complete", frames[-1]
    assert [s["index"] for s in slide_frames(frames)] == [0, 1, 2, 3]
    assert (await finished(http, task["id"]))["status"] == "completed"


async def test_slides_markdown_makes_one_slide_per_text_without_an_outline_call(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    body = {"content": "", "slides_markdown": markdown_slides(3), "n_slides": 9}
    result = (await client.post(GENERATE, json=body)).json()
    deck = await get_presentation(client, result["presentation_id"])
    assert len(deck["slides"]) == 3
    for i in range(3):
        assert len(fake_llm.calls_mentioning(marker(i))) == 1
    outline_calls = [c for c in fake_llm.calls() if "Number of slides" in c["user"]]
    assert outline_calls == []


async def test_title_slide_toc_language_tone_and_instructions_reach_the_model(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    body = {
        "content": "Hydrogen trucks",
        "n_slides": 6,
        "language": "Deutsch",
        "tone": "professional",
        "verbosity": "concise",
        "instructions": "Mention the INSTRUCTIONMARK",
        "include_title_slide": False,
        "include_table_of_contents": True,
    }
    result = (await client.post(GENERATE, json=body)).json()
    calls = fake_llm.calls()
    outline = next(c for c in calls if "Number of slides" in c["user"])
    assert "Do not write a title slide" in outline["system"]
    assert "Deutsch" in outline["user"]
    assert "professional" in outline["system"]
    assert "INSTRUCTIONMARK" in outline["system"]
    slide_calls = [c for c in calls if c["system"].startswith(SLIDE_SYSTEM_PROMPT_START)]
    assert slide_calls and all("Deutsch" in c["user"] for c in slide_calls)
    deck = await get_presentation(client, result["presentation_id"])
    assert len(deck["slides"]) == 6
    toc = [s for s in deck["slides"] if s["layout"] == "general:agenda"]
    assert toc and toc[0]["index"] == 0  # no title slide: the contents come first


@pytest.mark.parametrize("endpoint", [GENERATE, ASYNC])
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"content": "x", "n_slides": 0}, "Number of slides must be greater than 0"),
        ({"content": "x", "n_slides": 51}, "Number of slides cannot be greater than 50"),
        ({"content": "x", "template": "no-such-template"}, "Template not found"),
        ({"content": "  "}, "Either content or slides markdown or files is required"),
        ({"content": "x", "files": ["/etc/passwd"]}, "/etc/passwd"),
        ({"content": "x", "files": ["../../etc/passwd"]}, "passwd"),
        ({"content": "x", "slides_markdown": ["# ok", "  "]}, "empty slide"),
        (
            {"content": "x", "n_slides": 2, "include_table_of_contents": True},
            "less than 3 if table of contents",
        ),
    ],
)
async def test_bad_input_is_a_400_with_detail_from_both_endpoints(
    client: httpx.AsyncClient, endpoint: str, body: dict[str, Any], detail: str
) -> None:
    response = await client.post(endpoint, json=body)
    assert response.status_code == 400, response.text
    assert detail in response.json()["detail"]
    listed = (await client.get(f"{API}/presentation/all")).json()
    assert listed == []  # nothing was generated


@pytest.mark.parametrize(
    "body",
    [{"n_slides": 3}, {"content": "x", "export_as": "docx"}, {"content": "x", "tone": "angry"}],
)
async def test_malformed_bodies_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(GENERATE, json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_generate_documents_its_failure_answers(client: httpx.AsyncClient) -> None:
    # Found by tests/api/test_fuzz.py: a failed generation is a 502 (and a wait past
    # SLIDESTREAM_GENERATE_WAIT_SECONDS a 504), neither of them declared.
    schema = (await client.get("/openapi.json")).json()
    responses = schema["paths"][GENERATE]["post"]["responses"]
    assert {"400", "502", "504"} <= set(responses)


async def test_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    for task_id in ("task-" + "0" * 64, "nope", "x" * 150):
        response = await client.get(status_url(task_id))
        assert response.status_code == 404, task_id
        assert response.json()["detail"] == "No presentation generation task found"


async def test_a_provider_outage_mid_deck_ends_the_task_with_a_readable_error(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "500", "times": 1000, "match": marker(2)})
    body = {"content": "", "slides_markdown": markdown_slides(4)}
    task = (await client.post(ASYNC, json=body)).json()
    done = await finished(client, task["id"])
    assert done["status"] == "error"
    assert done["message"] == "Presentation generation failed"
    assert done["error"]["detail"] and "500" in done["error"]["detail"]
    deck = await get_presentation(client, task["data"]["presentation_id"])
    kept = {s["index"] for s in deck["slides"]}
    assert 2 not in kept and kept  # the slides made before the outage stay readable
    assert deck["generation"]["deck_status"] == "failed"


async def test_sync_generate_turns_a_failure_into_a_502_with_detail(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "500", "times": 1000, "match": marker(0)})
    response = await client.post(
        GENERATE, json={"content": "", "slides_markdown": markdown_slides(2)}
    )
    assert response.status_code == 502
    assert "500" in response.json()["detail"]


async def test_cancelling_an_async_generation_reports_an_error(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": marker(1)})
    task = (
        await client.post(ASYNC, json={"content": "", "slides_markdown": markdown_slides(3)})
    ).json()
    pid = task["data"]["presentation_id"]
    await wait_for(lambda: fake_llm.waiting_on(marker(1)), bool, "slide 1 to stall at the LLM")
    response = await client.post(f"{API}/presentation/cancel/{pid}")
    assert response.status_code == 200, response.text
    done = await finished(client, task["id"])
    assert done["status"] == "error"
    assert "cancelled" in done["error"]["detail"]


async def test_sync_generate_past_its_ceiling_is_a_504_naming_the_task(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:

    from slidestream.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", fake_llm.api_url, generate_wait_seconds=0.2)
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": marker(0)})
    app = create_app(settings)
    async with in_process(app) as http:
        response = await http.post(
            GENERATE, json={"content": "", "slides_markdown": markdown_slides(1)}
        )
        assert response.status_code == 504
        detail = response.json()["detail"]
        task_id = detail.split("(task ")[1].split(")")[0]
        status = (await http.get(status_url(task_id))).json()
        assert status["status"] == "pending"  # the generation goes on


async def test_the_outline_of_an_async_generation_can_be_streamed(
    http: httpx.AsyncClient,
) -> None:
    task = (await http.post(ASYNC, json={"content": "Peat bogs", "n_slides": 3})).json()
    pid = task["data"]["presentation_id"]
    frames = await read_all(http, f"{API}/outlines/stream/{pid}")
    assert frames[-1].type == "complete", frames[-1]
    assert len(frames[-1].data["presentation"]["outlines"]["slides"]) == 3
    assert (await finished(http, task["id"]))["status"] == "completed"
