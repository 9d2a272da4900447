"""The client against a plain Presenton server (era A, reference §1-2), played by an
httpx MockTransport: Presenton's exact bytes, its missing routes, its regenerating
reconnects. Everything slidestream adds is absent here."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, SupportsIndex

import httpx
import pytest

from slidestream.client import (
    Client,
    Complete,
    NetworkError,
    OutlineDelta,
    RetryPolicy,
    Slide,
    StreamEvent,
    StreamInterrupted,
)

BASE = "http://presenton.test"
PID = "b315e6a0-1111-4000-8000-000000000001"
LAYOUT = {
    "name": "general",
    "ordered": False,
    "slides": [{"id": "general:intro", "name": "Intro", "json_schema": {"type": "object"}}],
}
OUTLINE = {"slides": [{"content": "# One\n\n- a"}, {"content": "# Two\n\n- b"}]}
RETRY = RetryPolicy(max_retries=2, backoff_initial=0.0, backoff_max=0.0)
Handler = Callable[[httpx.Request], httpx.Response]


def sse(*envelopes: dict[str, Any]) -> bytes:
    """Presenton's framing: no ids, no retry, no comments."""
    return "".join(f"event: response\ndata: {json.dumps(e)}\n\n" for e in envelopes).encode()


def event_stream(body: bytes | Iterator[bytes]) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream; charset=utf-8"}, content=body
    )


def slide(index: int, run: str) -> dict[str, Any]:
    return {
        "presentation": PID,
        "layout_group": "general",
        "layout": "general:intro",
        "index": index,
        "content": {"title": f"Slide {index} ({run})", "__speaker_note__": "note"},
        "speaker_note": "note",
        "id": f"{run}-{index}",
    }


def deck_frames(run: str, n: int, *, finish: bool = True) -> list[dict[str, Any]]:
    # One chunk per slide, no commas between them: `{ "slides": [ {…}{…} ] }`.
    frames = [{"type": "chunk", "chunk": '{ "slides": [ '}]
    frames += [
        {"type": "chunk", "chunk": json.dumps(slide(i, run), separators=(",", ":"))}
        for i in range(n)
    ]
    if finish:
        presentation = {"id": PID, "slides": [slide(i, run) for i in range(n)]}
        frames += [
            {"type": "chunk", "chunk": " ] }"},
            {"type": "complete", "presentation": presentation},
        ]
    return frames


class Presenton:
    """Just enough of Presenton's v1 routes, recording what was asked."""

    def __init__(self, deck_streams: list[list[dict[str, Any]]]) -> None:
        self.requests: list[str] = []
        self.prepared: dict[str, Any] | None = None
        self._deck_streams = deck_streams

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{request.method} {path}")
        if path == f"/api/v1/ppt/outlines/stream/{PID}":
            text = json.dumps(OUTLINE)
            pieces = [text[i : i + 7] for i in range(0, len(text), 7)]  # token-sized deltas
            return event_stream(
                sse(
                    {"type": "status", "status": "Generating presentation outlines..."},
                    *({"type": "chunk", "chunk": piece} for piece in pieces),
                    {"type": "complete", "presentation": {"id": PID, "outlines": OUTLINE}},
                )
            )
        if path == "/api/template" and request.url.params.get("group") == "general":
            return httpx.Response(200, json=LAYOUT)  # Next.js, behind the same nginx
        if path == "/api/v1/ppt/presentation/prepare":
            self.prepared = json.loads(request.content)
            return httpx.Response(200, json={"id": PID, "structure": {"slides": [0, 0]}})
        if path == f"/api/v1/ppt/presentation/stream/{PID}":
            return event_stream(sse(*self._deck_streams.pop(0)))
        if path == f"/api/v1/ppt/presentation/{PID}":
            # Era A stores nothing until a stream finishes, and says nothing about progress.
            return httpx.Response(200, json={"id": PID, "slides": []})
        # Routes era A does not have (GET /outlines/{id}, /layouts/{name}).
        return httpx.Response(404, json={"detail": "Not Found"})


@pytest.fixture
def presenton_client() -> Iterator[Callable[[Handler], Client]]:
    clients: list[Client] = []

    def make(handler: Handler) -> Client:
        client = Client(BASE, transport=httpx.MockTransport(handler), retry=RETRY)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_the_seed_flow_against_presenton(presenton_client: Callable[[Handler], Client]) -> None:
    server = Presenton([deck_frames("a", 2)])
    client = presenton_client(server)
    outline_events = list(client.stream_outline(PID))
    deltas = [e for e in outline_events if isinstance(e, OutlineDelta)]
    assert json.loads("".join(d.text for d in deltas)) == OUTLINE
    finals = [item["content"] for item in OUTLINE["slides"]]
    unfinished = [d.outline for d in deltas if d.outline and d.outline[-1] not in finals]
    assert unfinished  # texts shown while still being written, as prefixes of the final
    assert all(finals[len(o) - 1].startswith(o[-1]) for o in unfinished)

    # No GET /outlines/{id} and no /layouts/{name} in era A: the streamed outline and
    # Next.js's template route stand in for them.
    client.prepare(PID)
    assert server.prepared == {
        "presentation_id": PID,
        "outlines": OUTLINE["slides"],
        "layout": LAYOUT,
    }
    deck_events = list(client.stream_deck(PID))
    slides = [e for e in deck_events if isinstance(e, Slide)]
    assert [(s.index, s.slide["id"]) for s in slides] == [(0, "a-0"), (1, "a-1")]
    assert [len(s.deck) for s in slides] == [1, 2]  # comma-less text, parsed slide by slide
    assert isinstance(deck_events[-1], Complete)


def test_a_presenton_reconnect_regenerates_so_slides_come_again_as_revisions(
    presenton_client: Callable[[Handler], Client],
) -> None:
    # The first stream dies after two slides (Presenton discards that run); the reopened
    # stream is a new generation with new slide ids.
    server = Presenton([deck_frames("a", 2, finish=False), deck_frames("b", 3)])
    client = presenton_client(server)
    events: list[StreamEvent] = list(client.stream_deck(PID))
    slides = [(e.index, e.slide["id"], e.revised) for e in events if isinstance(e, Slide)]
    assert slides == [
        (0, "a-0", False),
        (1, "a-1", False),
        (0, "b-0", True),
        (1, "b-1", True),
        (2, "b-2", False),
    ]
    complete = events[-1]
    assert isinstance(complete, Complete)
    assert [s["id"] for s in complete.deck] == ["b-0", "b-1", "b-2"]
    stream = f"GET /api/v1/ppt/presentation/stream/{PID}"
    assert server.requests == [stream, f"GET /api/v1/ppt/presentation/{PID}", stream]


def test_a_presenton_stream_that_always_breaks_at_the_same_slide_is_given_up(
    presenton_client: Callable[[Handler], Client],
) -> None:
    # Every reconnect generates the deck again and breaks after the same two slides: the
    # revisions it hands out are not progress, so the client stops instead of paying for
    # generation after generation.
    runs = itertools.count()

    class EndlessRuns(list[list[dict[str, Any]]]):
        def pop(self, index: SupportsIndex = -1) -> list[dict[str, Any]]:
            run = next(runs)
            assert run < 20, "the client reconnects for ever"
            return deck_frames(f"run{run}", 2, finish=False)

    server = Presenton(EndlessRuns())
    client = presenton_client(server)
    revised: list[bool] = []
    with pytest.raises(StreamInterrupted) as raised:
        for event in client.stream_deck(PID):
            assert isinstance(event, Slide)
            revised.append(event.revised)
    assert raised.value.attempts == RETRY.max_retries + 1
    assert revised == [False, False] + [True, True] * RETRY.max_retries
    streams = [line for line in server.requests if "/stream/" in line]
    assert len(streams) == RETRY.max_retries + 1


def test_a_download_cut_mid_body_leaves_no_file(
    presenton_client: Callable[[Handler], Client], tmp_path: Path
) -> None:
    def body() -> Iterator[bytes]:
        yield b"PK\x03\x04" + b"x" * 1000
        raise httpx.ReadError("connection reset")

    client = presenton_client(lambda request: httpx.Response(200, content=body()))
    with pytest.raises(NetworkError):
        client.download("/app_data/exports/deck.pptx", tmp_path / "deck.pptx")
    assert list(tmp_path.iterdir()) == []


def test_the_api_key_goes_only_to_the_configured_server(tmp_path: Path) -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        return httpx.Response(200, content=b"data")

    with Client(BASE, api_key="k", transport=httpx.MockTransport(handler)) as client:
        client.download("/app_data/exports/a.pptx", tmp_path / "a.pptx")
        client.download("https://cdn.example.com/a.pptx", tmp_path / "b.pptx")
    assert seen == {"presenton.test": "Bearer k", "cdn.example.com": None}
    assert (tmp_path / "b.pptx").read_bytes() == b"data"
