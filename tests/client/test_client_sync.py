"""`Client` against a real slidestream server on loopback, with the simulated LLM."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from slidestream.client import (
    APIError,
    Client,
    Complete,
    ExportResult,
    OutlineDelta,
    Slide,
    Status,
    TaskFailed,
    WaitTimeout,
)
from tests.client.conftest import ClientFactory, RequestLog
from tests.client.support import assert_every_slide_once_in_order, outline_texts, slide_events
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.servers import ThreadedServer


def test_the_seed_flow_create_outline_prepare_deck(client: Client) -> None:
    created = client.create("Solar energy in 2025", n_slides=4, tone="professional")
    pid = created["id"]
    assert created["n_slides"] == 4 and created["tone"] == "professional"

    outline_events = list(client.stream_outline(pid))
    assert isinstance(outline_events[0], Status)
    deltas = [e for e in outline_events if isinstance(e, OutlineDelta)]
    assert deltas and not any(d.restart for d in deltas)
    text = "".join(d.text for d in deltas)
    assert len(json.loads(text)["slides"]) == 4
    sizes = [len(d.outline) for d in deltas]
    assert sizes == sorted(sizes) and sizes[-1] == 4  # the partial outline only grows
    complete = outline_events[-1]
    assert isinstance(complete, Complete)
    assert complete.presentation["id"] == pid and len(complete.outline) == 4

    prepared = client.prepare(pid)  # the stored outline, the "general" template group
    assert prepared["outlines"]["slides"] == [{"content": t} for t in complete.outline]
    assert prepared["layout"]["name"] == "general"

    deck_events = list(client.stream_deck(pid))
    done = assert_every_slide_once_in_order(deck_events, 4)
    slides = slide_events(deck_events)
    assert [len(s.deck) for s in slides] == [1, 2, 3, 4]  # the deck so far, at each step
    assert all(s.slide["presentation"] == pid for s in slides)
    assert done.presentation["id"] == pid
    assert client.get(pid)["slides"] == done.presentation["slides"]


def test_an_edited_outline_is_what_prepare_uses(client: Client) -> None:
    pid = client.create("Heat pumps", n_slides=3)["id"]
    list(client.stream_outline(pid))
    texts = outline_texts(2)
    updated = client.update_outline(pid, texts)
    assert updated["n_slides"] == 2
    prepared = client.prepare(pid, layout="general", title="Edited")
    assert [s["content"] for s in prepared["outlines"]["slides"]] == texts
    assert prepared["title"] == "Edited"
    events = list(client.stream_deck(pid))
    assert_every_slide_once_in_order(events, 2)


def test_generate_in_one_request(client: Client) -> None:
    result = client.generate("", slides_markdown=outline_texts(3), export_as="pdf")
    assert result.path.endswith(".pdf")
    assert result.edit_path == f"/presentation?id={result.presentation_id}"
    assert len(client.get(result.presentation_id)["slides"]) == 3


def test_generate_async_then_wait(client: Client) -> None:
    task = client.generate_async("Wind power", n_slides=3)
    assert task.id.startswith("task-") and task.status == "pending"
    assert task.presentation_id is not None
    done = client.wait(task.id, poll_interval=0.05)
    assert done.status == "completed" and done.path and done.path.endswith(".pptx")
    assert client.status(task.id).status == "completed"
    assert len(client.get(task.presentation_id)["slides"]) == 3


def test_a_failed_task_raises_with_the_servers_detail(
    client: Client, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "500", "times": 1000, "match": marker(0)})
    task = client.generate_async("", slides_markdown=outline_texts(2))
    with pytest.raises(TaskFailed) as raised:
        client.wait(task.id, poll_interval=0.05)
    assert "500" in str(raised.value.detail)
    assert raised.value.task.status == "error"


def test_wait_gives_up_at_its_timeout(client: Client, fake_llm: FakeLLMHandle) -> None:
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": marker(0)})
    task = client.generate_async("", slides_markdown=outline_texts(1))
    with pytest.raises(WaitTimeout) as raised:
        client.wait(task.id, poll_interval=0.05, timeout=0.2)
    assert raised.value.task is not None and raised.value.task.status == "pending"


def test_export_and_download(client: Client, tmp_path: Path) -> None:
    pid = client.create("", n_slides=2)["id"]
    client.prepare(pid, outlines=outline_texts(2))
    list(client.stream_deck(pid))
    exported = client.export(pid, "pptx")
    assert isinstance(exported, ExportResult) and exported.download_url
    saved = client.download(exported, tmp_path / "deck.pptx")
    assert saved.read_bytes()[:2] == b"PK"  # a zip: the PPTX container
    pdf = client.download(
        f"/api/v1/ppt/presentation/download/{pid}?format=pdf", tmp_path / "deck.pdf"
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_failed_download_raises_and_leaves_no_file(client: Client, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(APIError) as raised:
        client.download("/app_data/images/nothing-here.png", out / "missing.png")
    assert raised.value.status_code == 404
    assert list(out.iterdir()) == []


def test_list_get_delete(client: Client) -> None:
    pid = client.create("", n_slides=1)["id"]
    client.prepare(pid, outlines=outline_texts(1))
    list(client.stream_deck(pid))
    assert pid in [item["id"] for item in client.list()]
    client.delete(pid)
    with pytest.raises(APIError) as raised:
        client.get(pid)
    assert raised.value.status_code == 404
    assert raised.value.detail == "Presentation not found"


def test_upload_then_create_from_the_document(client: Client, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Tidal power\n\nTides move 10 TW of energy around the planet.\n")
    paths = client.upload([notes, ("more.txt", b"Barrages and lagoons.\n")])
    assert [Path(p).name for p in paths] == ["notes.md", "more.txt"]
    created = client.create("Tidal power", n_slides=2, file_paths=paths)
    assert created["file_paths"] == paths


def test_errors_before_streaming_are_exceptions_with_detail(client: Client) -> None:
    with pytest.raises(APIError) as bad_create:
        client.create("x", n_slides=2, include_table_of_contents=True)
    assert bad_create.value.status_code == 400
    assert "table of contents" in bad_create.value.detail

    pid = client.create("x", n_slides=2)["id"]
    with pytest.raises(APIError) as unprepared:
        list(client.stream_deck(pid))
    assert unprepared.value.status_code == 400
    assert unprepared.value.detail == "Presentation not prepared for stream"

    with pytest.raises(APIError) as unknown:
        client.status("task-nope")
    assert unknown.value.status_code == 404
    assert unknown.value.detail == "No presentation generation task found"

    with pytest.raises(APIError) as invalid:
        client.get("not-a-uuid")
    assert invalid.value.status_code == 422 and isinstance(invalid.value.detail, list)


def test_an_unreachable_server_is_a_network_error(make_client: ClientFactory) -> None:
    from slidestream.client import NetworkError
    from tests.support.servers import free_port

    client = make_client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NetworkError):
        client.create("x")


def test_api_key_and_an_injected_http_client(
    server: ThreadedServer, make_client: ClientFactory
) -> None:
    seen: list[httpx.Request] = []
    log = RequestLog()
    http = httpx.Client(event_hooks={"request": [seen.append, log]})
    try:
        client = make_client(server.url, api_key="s3cret", http_client=http)
        pid = client.create("x", n_slides=1)["id"]
        client.prepare(pid, outlines=outline_texts(1))
        events = list(client.stream_deck(pid))
        assert isinstance(events[-1], Complete) and isinstance(events[0], Slide)
        client.close()  # an injected client stays open: the caller owns it
        assert not http.is_closed
    finally:
        http.close()
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)
    assert log.lines[-1] == f"GET /api/v1/ppt/presentation/stream/{pid}"
    assert seen[-1].headers["accept"] == "text/event-stream"


def test_the_seed_flow_against_strict_presenton_mode(
    strict_server: ThreadedServer, make_client: ClientFactory
) -> None:
    client = make_client(strict_server.url)
    pid = client.create("Geothermal heat", n_slides=3)["id"]
    outline = list(client.stream_outline(pid))
    assert isinstance(outline[-1], Complete) and len(outline[-1].outline) == 3
    client.prepare(pid)
    # Presenton's comma-less chunks, no ids: parsed slide by slide all the same.
    assert_every_slide_once_in_order(list(client.stream_deck(pid)), 3)
