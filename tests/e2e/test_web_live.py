"""Slides arriving live in the browser, and surviving a lost network and a reload.

A deck is held mid-way by stalling one slide's LLM call. The app reaches the simulated LLM
through a cuttable proxy, so cutting that proxy ends the stalled call: the provider retries
it (the stall was for one call only) and the deck finishes, with no timing involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.e2e.test_web_support import (
    assert_whole_deck,
    deck_status,
    finished_deck,
    open_deck,
    prepared_deck,
    presentation,
    ready_slides,
    wait_for_slides,
    wait_for_view,
    wait_until,
    watched,
)
from tests.support.cut_proxy import CutProxy, cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
SLIDES = 6
HELD = 3  # slides 0-2 arrive, slide 3 hangs at the LLM


@pytest.fixture
def llm_proxy(fake_llm: FakeLLMHandle) -> Iterator[CutProxy]:
    with cut_proxy(fake_llm.url) as proxy:
        yield proxy


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeLLMHandle, llm_proxy: CutProxy) -> Settings:
    return make_settings(tmp_path / "data", f"{llm_proxy.url}/v1")


def hold_slide(fake_llm: FakeLLMHandle, index: int) -> None:
    """The next LLM call for slide `index` hangs until its connection is cut."""
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(index)})


def wait_until_held(fake_llm: FakeLLMHandle) -> None:
    wait_until(lambda: fake_llm.waiting_on(marker(HELD)), bool, f"slide {HELD} to stall")


def test_slides_appear_one_by_one_while_the_stream_is_open(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = prepared_deck(server.url, SLIDES)
    hold_slide(fake_llm, HELD)
    with watched(page) as watch:
        open_deck(page, server.url, pid)
        wait_for_slides(page, HELD)
        wait_until_held(fake_llm)
        # Mid-deck: the earlier slides are drawn, the stream is open, the rest are
        # placeholders and the progress says so.
        assert [index for index, _ in ready_slides(page)] == list(range(HELD))
        assert page.locator(".deck-view").get_attribute("data-status") == "generating"
        assert page.locator(".generation").get_attribute("data-connection") == "open"
        assert page.locator(".thumbs li[data-state=pending]").count() == SLIDES - HELD
        assert page.locator(".gen-count").inner_text() == f"{HELD} of {SLIDES} slides written"
        assert page.locator(".stage .ss-slide").count() == 1
        llm_proxy.cut()
        wait_for_view(page, "completed")
    assert len(ready_slides(page)) == SLIDES
    assert_whole_deck(page, server.url, pid)
    assert watch.errors == []


def test_a_lost_network_mid_deck_resumes_without_duplicates_or_gaps(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = prepared_deck(server.url, SLIDES)
    hold_slide(fake_llm, HELD)
    with cut_proxy(server.url) as network:
        open_deck(page, network.url, pid)
        wait_for_slides(page, HELD)
        wait_until_held(fake_llm)

        # A short drop: every connection dies, the browser reconnects at once.
        connections = network.connections
        network.cut()
        wait_until(lambda: network.connections, lambda n: n > connections, "a reconnect")
        page.locator(".generation[data-connection=open]").wait_for()

        # A long one: the network stays down while the deck finishes on the server.
        network.block()
        page.locator(".generation[data-connection=reconnecting]").wait_for()
        page.locator(".gen-connection").wait_for(state="visible")
        llm_proxy.cut()
        wait_until(lambda: deck_status(server.url, pid), "completed".__eq__, "the deck to finish")
        assert [index for index, _ in ready_slides(page)] == list(range(HELD))

        network.restore()
        wait_for_view(page, "completed")
        assert_whole_deck(page, server.url, pid)
        assert page.locator(".gen-connection").is_hidden()


def test_a_reload_mid_deck_reattaches_to_the_running_generation(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = prepared_deck(server.url, SLIDES)
    hold_slide(fake_llm, HELD)
    open_deck(page, server.url, pid)
    wait_for_slides(page, HELD)
    wait_until_held(fake_llm)

    page.reload()
    assert page.url.endswith(f"#/deck/{pid}")
    wait_for_slides(page, HELD)
    page.locator(".generation[data-connection=open]").wait_for()
    assert page.locator(".deck-view").get_attribute("data-status") == "generating"
    # Stored slides are drawn at once (slides after the held one may be stored already);
    # the held one is still a placeholder.
    shown = {index for index, _ in ready_slides(page)}
    assert set(range(HELD)) <= shown and HELD not in shown
    assert page.locator(f".thumbs li[data-index='{HELD}']").get_attribute("data-state") == "pending"

    llm_proxy.cut()
    wait_for_view(page, "completed")
    assert_whole_deck(page, server.url, pid)
    # One generation: slide 3 was asked for twice (the held call and its retry), the
    # others once; the reload started nothing new.
    for index in (0, 1, 2, 4, 5):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1


def test_cancel_keeps_the_written_slides_and_can_continue(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = prepared_deck(server.url, SLIDES)
    hold_slide(fake_llm, HELD)
    open_deck(page, server.url, pid)
    wait_for_slides(page, HELD)
    wait_until_held(fake_llm)

    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".notice-title")).to_have_text("Generation was cancelled")
    wait_for_view(page, "cancelled")
    assert deck_status(server.url, pid) == "cancelled"
    # Every stored slide is shown (slides after the held one may have been written), the
    # held one is missing.
    stored = [(s["index"], s["id"]) for s in presentation(server.url, pid)["slides"]]
    assert ready_slides(page) == stored
    assert HELD not in {index for index, _ in stored}

    page.get_by_role("button", name="Continue generating").click()
    wait_for_view(page, "completed")
    assert_whole_deck(page, server.url, pid)


def test_one_slide_is_worked_on_at_a_time(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = finished_deck(server.url, 3)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    hold_slide(fake_llm, 1)
    page.get_by_role("button", name="Slide 2").click()
    page.get_by_role("button", name="Regenerate").click()
    page.get_by_role("dialog").get_by_role("button", name="Regenerate").click()
    wait_until(lambda: fake_llm.waiting_on(marker(1)), bool, "slide 2's rewrite to stall")
    # While slide 2 is rewritten nothing else can be started, on it or on another slide,
    # and the "Rewriting" cover stays on slide 2.
    tools = page.locator(".stage-tools button")
    expect(tools).to_have_count(2)
    for button in tools.all():
        expect(button).to_be_disabled()
    expect(page.locator(".stage-busy")).to_be_visible()
    page.get_by_role("button", name="Slide 1").first.click()
    expect(page.locator(".stage-position")).to_have_text("1 / 3")
    expect(page.locator(".stage-busy")).to_be_hidden()
    for button in tools.all():
        expect(button).to_be_disabled()
    expect(page.get_by_role("button", name="Download as PDF")).to_be_disabled()
    llm_proxy.cut()  # ends the stalled call; the provider retries it
    expect(page.get_by_role("button", name="Edit text")).to_be_enabled(timeout=60_000)
    expect(page.get_by_role("button", name="Regenerate")).to_be_enabled()
    assert len(fake_llm.calls_mentioning(marker(1))) >= 2


def test_a_lost_network_while_the_outline_is_written_is_shown_and_resumed(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    body = {"content": "Bike lanes for Main Street OUTLINEHOLD", "n_slides": 3}
    pid = httpx.post(f"{server.url}{API}/presentation/create", json=body).json()["id"]
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": "OUTLINEHOLD"})
    with cut_proxy(server.url) as network:
        page.goto(f"{network.url}/#/outline/{pid}")
        wait_until(lambda: fake_llm.waiting_on("OUTLINEHOLD"), bool, "the outline to stall")
        lost = page.locator(".outline-connection")
        expect(lost).to_be_hidden()
        network.block()
        expect(lost).to_have_text(re.compile("^Connection lost, reconnecting"), timeout=60_000)
        network.restore()
        expect(lost).to_be_hidden(timeout=60_000)
        llm_proxy.cut()  # the stalled outline call is retried and the outline is written
        expect(page.locator("textarea.outline-text")).to_have_count(3, timeout=60_000)
        expect(lost).to_be_hidden()
        expect(page.get_by_role("alert")).to_have_count(0)


def test_a_deck_deleted_while_it_is_watched_says_so_and_offers_a_way_on(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    pid = prepared_deck(server.url, SLIDES)
    hold_slide(fake_llm, HELD)
    open_deck(page, server.url, pid)
    wait_for_slides(page, HELD)
    wait_until_held(fake_llm)
    # Deleted elsewhere (another tab, a colleague) while this page watches it.
    assert httpx.delete(f"{server.url}{API}/presentation/{pid}").status_code == 204
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This deck was deleted", timeout=60_000)
    expect(alert.get_by_role("button", name="Continue generating")).to_have_count(0)
    alert.get_by_role("link", name="Open the library").click()
    expect(page.get_by_role("heading", name="No decks yet")).to_be_visible()
