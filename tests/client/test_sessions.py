"""The I/O-free stream core, fed synthetic frames: resume decisions and de-duplication."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx_sse import ServerSentEvent

from slidestream.client import (
    APIError,
    Complete,
    OutlineDelta,
    RetryPolicy,
    Slide,
    Status,
    StreamError,
    StreamEvent,
    StreamInterrupted,
)
from slidestream.client.config import REMEMBERED_OUTLINES, ClientConfig
from slidestream.client.protocol import Reply
from slidestream.client.sessions import Connect, DeckSession, Fetch, OutlineSession

PID = "b315e6a0-0000-4000-8000-000000000001"
POLICY = RetryPolicy(max_retries=2, backoff_initial=0.01, backoff_max=0.01)


def frame(data: dict[str, Any], id: str = "") -> ServerSentEvent:
    return ServerSentEvent(event="response", data=json.dumps(data), id=id)


def chunk(text: str, id: str = "") -> ServerSentEvent:
    return frame({"type": "chunk", "chunk": text}, id)


def slide(index: int, title: str = "t") -> dict[str, Any]:
    return {
        "id": f"s{index}-{title}",
        "index": index,
        "layout": "general:x",
        "content": {"t": title},
    }


def slide_chunk(index: int, title: str = "t", id: str = "", comma: bool = False) -> ServerSentEvent:
    return chunk((", " if comma else "") + json.dumps(slide(index, title)), id)


def reply(status: int, body: Any = None) -> Reply:
    content = b"" if body is None else json.dumps(body).encode()
    return Reply(status, {"content-type": "application/json"}, content)


def feed_all(
    session: DeckSession | OutlineSession, frames: list[ServerSentEvent]
) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    for sse in frames:
        events.extend(session.feed(sse))
    return events


def opened(session: DeckSession | OutlineSession) -> Connect:
    step = session.next_step()
    assert isinstance(step, Connect)
    session.connected()
    return step


def slides_of(events: list[StreamEvent]) -> list[tuple[int, bool]]:
    return [(e.index, e.revised) for e in events if isinstance(e, Slide)]


def test_a_reset_hands_out_only_slides_whose_content_changed() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    first = feed_all(
        session,
        [
            chunk('{ "slides": [ ', "d1:0"),
            slide_chunk(0, id="d1:1"),
            slide_chunk(1, id="d1:2", comma=True),
        ],
    )
    assert slides_of(first) == [(0, False), (1, False)]
    after_reset = feed_all(
        session,
        [
            frame({"type": "reset", "detail": "The deck was generated again"}, "d2:start"),
            chunk('{ "slides": [ ', "d2:0"),
            slide_chunk(0, id="d2:1"),  # the same slide: not handed out again
            slide_chunk(1, "new", id="d2:2", comma=True),  # changed: handed out, revised
            slide_chunk(2, id="d2:3", comma=True),
        ],
    )
    assert slides_of(after_reset) == [(1, True), (2, False)]
    last = after_reset[-1]
    assert [s["content"]["t"] for s in last.deck] == ["t", "new", "t"]


def test_with_ids_a_broken_stream_resumes_from_the_last_id() -> None:
    session = DeckSession(PID, POLICY)
    first = opened(session)
    assert "Last-Event-ID" not in first.request.headers
    feed_all(session, [chunk('{ "slides": [ ', "d1:0"), slide_chunk(0, id="d1:1")])
    session.lost(ConnectionError("cut"))
    step = session.next_step()
    assert isinstance(step, Connect)
    assert step.request.headers["Last-Event-ID"] == "d1:1"
    session.connected()
    rest = feed_all(session, [slide_chunk(1, id="d1:2", comma=True), chunk(" ] }", "d1:3")])
    assert slides_of(rest) == [(1, False)]


def test_without_ids_the_stored_deck_is_checked_then_the_stream_replays() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0), slide_chunk(1)])
    session.lost(None)  # closed without a terminal frame
    step = session.next_step()
    assert isinstance(step, Fetch)
    assert step.request.path == f"/api/v1/ppt/presentation/{PID}"
    # Presenton's answer says nothing about progress: reopen the stream.
    assert session.fetched(reply(200, {"id": PID, "slides": []})) == []
    again = opened(session)
    assert "Last-Event-ID" not in again.request.headers
    replay = feed_all(
        session, [chunk('{ "slides": [ '), slide_chunk(0), slide_chunk(1), slide_chunk(2)]
    )
    assert slides_of(replay) == [(2, False)]
    end = feed_all(
        session, [chunk(" ] }"), frame({"type": "complete", "presentation": {"slides": []}})]
    )
    assert isinstance(end[-1], Complete) and session.done


def test_presentons_regenerated_replay_hands_out_revisions() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0)])
    session.lost(None)
    session.next_step()
    session.fetched(reply(200, {"id": PID, "slides": []}))
    opened(session)
    replay = feed_all(
        session, [chunk('{ "slides": [ '), slide_chunk(0, "v2"), slide_chunk(1, "v2")]
    )
    assert slides_of(replay) == [(0, True), (1, False)]


def test_a_finished_stored_deck_completes_the_stream_without_reopening_it() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0)])
    session.lost(None)
    session.next_step()
    stored = {
        "id": PID,
        "slides": [slide(1), slide(0), slide(2)],
        "generation": {"deck_status": "completed"},
    }
    events = session.fetched(reply(200, stored))
    assert slides_of(events) == [(1, False), (2, False)]
    assert isinstance(events[-1], Complete)
    assert [s["index"] for s in events[-1].deck] == [0, 1, 2]
    assert session.done and session.next_step() is None


def test_204_completes_from_the_stored_deck_without_slides() -> None:
    session = DeckSession(PID, POLICY, last_event_id="d1:7")
    step = session.next_step()
    assert isinstance(step, Connect) and step.request.headers["Last-Event-ID"] == "d1:7"
    session.refused(Reply(204, {}, b""))
    fetch = session.next_step()
    assert isinstance(fetch, Fetch)
    events = session.fetched(reply(200, {"id": PID, "slides": [slide(0), slide(1)]}))
    assert [type(e) for e in events] == [Complete]
    assert len(events[0].deck) == 2


def test_complete_hands_out_a_slide_the_stream_never_carried() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    events = feed_all(
        session,
        [
            chunk('{ "slides": [ '),
            slide_chunk(0),
            chunk(" ] }"),
            frame({"type": "complete", "presentation": {"slides": [slide(0, "final"), slide(1)]}}),
        ],
    )
    # Slide 0 changed since (say, its final image URL): Complete carries it, no revision.
    assert slides_of(events) == [(0, False), (1, False)]
    assert [s["content"]["t"] for s in events[-1].deck] == ["final", "t"]


def test_errors_before_streaming_raise_and_later_ones_are_retried() -> None:
    session = DeckSession(PID, POLICY)
    session.next_step()
    with pytest.raises(APIError) as raised:
        session.refused(reply(400, {"detail": "Presentation not prepared for stream"}))
    assert raised.value.status_code == 400
    assert raised.value.detail == "Presentation not prepared for stream"

    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ ', "d1:0")])
    session.lost(None)
    session.next_step()
    session.refused(reply(503, {"detail": "restarting"}))  # a proxy in between, retried
    assert isinstance(session.next_step(), Connect)
    with pytest.raises(APIError):
        session.refused(reply(404, {"detail": "Presentation not found"}))


def test_an_answer_that_is_not_an_event_stream_is_an_error() -> None:
    session = DeckSession(PID, POLICY)
    session.next_step()
    with pytest.raises(APIError) as raised:
        session.refused(Reply(200, {"content-type": "text/html"}, b"<html>login</html>"))
    assert raised.value.detail == "Expected an event stream, got text/html"


def test_retries_are_bounded_and_progress_renews_them() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ ', "d1:0")])
    for _ in range(POLICY.max_retries):
        session.lost(ConnectionError("refused"))
        session.next_step()
    session.connected()
    feed_all(session, [slide_chunk(0, id="d1:1")])  # a new frame: the budget is renewed
    for _ in range(POLICY.max_retries):
        session.lost(ConnectionError("refused"))
        session.next_step()
    with pytest.raises(StreamInterrupted) as raised:
        session.lost(ConnectionError("refused"))
    assert raised.value.attempts == POLICY.max_retries + 1
    assert PID in str(raised.value)


def test_status_error_and_unknown_frames() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    events = feed_all(
        session,
        [
            frame({"type": "status", "status": "Working"}),
            frame({"type": "status", "status": "Working"}),
            frame({"type": "slide_assets", "slide_index": 0}),
            ServerSentEvent(event="response", data="not json"),
            ServerSentEvent(data="", retry=100),
            frame({"type": "error", "detail": "OpenAI API error"}),
        ],
    )
    assert [type(e) for e in events] == [Status, StreamError]
    assert isinstance(events[1], StreamError) and events[1].detail == "OpenAI API error"
    assert session.done and session.next_step() is None


def test_outline_text_is_handed_out_once_across_replays_and_restarts() -> None:
    remembered: dict[str, list[str]] = {}
    session = OutlineSession(PID, POLICY, remembered)
    opened(session)
    text = json.dumps({"slides": [{"content": "# One"}, {"content": "# Two"}]})
    first = feed_all(session, [frame({"type": "status", "status": "Generating"}), chunk(text[:20])])
    assert [type(e) for e in first] == [Status, OutlineDelta]
    session.lost(None)  # no ids: reopen, the server starts over
    opened(session)
    replay = feed_all(
        session,
        [frame({"type": "status", "status": "Generating"}), chunk(text[:10]), chunk(text[10:])],
    )
    assert [e.text for e in replay if isinstance(e, OutlineDelta)] == [text[20:]]
    assert replay[-1].outline == ("# One", "# Two")
    # A server that wrote a different outline (Presenton regenerates): a restart.
    session.lost(None)
    opened(session)
    other = feed_all(session, [chunk('{"slides": [{"content": "# Uno"')])
    assert isinstance(other[0], OutlineDelta) and other[0].restart
    assert other[0].text == '{"slides": [{"content": "# Uno"'
    done = feed_all(
        session,
        [
            frame(
                {
                    "type": "complete",
                    "presentation": {"outlines": {"slides": [{"content": "# Uno"}]}},
                }
            )
        ],
    )
    assert isinstance(done[0], Complete) and done[0].outline == ("# Uno",)
    assert remembered[PID] == ["# Uno"]


def image_slide(index: int, title: str = "t") -> dict[str, Any]:
    """A slide whose content nests objects, as real slides do (an image, a list of items)."""
    return {
        **slide(index, title),
        "content": {"t": title, "image": {"__image_url__": "/x.png"}, "items": [{"a": 1}]},
    }


def test_resuming_from_an_earlier_readers_id_hands_out_only_the_slides_after_it() -> None:
    # Another process read the opening and slides 0 and 1 ("d1:2") and stored that id.
    session = DeckSession(PID, POLICY, last_event_id="d1:2")
    step = opened(session)
    assert step.request.headers["Last-Event-ID"] == "d1:2"
    rest = feed_all(
        session,
        [
            chunk(", " + json.dumps(image_slide(2)), "d1:3"),
            chunk(", " + json.dumps(image_slide(3)), "d1:4"),
            chunk(" ] }", "d1:5"),
        ],
    )
    assert slides_of(rest) == [(2, False), (3, False)]
    assert [e.slide for e in rest if isinstance(e, Slide)] == [image_slide(2), image_slide(3)]
    final = [image_slide(i) for i in range(4)]
    done = feed_all(
        session, [frame({"type": "complete", "presentation": {"slides": final}}, "d1:end")]
    )
    # Slides 0 and 1 were the earlier reader's: Complete's deck has them, no Slide event.
    assert [type(e) for e in done] == [Complete]
    assert list(done[0].deck) == final
    assert session.last_event_id == "d1:end"


@pytest.mark.parametrize("stored_id", ["d2:start", "d1:0"])
def test_resuming_just_before_or_after_the_opening_reads_the_document(stored_id: str) -> None:
    # "d2:start": the earlier reader's last frame was a reset, so the opening comes next;
    # "d1:0": it was the opening, so the first slide comes next (without a comma).
    session = DeckSession(PID, POLICY, last_event_id=stored_id)
    opened(session)
    frames = [slide_chunk(0, id="d1:1"), slide_chunk(1, id="d1:2", comma=True)]
    if stored_id == "d2:start":
        frames = [chunk('{ "slides": [ ', "d2:0"), slide_chunk(0, id="d2:1")]
        frames.append(slide_chunk(1, id="d2:2", comma=True))
    assert slides_of(feed_all(session, frames)) == [(0, False), (1, False)]


def test_a_server_that_ignores_the_id_is_read_from_its_start() -> None:
    # Strict Presenton mode (or Presenton) answers a resume with the whole stream, no ids.
    session = DeckSession(PID, POLICY, last_event_id="d1:2")
    opened(session)
    replay = feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0), slide_chunk(1)])
    assert slides_of(replay) == [(0, False), (1, False)]
    assert session.last_event_id is None
    session.lost(None)
    # From now on it is a server without ids: the stored deck first, then a fresh stream.
    assert isinstance(session.next_step(), Fetch)
    session.fetched(reply(200, {"id": PID, "slides": []}))
    again = opened(session)
    assert "Last-Event-ID" not in again.request.headers
    more = feed_all(
        session, [chunk('{ "slides": [ '), slide_chunk(0), slide_chunk(1), slide_chunk(2)]
    )
    assert slides_of(more) == [(2, False)]


def _stored(status: str, slides: list[dict[str, Any]], error: str | None = None) -> dict[str, Any]:
    generation = {"deck_status": status, "deck_run": 1, "error": error}
    return {"id": PID, "slides": slides, "generation": generation}


def test_204_after_a_failed_deck_ends_with_its_error() -> None:
    session = DeckSession(PID, POLICY, last_event_id="d1:end")
    session.next_step()
    session.refused(Reply(204, {}, b""))
    session.next_step()
    events = session.fetched(reply(200, _stored("failed", [slide(0)], "LLM error: 500")))
    assert [type(e) for e in events] == [StreamError]
    assert events[0].detail == "LLM error: 500"
    assert [s["index"] for s in events[0].deck] == [0]
    assert session.done and session.next_step() is None


def test_without_ids_a_deck_cancelled_while_away_ends_without_reopening_the_stream() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0)])
    session.lost(ConnectionError("cut"))
    session.next_step()
    # Reopening would start a new run (what a stream request without an id does to a
    # cancelled deck): the cancellation would be undone behind the caller's back.
    stored = _stored("cancelled", [slide(0), slide(1)], "Generation was cancelled")
    events = session.fetched(reply(200, stored))
    assert slides_of(events) == [(1, False)]
    assert isinstance(events[-1], StreamError)
    assert events[-1].detail == "Generation was cancelled"
    assert [s["index"] for s in events[-1].deck] == [0, 1]
    assert session.done and session.next_step() is None


def test_without_ids_a_deck_that_failed_before_this_stream_is_streamed_again() -> None:
    # Streaming a failed deck starts a new run; a first connection that did not get
    # through must not be taken for the end of that run.
    session = DeckSession(PID, POLICY)
    session.next_step()
    session.lost(ConnectionError("refused"))
    assert isinstance(session.next_step(), Fetch)
    assert session.fetched(reply(200, _stored("failed", [slide(0)], "old failure"))) == []
    assert isinstance(session.next_step(), Connect)


def test_without_ids_revisions_do_not_renew_the_retry_budget() -> None:
    # Presenton generates the deck again on every reconnect; one that always breaks after
    # the same slides hands out revisions only, and must not be reconnected forever.
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0, "r0"), slide_chunk(1, "r0")])
    with pytest.raises(StreamInterrupted) as raised:
        for run in range(1, 50):
            session.lost(None)
            session.next_step()
            session.fetched(reply(200, {"id": PID, "slides": []}))
            opened(session)
            again = feed_all(
                session,
                [chunk('{ "slides": [ '), slide_chunk(0, f"r{run}"), slide_chunk(1, f"r{run}")],
            )
            assert slides_of(again) == [(0, True), (1, True)]
    assert raised.value.attempts == POLICY.max_retries + 1


def test_without_ids_a_new_slide_renews_the_retry_budget() -> None:
    session = DeckSession(PID, POLICY)
    opened(session)
    feed_all(session, [chunk('{ "slides": [ '), slide_chunk(0)])
    for extra in range(1, 6):  # each reconnect gets one slide further: never given up
        session.lost(None)
        session.next_step()
        session.fetched(reply(200, {"id": PID, "slides": []}))
        opened(session)
        frames = [chunk('{ "slides": [ ')] + [slide_chunk(i) for i in range(extra + 1)]
        assert slides_of(feed_all(session, frames)) == [(extra, False)]


def test_an_outline_written_anew_on_every_reconnect_is_given_up() -> None:
    session = OutlineSession(PID, POLICY, {})
    opened(session)
    feed_all(session, [chunk('{"slides": [{"content": "# Version 0')])
    with pytest.raises(StreamInterrupted):
        for version in range(1, 50):
            session.lost(None)
            opened(session)
            other = feed_all(
                session, [chunk('{"slides": [{"content": "# Version'), chunk(f" {version}")]
            )
            assert [e.restart for e in other if isinstance(e, OutlineDelta)] == [True]


def test_a_long_lived_client_remembers_the_outlines_of_recent_presentations_only() -> None:
    config = ClientConfig(
        "http://x", api_key=None, timeout=1, generate_timeout=1, stream_timeout=1, retry=POLICY
    )
    done = {"type": "complete", "presentation": {"outlines": {"slides": [{"content": "# A"}]}}}
    count = REMEMBERED_OUTLINES + 10
    for n in range(count):
        session = OutlineSession(f"p{n}", POLICY, config.outlines)
        opened(session)
        feed_all(session, [frame(done)])
    assert len(config.outlines) == REMEMBERED_OUTLINES
    assert "p0" not in config.outlines and config.outlines[f"p{count - 1}"] == ["# A"]
