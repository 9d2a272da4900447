"""Failures in plain words, never a blank page; hostile text stays text."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_web_support import (
    DEADLINE_MS,
    finished_deck,
    open_deck,
    prepared_deck,
    presentation,
    wait_for_view,
    watched,
)
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
SCRIPT = "<script>window.__pwned=1</script>"
IMAGE = "<img src=x onerror=window.__pwned=2>"
SVG = '<svg onload="window.__pwned=3"></svg>'


def replace_texts(content: Any, payloads: list[str]) -> None:
    """Put the payloads into the content's first text fields (not the `__...__` keys)."""

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if not payloads:
                return
            if isinstance(key, str) and key.startswith("__"):
                continue
            if isinstance(value, str):
                node[key] = payloads.pop(0)
            elif isinstance(value, (dict, list)):
                walk(value)

    walk(content)
    assert not payloads, "the slide has too few text fields"


def test_an_llm_failure_on_the_outline_is_explained(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "500", "times": 100})
    page.goto(server.url + "/")
    page.get_by_label("Topic or prompt").fill("A deck the model fails to write")
    page.get_by_role("button", name="Write the outline").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The outline could not be written", timeout=DEADLINE_MS)
    expect(alert).to_contain_text("500")
    expect(alert).to_contain_text("provider is having trouble")
    fake_llm.clear_faults()
    alert.get_by_role("button", name="Try again").click()
    page.locator(".outline-editor").wait_for(timeout=DEADLINE_MS)


def test_an_llm_failure_mid_deck_keeps_the_written_slides(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(server.url, 4)
    fake_llm.add_faults({"kind": "503", "times": 100, "match": marker(2)})
    open_deck(page, server.url, pid)
    wait_for_view(page, "failed")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The slides could not all be written")
    expect(alert).to_contain_text("503")
    expect(alert).to_contain_text("already written are kept")
    stored = presentation(server.url, pid)["slides"]
    assert 2 not in {s["index"] for s in stored}
    assert page.locator(".thumbs li[data-state=ready]").count() == len(stored)
    fake_llm.clear_faults()
    alert.get_by_role("button", name="Continue generating").click()
    wait_for_view(page, "completed")
    assert len(presentation(server.url, pid)["slides"]) == 4


def test_bad_input_shows_the_servers_detail(page: Page, server: ThreadedServer) -> None:
    page.goto(server.url + "/")
    page.get_by_role("button", name="Write the outline").click()
    # Checked in the browser first: an empty prompt without documents.
    expect(page.get_by_label("Topic or prompt")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Topic or prompt")).to_be_focused()
    page.get_by_label("Topic or prompt").fill("Tiny deck")
    page.get_by_label("Slides", exact=True).fill("2")
    page.get_by_text("More options").click()
    page.get_by_label("Add a table of contents").check()
    page.get_by_role("button", name="Write the outline").click()
    # Checked by the server: its JSON detail, word for word.
    expect(page.get_by_role("alert")).to_contain_text(
        "Number of slides cannot be less than 3 if table of contents is included"
    )
    assert "#/outline/" not in page.url


def test_unknown_decks_and_unexpected_failures_never_leave_a_blank_page(
    page: Page, server: ThreadedServer
) -> None:
    page.goto(f"{server.url}/#/deck/{uuid.uuid4()}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Presentation not found")
    expect(alert.get_by_role("link", name="Open the library")).to_be_visible()
    page.goto(f"{server.url}/#/deck/not-an-id")
    expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
    # A bug nobody caught: the error boundary says so and offers a reload.
    page.goto(server.url + "/")
    page.evaluate("() => { setTimeout(() => { throw new Error('boom'); }); }")
    crash = page.locator("#crash")
    expect(crash).to_contain_text("Something went wrong")
    expect(crash).to_contain_text("boom")
    expect(crash.get_by_role("button", name="Reload the page")).to_be_visible()
    expect(page.get_by_label("Topic or prompt")).to_be_visible()  # the page is still there


def test_hostile_slide_text_is_drawn_as_text_and_runs_nothing(
    page: Page, server: ThreadedServer
) -> None:
    pid = finished_deck(server.url, 2)
    deck = presentation(server.url, pid)
    slides = deck["slides"]
    first = slides[0]
    replace_texts(first["content"], [SCRIPT, IMAGE])
    first["speaker_note"] = SVG
    update = {"id": pid, "title": SCRIPT + IMAGE, "slides": slides}
    response = httpx.patch(f"{server.url}{API}/presentation/update", json=update)
    assert response.status_code == 200, response.text

    with watched(page) as watch:
        open_deck(page, server.url, pid)
        wait_for_view(page, "completed")
        stage = page.locator(".stage .ss-slide")
        text = stage.evaluate("el => el.textContent")
        squeezed = "".join(text.split())
        assert "".join(SCRIPT.split()) in squeezed
        assert "".join(IMAGE.split()) in squeezed
        expect(page.locator(".notes-text")).to_have_text(SVG)
        expect(page.locator(".deck-title")).to_have_text(SCRIPT + IMAGE)
        page.get_by_role("button", name="Edit text").click()
        expect(page.locator("dialog input, dialog textarea").first).to_have_value(SCRIPT)
        page.keyboard.press("Escape")
        page.goto(f"{server.url}/#/library")
        expect(page.locator(".library-name")).to_have_text(SCRIPT + IMAGE)
        page.locator(".library-thumb .ss-slide").wait_for()

        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("img[src=x], svg[onload], [onerror]").count() == 0
        scripts = page.eval_on_selector_all("script", "els => els.map(e => e.src)")
        assert scripts == [f"{server.url}/web/app/main.js"]
    assert watch.errors == [] and watch.csp_violations() == []


def test_hostile_outline_text_stays_text(page: Page, server: ThreadedServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        created = http.post(f"{API}/presentation/create", json={"content": IMAGE, "n_slides": 2})
        pid = created.json()["id"]
        outline = {"slides": [{"content": SCRIPT}, {"content": IMAGE}]}
        assert http.put(f"{API}/outlines/{pid}", json=outline).status_code == 200
    page.goto(f"{server.url}/#/outline/{pid}")
    expect(page.get_by_label("Slide 1 of 2")).to_have_value(SCRIPT)
    expect(page.get_by_label("Slide 2 of 2")).to_have_value(IMAGE)
    expect(page.locator(".outline-prompt")).to_contain_text(IMAGE)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0


def test_the_page_is_served_with_a_policy_that_forbids_inline_script(
    server: ThreadedServer,
) -> None:
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.text  # only <script type="module" src=...>
    assert not re.search(r"\son[a-z]+\s*=", response.text), "an inline event handler"
    assert "style=" not in response.text


def test_a_deck_opened_before_its_outline_is_generated_starts_at_the_outline(
    page: Page, server: ThreadedServer
) -> None:
    body = {"content": "Bike lanes for Main Street", "n_slides": 3, "language": "English"}
    created = httpx.post(f"{server.url}{API}/presentation/create", json=body)
    pid = created.json()["id"]
    page.goto(f"{server.url}/#/deck/{pid}")  # e.g. a link shared before anyone went on
    expect(page.get_by_role("heading", name="Shape the outline")).to_be_visible(timeout=DEADLINE_MS)
    expect(page).to_have_url(re.compile(f"#/outline/{pid}$"))
    expect(page.locator("textarea.outline-text")).to_have_count(3, timeout=DEADLINE_MS)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("button", name="Generate slides")).to_be_enabled()
