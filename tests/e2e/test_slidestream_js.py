"""The browser helper `/web/slidestream.js` in headless Chromium against a real server:
partial JSON parsing, outline and deck streams, terminal frames, HTTP and server errors,
reset frames. Network loss, resets after a reconnect and strict Presenton mode:
test_slidestream_js_network.py; recovering without ids from the stored presentation:
test_slidestream_js_strict.py.

Playwright's sync API drives the page, so these tests are sync and talk to the server with
plain httpx calls; every wait is a condition with a deadline, never a sleep.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from playwright.sync_api import Page

from slidestream.app import create_app
from slidestream.llm.fake import FakeLLMConfig, create_fake_llm_app
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marked_outlines, marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser

MODULE_PATH = "/web/slidestream.js"
WAIT_MS = 60_000
EVENT_TYPES = (
    "status",
    "outline",
    "slide",
    "slides",
    "complete",
    "error",
    "ended",
    "reset",
    "connection",
    "frame",
)

# Loaded into the page once per test: the module as `window.ss`, an EventSource subclass
# that remembers every instance the helper opens, and `watch(stream)`, which records each
# event (with the helper's state and the EventSources' readyStates at that moment) into
# `window.events` and the settled `done` into `window.result`.
HARNESS = """
async ({ moduleUrl, eventTypes }) => {
  window.ss = await import(moduleUrl);
  window.events = [];
  window.sources = [];
  window.SpyEventSource = class extends EventSource {
    constructor(url, init) {
      super(url, init);
      window.sources.push({ url: String(url), es: this });
    }
  };
  window.watch = (stream) => {
    for (const type of eventTypes) {
      stream.addEventListener(type, (event) => {
        window.events.push(JSON.parse(JSON.stringify({
          type,
          detail: event.detail,
          state: stream.state,
          lastEventId: stream.lastEventId,
          readyStates: window.sources.map((source) => source.es.readyState),
        })));
      });
    }
    stream.done.then((result) => { window.result = JSON.parse(JSON.stringify(result)); });
    window.stream = stream;
    return true;
  };
  return true;
}
"""


# --- server-side steps, sync ---------------------------------------------------------------


def create_presentation(base: str, n: int) -> str:
    body = {"content": "Solar energy in 2025", "n_slides": n, "language": "English"}
    response = httpx.post(f"{base}{API}/presentation/create", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def prepared_deck(base: str, n: int) -> str:
    """A presentation ready to stream, with marked outlines (no outline LLM call)."""
    pid = create_presentation(base, n)
    response = httpx.post(
        f"{base}{API}/presentation/prepare",
        json={"presentation_id": pid, "outlines": marked_outlines(n)},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return pid


def read_frames(base: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, data) of every frame of a stream, read to its end without the browser."""
    with (
        httpx.Client(base_url=base, timeout=60) as client,
        connect_sse(client, "GET", path) as source,
    ):
        source.response.raise_for_status()
        return [(event.id, json.loads(event.data)) for event in source.iter_sse() if event.data]


def chunk_text(frames: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(data["chunk"] for _, data in frames if data["type"] == "chunk")


def streamed_slides(frames: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The slide objects of a deck stream's chunks, each parsed on its own."""
    chunks = (data["chunk"].lstrip(", ") for _, data in frames if data["type"] == "chunk")
    return [json.loads(chunk) for chunk in chunks if chunk.startswith('{"presentation"')]


@contextmanager
def app_server(tmp_path: Path, llm_url: str, **overrides: object) -> Iterator[ThreadedServer]:
    """The app on loopback with settings of the test's own (sse_retry_ms, timeouts, ...)."""
    settings = make_settings(tmp_path / "data", llm_url, **overrides)
    server = ThreadedServer(create_app(settings)).start()
    try:
        yield server
    finally:
        server.stop()


# --- the page ------------------------------------------------------------------------------


def open_helper(page: Page, origin: str) -> None:
    """A page on `origin` (so streams are same-origin) with the module loaded."""
    page.goto(origin + "/health")
    page.evaluate(HARNESS, {"moduleUrl": origin + MODULE_PATH, "eventTypes": list(EVENT_TYPES)})


def start(page: Page, factory: str, pid: str, options: str = "{}") -> None:
    """`watch(ss.<factory>(pid, {EventSourceImpl: SpyEventSource, ...options}))`."""
    page.evaluate(
        f"pid => watch(ss.{factory}(pid, {{ EventSourceImpl: SpyEventSource, ...{options} }}))",
        pid,
    )


def wait_for_result(page: Page) -> dict[str, Any]:
    page.wait_for_function("() => window.result !== undefined", timeout=WAIT_MS)
    result: dict[str, Any] = page.evaluate("() => window.result")
    return result


def wait_for_slides(page: Page, count: int) -> None:
    page.wait_for_function(
        "n => window.events.filter(e => e.type === 'slide').length >= n", arg=count, timeout=WAIT_MS
    )


def recorded(page: Page, *types: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate("() => window.events")
    return [event for event in events if not types or event["type"] in types]


def slide_indices(page: Page) -> list[int]:
    return [event["detail"]["index"] for event in recorded(page, "slide")]


def assert_finished_and_closed(events: list[dict[str, Any]], terminal: str) -> None:
    """Exactly one terminal event, the last but the closing "connection" one, dispatched
    when every EventSource the helper opened was already CLOSED (no reconnect possible)."""
    kinds = [event["type"] for event in events if event["type"] != "frame"]
    assert kinds.count("complete") + kinds.count("error") + kinds.count("ended") == 1
    assert kinds[-2:] == [terminal, "connection"]
    assert events[-1]["detail"]["state"] == "closed"
    final = next(event for event in events if event["type"] == terminal)
    assert final["state"] == "closed"
    assert final["readyStates"] and all(state == 2 for state in final["readyStates"])


# --- parsePartialJSON --------------------------------------------------------------------

# Runs in the page: parse every prefix of each document; report the first prefix whose
# result threw or failed to extend the previous result, and the parse of the whole text.
EVERY_PREFIX = """
async ({ moduleUrl, documents }) => {
  const { parsePartialJSON } = await import(moduleUrl);
  const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
  const extends_ = (before, after, path) => {
    if (after === undefined) return `${path} vanished`;
    if (typeof before === "string") {
      return typeof after === "string" && after.startsWith(before) ? null : `${path} rewritten`;
    }
    if (Array.isArray(before)) {
      if (!Array.isArray(after) || after.length < before.length) return `${path} shrank`;
      for (let i = 0; i < before.length; i++) {
        const problem = extends_(before[i], after[i], `${path}[${i}]`);
        if (problem) return problem;
      }
      return null;
    }
    if (isObject(before)) {
      if (!isObject(after)) return `${path} changed type`;
      for (const key of Object.keys(before)) {
        if (!Object.hasOwn(after, key)) return `${path}.${key} vanished`;
        const problem = extends_(before[key], after[key], `${path}.${key}`);
        if (problem) return problem;
      }
      return null;
    }
    return Object.is(before, after) ? null : `${path} changed from ${before} to ${after}`;
  };
  const report = {};
  for (const [name, text] of Object.entries(documents)) {
    let previous;
    let problem = null;
    let defined = 0;
    for (let i = 0; i <= text.length && !problem; i++) {
      let value;
      try {
        value = parsePartialJSON(text.slice(0, i));
      } catch (error) {
        problem = `threw on prefix ${i}: ${error}`;
        break;
      }
      if (previous !== undefined) {
        const why = extends_(previous, value, "$");
        const near = JSON.stringify(text.slice(Math.max(0, i - 20), i));
        if (why) problem = `prefix ${i} (${near}): ${why}`;
      }
      if (value !== undefined) {
        previous = value;
        defined += 1;
      }
    }
    report[name] = { problem, defined, length: text.length, whole: parsePartialJSON(text) };
  }
  return report;
}
"""


def test_parse_partial_json_only_grows_over_every_prefix_of_real_documents(
    page: Page, server: ThreadedServer, tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    outline_pid = create_presentation(server.url, 3)
    outline_text = chunk_text(read_frames(server.url, f"{API}/outlines/stream/{outline_pid}"))
    deck_pid = prepared_deck(server.url, 3)
    deck_frames = read_frames(server.url, f"{API}/presentation/stream/{deck_pid}")
    deck_text = chunk_text(deck_frames)
    # Presenton's own deck text (slidestream's strict mode): no commas between slides.
    with app_server(tmp_path / "strict", fake_llm.api_url, presenton_strict=True) as strict:
        pid = prepared_deck(strict.url, 3)
        bare_frames = read_frames(strict.url, f"{API}/presentation/stream/{pid}")
    bare_text = chunk_text(bare_frames)
    assert "}{" in bare_text.replace(" ", ""), "the strict deck text should have no commas"

    page.goto(server.url + "/health")
    report = page.evaluate(
        EVERY_PREFIX,
        {
            "moduleUrl": server.url + MODULE_PATH,
            "documents": {"outline": outline_text, "deck": deck_text, "bare": bare_text},
        },
    )
    for name, result in report.items():
        assert result["problem"] is None, f"{name}: {result['problem']}"
        # Something usable appears early and then at (nearly) every prefix.
        assert result["defined"] > result["length"] - 40, name
    assert report["outline"]["whole"] == json.loads(outline_text)
    assert len(report["outline"]["whole"]["slides"]) == 3
    assert report["deck"]["whole"] == json.loads(deck_text)
    assert report["bare"]["whole"] == {"slides": streamed_slides(bare_frames)}
    assert [s["index"] for s in report["bare"]["whole"]["slides"]] == [0, 1, 2]


PARSE_CASES: list[tuple[str, Any]] = [
    ("", None),
    ("   ", None),
    ("{", {}),
    ('{"slid', {}),
    ('{"slides"', {}),
    ('{"slides":', {}),
    ('{"slides": [', {"slides": []}),
    ('{"slides": [{"content": "# Intro\\n- a', {"slides": [{"content": "# Intro\n- a"}]}),
    ('{"slides": [{"content": "x"},', {"slides": [{"content": "x"}]}),
    ('{"a": tr', {}),
    ('{"a": true', {"a": True}),
    ('{"a": nul', {}),
    ('{"a": 12', {}),
    ('{"a": 12,', {"a": 12}),
    ('{"a": -1.5e3}', {"a": -1500}),
    ('{"a": "caf\\', {"a": "caf"}),
    ('{"a": "caf\\u00', {"a": "caf"}),
    ('{"a": "caf\\u00e9', {"a": "café"}),
    ('{ "slides": [ {"i": 0}{"i": 1}{"i": 2', {"slides": [{"i": 0}, {"i": 1}, {}]}),
    ('Sure! Here:\n```json\n{"slides": [{"content": "A"}]}\n```', {"slides": [{"content": "A"}]}),
    ('{"a": 1, oops "b": 2}', {"a": 1}),
    ('"half a string', "half a string"),
    ("[1, 2", [1]),
    ("12", None),
]


def test_parse_partial_json_edge_cases(page: Page, server: ThreadedServer) -> None:
    open_helper(page, server.url)
    results = page.evaluate(
        "cases => cases.map(text => ss.parsePartialJSON(text) ?? null)",
        [text for text, _ in PARSE_CASES],
    )
    for (text, expected), got in zip(PARSE_CASES, results, strict=True):
        assert got == expected, text
    hostile = page.evaluate(
        """() => {
          const deep = ss.parsePartialJSON("[".repeat(200000));
          const proto = ss.parsePartialJSON('{"__proto__": {"polluted": true}}');
          return {
            deepIsArray: Array.isArray(deep),
            notString: [undefined, null, 42, {}].map(v => ss.parsePartialJSON(v) === undefined),
            ownKey: Object.hasOwn(proto, "__proto__"),
            prototypeIntact: Object.getPrototypeOf(proto) === Object.prototype && !({}).polluted,
          };
        }"""
    )
    assert hostile == {
        "deepIsArray": True,
        "notString": [True, True, True, True],
        "ownKey": True,
        "prototypeIntact": True,
    }


# Feeds a comma-less deck document to the helper through a scripted EventSource, a few
# characters per chunk, and notes after every chunk which slides the helper had handed out.
SPLIT_CHUNKS = """
async ({ text, size }) => {
  class ScriptedEventSource extends EventTarget {
    constructor(url) { super(); this.url = url; this.readyState = 0; window.scripted = this; }
    close() { this.readyState = 2; }
    send(data, id = "") {
      const init = { data: JSON.stringify(data), lastEventId: id };
      this.dispatchEvent(new MessageEvent("response", init));
    }
  }
  const stream = new ss.SlideStream("/api/v1/ppt/presentation/stream/x",
                                    { EventSourceImpl: ScriptedEventSource });
  const seen = [];
  stream.addEventListener("slide", (e) => seen.push({ index: e.detail.index, slide: e.detail.slide,
                                                      at: stream.text.length }));
  stream.start();
  scripted.readyState = 1;
  scripted.dispatchEvent(new Event("open"));
  for (let at = 0; at < text.length; at += size) {
    scripted.send({ type: "chunk", chunk: text.slice(at, at + size) });
  }
  scripted.send({ type: "future_frame_type", anything: 1 });
  scripted.send({ type: "complete", presentation: { slides: stream.slides } });
  return { seen, kind: stream.kind, closed: scripted.readyState, state: stream.state };
}
"""


def test_a_slide_is_handed_out_once_when_its_object_closes(
    page: Page, server: ThreadedServer
) -> None:
    slides = [
        {"index": i, "content": {"title": f'Part {i} {{braces}} "q" ]', "n": i}, "id": f"s{i}"}
        for i in range(4)
    ]
    # Presenton's deck text: no commas between the slide objects.
    text = '{ "slides": [ ' + "".join(json.dumps(s) for s in slides) + " ] }"
    open_helper(page, server.url)
    for size in (1, 7, 64):
        result = page.evaluate(SPLIT_CHUNKS, {"text": text, "size": size})
        assert result["kind"] == "deck" and result["closed"] == 2 and result["state"] == "closed"
        assert [item["index"] for item in result["seen"]] == [0, 1, 2, 3], size
        for item in result["seen"]:
            assert item["slide"] == slides[item["index"]]
            # Handed out with the chunk that closed the object, not before.
            written = json.dumps(slides[item["index"]])
            end = text.index(written) + len(written)
            assert end <= item["at"] < end + size, (size, item["index"])


# --- outline and deck streams ------------------------------------------------------------


@pytest.fixture
def slow_llm() -> Iterator[FakeLLMHandle]:
    """A simulated LLM that writes ~400 tokens a second, so an outline arrives in pieces."""
    server = ThreadedServer(create_fake_llm_app(FakeLLMConfig(tokens_per_second=400))).start()
    try:
        yield FakeLLMHandle(server.url)
    finally:
        server.stop()


def test_outline_stream_yields_growing_outlines_then_complete(
    page: Page, tmp_path: Path, slow_llm: FakeLLMHandle
) -> None:
    with app_server(tmp_path, slow_llm.api_url) as server:
        pid = create_presentation(server.url, 4)
        open_helper(page, server.url)
        start(page, "streamOutline", pid)
        result = wait_for_result(page)
        events = recorded(page)
        # Resuming an outline from an id without its earlier text: the rest could not be
        # parsed, so the helper asks for the whole outline again (a replay, no LLM call).
        middle_id = next(e["lastEventId"] for e in events if e["type"] == "outline")
        page.evaluate("() => { window.events = []; window.result = undefined; }")
        start(page, "streamOutline", pid, json.dumps({"lastEventId": middle_id}))
        replayed = wait_for_result(page)
        replayed_outlines = [e["detail"]["outline"] for e in recorded(page, "outline")]
        second_url = page.evaluate("() => window.sources[1].url")

    assert result["type"] == "complete"
    presentation = result["presentation"]
    assert presentation["id"] == pid
    assert replayed["type"] == "complete"
    assert "last_event_id" not in second_url
    assert replayed_outlines[-1] == presentation["outlines"]
    assert len(presentation["outlines"]["slides"]) == 4
    kinds = [e["type"] for e in events if e["type"] not in ("frame", "connection")]
    assert kinds[0] == "status"
    outlines = [e["detail"] for e in events if e["type"] == "outline"]
    streamed, final = outlines[:-1], outlines[-1]
    assert len(streamed) >= 3, "the outline should arrive in several pieces"
    for before, after in itertools.pairwise(streamed):
        assert after["text"].startswith(before["text"]) and len(after["text"]) > len(before["text"])
        assert len(after["outline"]["slides"]) >= len(before["outline"]["slides"])
        for old, new in zip(before["outline"]["slides"], after["outline"]["slides"], strict=False):
            assert new.get("content", "").startswith(old.get("content", ""))
    # Partial outlines were really partial: some had fewer slides than the end.
    assert len(streamed[0]["outline"]["slides"]) < 4
    assert json.loads(streamed[-1]["text"])["slides"] == streamed[-1]["outline"]["slides"]
    assert replayed_outlines[-2] == streamed[-1]["outline"]  # the whole text, replayed
    # On complete the server's parsed outline replaces the streamed one.
    assert final["outline"] == presentation["outlines"]
    assert_finished_and_closed(events, "complete")
    assert [e["detail"]["state"] for e in events if e["type"] == "connection"] == [
        "connecting",
        "open",
        "closed",
    ]


def test_deck_stream_yields_each_slide_once_in_order_and_closes_after_complete(
    page: Page, server: ThreadedServer
) -> None:
    pid = prepared_deck(server.url, 5)
    open_helper(page, server.url)
    stream_requests: list[str] = []
    page.on("request", lambda r: stream_requests.append(r.url) if "/stream/" in r.url else None)
    start(page, "streamDeck", pid)
    result = wait_for_result(page)
    events = recorded(page)

    assert result["type"] == "complete"
    slide_events = [e["detail"] for e in events if e["type"] == "slide"]
    assert [s["index"] for s in slide_events] == [0, 1, 2, 3, 4]
    assert all(s["slide"]["presentation"] == pid for s in slide_events)
    lists = [e["detail"]["slides"] for e in events if e["type"] == "slides"]
    assert [len(slides) for slides in lists] == sorted(len(slides) for slides in lists)
    final_ids = [s["id"] for s in result["presentation"]["slides"]]
    assert [s["slide"]["id"] for s in slide_events] == final_ids
    assert [s["id"] for s in lists[-1]] == final_ids
    assert page.evaluate("() => stream.slides.map(s => s.index)") == [0, 1, 2, 3, 4]
    assert page.evaluate("() => JSON.parse(stream.text).slides.length") == 5
    assert page.evaluate("() => stream.lastEventId").endswith(":end")
    assert_finished_and_closed(events, "complete")
    # One request for the stream, and none after it; a round trip on the page after
    # `done` lets any request the page had queued show up first.
    page.evaluate("() => fetch('/health').then(r => r.status)")
    assert page.evaluate("() => window.sources.length") == 1
    assert len(stream_requests) == 1


def test_resuming_from_the_terminal_id_ends_without_another_frame(
    page: Page, server: ThreadedServer
) -> None:
    pid = prepared_deck(server.url, 2)
    frames = read_frames(server.url, f"{API}/presentation/stream/{pid}")
    terminal_id = frames[-1][0]
    open_helper(page, server.url)
    start(page, "streamDeck", pid, json.dumps({"lastEventId": terminal_id}))
    result = wait_for_result(page)
    events = recorded(page)
    assert result == {"type": "ended", "lastEventId": terminal_id}
    assert not [e for e in events if e["type"] in ("frame", "slide", "error", "complete")]
    assert_finished_and_closed(events, "ended")


def test_resuming_mid_deck_hands_out_the_remaining_slides(
    page: Page, server: ThreadedServer
) -> None:
    pid = prepared_deck(server.url, 4)
    frames = read_frames(server.url, f"{API}/presentation/stream/{pid}")
    seen, seen_id = frames[:3], frames[2][0]  # the opening and slides 0 and 1
    open_helper(page, server.url)
    # Without the earlier text (a reloaded page that kept only the id): the rest still parses.
    start(page, "streamDeck", pid, json.dumps({"lastEventId": seen_id}))
    result = wait_for_result(page)
    assert result["type"] == "complete"
    assert slide_indices(page) == [2, 3]
    assert page.evaluate("() => stream.text").startswith(", {")
    assert page.evaluate("() => stream.slides.map(s => s.index)") == [0, 1, 2, 3]

    # With the earlier text as well, the helper's text is the whole document again; the
    # slides in that text are known at once and not handed out again.
    page.evaluate("() => { window.events = []; window.result = undefined; }")
    options = json.dumps({"lastEventId": seen_id, "text": chunk_text(seen)})
    known_at_once = page.evaluate(
        f"""pid => {{
          watch(ss.streamDeck(pid, {{ EventSourceImpl: SpyEventSource, ...{options} }}));
          return stream.slides.map(s => s.index);
        }}""",
        pid,
    )
    assert known_at_once == [0, 1]
    result = wait_for_result(page)
    assert result["type"] == "complete"
    assert slide_indices(page) == [2, 3]
    assert page.evaluate("() => JSON.parse(stream.text)") == json.loads(chunk_text(frames))


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        ("unknown deck", 404, "Presentation not found"),
        ("not prepared", 400, "Presentation not prepared for stream"),
        ("malformed Last-Event-ID", 400, None),
    ],
)
def test_an_http_error_before_streaming_is_a_terminal_http_error(
    page: Page, server: ThreadedServer, case: str, status: int, detail: str | None
) -> None:
    options = "{}"
    if case == "unknown deck":
        pid = str(uuid.uuid4())
    elif case == "not prepared":
        pid = create_presentation(server.url, 2)
    else:
        pid = prepared_deck(server.url, 2)
        options = json.dumps({"lastEventId": "garbage"})
        said = httpx.get(f"{server.url}{API}/presentation/stream/{pid}?last_event_id=garbage")
        assert said.status_code == status
        detail = said.json()["detail"]
    open_helper(page, server.url)
    start(page, "streamDeck", pid, options)
    result = wait_for_result(page)
    events = recorded(page)

    assert result["type"] == "error" and result["reason"] == "http"
    assert result["status"] == status
    assert result["detail"] == detail
    error = next(e["detail"] for e in events if e["type"] == "error")
    assert error == {"detail": detail, "reason": "http", "status": status}
    assert_finished_and_closed(events, "error")
    assert page.evaluate("() => window.sources.length") == 1  # no retry loop on a 4xx


def test_an_llm_failure_mid_deck_is_a_terminal_server_error(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(server.url, 4)
    # Added after prepare: the structure call mentions every marker too.
    fake_llm.add_faults({"kind": "500", "times": 100, "match": marker(2)})
    open_helper(page, server.url)
    start(page, "streamDeck", pid)
    result = wait_for_result(page)
    events = recorded(page)

    assert result["type"] == "error" and result["reason"] == "server"
    assert "500" in result["detail"]
    # Slides generated alongside the failed one may follow it, but never out of order.
    sent = slide_indices(page)
    assert sent[:2] == [0, 1] and 2 not in sent and sent == sorted(sent)
    error = next(e["detail"] for e in events if e["type"] == "error")
    assert error == {"detail": result["detail"], "reason": "server"}
    assert_finished_and_closed(events, "error")
    # What arrived before the error still parses as a document (the closing chunk came).
    assert len(page.evaluate("() => JSON.parse(stream.text).slides")) == len(sent)


# --- reset frames ------------------------------------------------------------------------


def test_resuming_with_an_id_of_an_older_run_resets_then_streams_the_new_run(
    page: Page, server: ThreadedServer
) -> None:
    pid = prepared_deck(server.url, 3)
    old = read_frames(server.url, f"{API}/presentation/stream/{pid}")
    old_slide_id = old[2][0]  # the frame of slide 1 in run 1
    regenerated = httpx.post(f"{server.url}{API}/presentation/regenerate/{pid}", timeout=30)
    assert regenerated.status_code == 202
    open_helper(page, server.url)
    # Resuming without the earlier text: the helper supplies the deck's opening itself.
    start(page, "streamDeck", pid, json.dumps({"lastEventId": old_slide_id}))
    result = wait_for_result(page)
    events = [e for e in recorded(page) if e["type"] not in ("frame", "connection")]

    assert result["type"] == "complete"
    assert events[0]["type"] == "reset"
    assert events[0]["detail"] == {"detail": "The deck was generated again"}
    assert (events[1]["type"], events[1]["detail"]) == ("slides", {"slides": []})
    assert slide_indices(page) == [0, 1, 2]
    new_ids = {e["detail"]["slide"]["id"] for e in events if e["type"] == "slide"}
    assert new_ids.isdisjoint(s["id"] for s in streamed_slides(old))
    assert page.evaluate("() => JSON.parse(stream.text).slides.length") == 3


def test_resuming_from_a_reset_frames_id_reads_the_new_run_from_its_opening(
    page: Page, server: ThreadedServer
) -> None:
    pid = prepared_deck(server.url, 3)
    old = read_frames(server.url, f"{API}/presentation/stream/{pid}")
    regenerated = httpx.post(f"{server.url}{API}/presentation/regenerate/{pid}", timeout=30)
    assert regenerated.status_code == 202
    resumed = read_frames(server.url, f"{API}/presentation/stream/{pid}?last_event_id={old[2][0]}")
    reset_id = resumed[0][0]
    assert resumed[0][1]["type"] == "reset" and reset_id.endswith(":start")
    open_helper(page, server.url)
    # A page that stored the id of the reset frame (its last frame before a reload): the
    # server continues with the new run's opening chunk, which the helper must not take
    # for the middle of a document.
    start(page, "streamDeck", pid, json.dumps({"lastEventId": reset_id}))
    result = wait_for_result(page)
    assert result["type"] == "complete"
    assert slide_indices(page) == [0, 1, 2]
    handed = [e["detail"]["slide"]["id"] for e in recorded(page, "slide")]
    assert handed == [s["id"] for s in result["presentation"]["slides"]]
    assert page.evaluate("() => JSON.parse(stream.text).slides.length") == 3
