"""The web app end to end in Chromium: prompt, document dropped on the form, outline
written live and edited, slides, downloads; and the same form used with the keyboard only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from pptx import Presentation

from tests.e2e.test_web_support import (
    DEADLINE_MS,
    assert_whole_deck,
    drop_file,
    presentation,
    wait_for_view,
    wait_until,
    watched,
)
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
DOCUMENT = "# Co-op notes\n\nMembers of the Riverside solar co-op save 23 percent on power.\n"


def outline_texts(page: Page) -> list[str]:
    return page.locator(".outline-editor textarea").evaluate_all("els => els.map(e => e.value)")


def test_prompt_to_downloaded_pptx(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, tmp_path: Path
) -> None:
    with watched(page) as watch:
        page.goto(server.url + "/")
        page.get_by_label("Topic or prompt").fill("Community solar for Riverside")
        page.get_by_label("Slides", exact=True).fill("5")
        page.get_by_label("Language").fill("English")
        page.get_by_label("Tone").select_option("professional")
        page.get_by_label("Text per slide").select_option("concise")
        page.locator(".template-card[data-template=modern]").click()
        drop_file(page, ".dropzone", "co-op notes.md", DOCUMENT)
        expect(page.locator(".upload-item[data-state=ready]")).to_have_count(1)
        expect(page.locator(".upload-item")).to_contain_text("co-op notes.md")
        page.get_by_role("button", name="Write the outline").click()

        page.locator(".outline-editor").wait_for(timeout=DEADLINE_MS)
        assert "template=modern" in page.url
        pid = page.url.split("#/outline/")[1].split("?")[0]
        expect(page.locator(".outline-editor textarea")).to_have_count(5)
        page.get_by_role("button", name="Generate slides").click()

        page.wait_for_url(f"**/#/deck/{pid}")
        wait_for_view(page, "completed")
        assert_whole_deck(page, server.url, pid)
        expect(page.locator(".stage .ss-slide")).to_have_count(1)

        with page.expect_download() as pptx_download:
            page.get_by_role("button", name="Download as PowerPoint (PPTX)").click()
        pptx_path = tmp_path / pptx_download.value.suggested_filename
        pptx_download.value.save_as(pptx_path)
        with page.expect_download() as pdf_download:
            page.get_by_role("button", name="Download as PDF").click()
        pdf_path = tmp_path / pdf_download.value.suggested_filename

        pdf_download.value.save_as(pdf_path)
    assert pptx_path.suffix == ".pptx" and pdf_path.suffix == ".pdf"
    assert len(Presentation(str(pptx_path)).slides) == 5
    assert pdf_path.read_bytes().startswith(b"%PDF")
    deck = presentation(server.url, pid)
    assert deck["tone"] == "professional" and deck["verbosity"] == "concise"
    assert {s["layout_group"] for s in deck["slides"]} == {"modern"}
    # The dropped document reached the model.
    assert any("Riverside solar co-op" in call["user"] for call in fake_llm.calls())
    assert watch.errors == [] and watch.csp_violations() == []


def test_outline_edits_reach_the_generated_deck(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Topic or prompt").fill("Heat pumps for old houses")
    page.get_by_label("Slides", exact=True).fill("4")
    page.get_by_role("button", name="Write the outline").click()
    page.locator(".outline-editor").wait_for(timeout=DEADLINE_MS)
    pid = page.url.split("#/outline/")[1].split("?")[0]
    first, second, third, _fourth = outline_texts(page)

    page.get_by_label("Slide 1 of 4").fill("# Why heat pumps EDITEDMARK\n\n- They move heat")
    page.get_by_role("button", name="Move slide 3 up").click()  # by keyboard control
    expect(page.get_by_role("button", name="Move slide 2 up")).to_be_focused()
    page.get_by_role("button", name="Delete slide 4").click()
    page.get_by_role("button", name="Add a slide").click()
    expect(page.get_by_label("Slide 4 of 4")).to_be_focused()
    page.keyboard.type("# Next steps ADDEDMARK")
    # Drag the new last slide above the first one, by its handle.
    page.locator(".outline-item").nth(3).locator(".drag-handle").drag_to(
        page.locator(".outline-item").nth(0), target_position={"x": 40, "y": 8}
    )
    expected = ["# Next steps ADDEDMARK", "# Why heat pumps EDITEDMARK\n\n- They move heat"]
    expected += [third, second]
    assert outline_texts(page) == expected
    assert first not in outline_texts(page)

    page.get_by_role("button", name="Generate slides").click()
    wait_for_view(page, "completed")
    stored = httpx.get(f"{server.url}{API}/outlines/{pid}").json()["slides"]
    assert [s["content"] for s in stored] == expected
    assert_whole_deck(page, server.url, pid)
    assert len(presentation(server.url, pid)["slides"]) == 4
    # Each slide was written from its edited outline, in the new order.
    for marker_text in ("ADDEDMARK", "EDITEDMARK"):
        slide_calls = [
            call
            for call in fake_llm.calls()
            if marker_text in call["user"] and "one presentation slide" in call["system"]
        ]
        assert len(slide_calls) == 1, marker_text


def test_the_new_deck_form_works_with_the_keyboard_alone(
    page: Page, server: ThreadedServer
) -> None:
    page.goto(server.url + "/")
    page.locator(".template-card").first.wait_for()

    def tab_to(name: str, limit: int = 40) -> None:
        """Press Tab until the focused control has this accessible name; check its ring."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(FOCUS_NAME) == name:
                assert page.evaluate(FOCUS_RING), f"{name} shows no focus indicator"
                return
        raise AssertionError(f"Tab never reached {name!r}")

    page.keyboard.press("Tab")  # from the page into its controls
    tab_to("Topic or prompt")
    page.keyboard.type("Keyboard-only deck about rain gardens")
    tab_to("Slides")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    tab_to("Tone")
    page.keyboard.press("ArrowDown")
    tab_to("General")
    page.keyboard.press("ArrowRight")  # radio group: the next template
    assert page.locator(".template-card input:checked").get_attribute("value") == "modern"
    tab_to("More options")
    page.keyboard.press("Enter")
    tab_to("Instructions for the writer")
    page.keyboard.type("Short titles.")
    tab_to("Write the outline")
    page.keyboard.press("Enter")

    page.locator(".outline-editor").wait_for(timeout=DEADLINE_MS)
    assert "template=modern" in page.url
    pid = page.url.split("#/outline/")[1].split("?")[0]
    created = httpx.get(f"{server.url}{API}/presentation/{pid}").json()
    assert created["n_slides"] == 3 and created["tone"] == "professional"
    assert json.dumps(created).count("rain gardens") >= 1
    tab_to("Generate slides")
    page.keyboard.press("Enter")
    wait_for_view(page, "completed")
    assert {s["layout_group"] for s in presentation(server.url, pid)["slides"]} == {"modern"}


# The focused element's name as the tests need it (aria-label, label or text), and whether
# a focus indicator is drawn (its own outline, or its card's for a template radio). Run
# through page.evaluate, which the page's Content-Security-Policy does not restrict.
FOCUS_NAME = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
  if (el.labels && el.labels.length) {
    const name = el.labels[0].querySelector(".template-name");
    return (name ? name.firstChild.textContent : el.labels[0].textContent).trim();
  }
  return el.textContent.trim();
}"""
FOCUS_RING = """() => {
  const el = document.activeElement;
  const drawn = (node) => {
    const style = getComputedStyle(node);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  };
  return drawn(el) || (el.closest("label") ? drawn(el.closest("label")) : false);
}"""


def test_a_page_left_while_its_request_runs_does_not_pull_the_person_back(
    page: Page, server: ThreadedServer
) -> None:
    body = {"content": "Bike lanes for Main Street", "n_slides": 3, "language": "English"}
    pid = httpx.post(f"{server.url}{API}/presentation/create", json=body).json()["id"]
    page.goto(f"{server.url}/#/outline/{pid}")
    generate = page.get_by_role("button", name="Generate slides")
    expect(generate).to_be_enabled(timeout=DEADLINE_MS)
    held: list[Route] = []
    page.route("**/presentation/prepare", lambda route: held.append(route))
    generate.click()
    # Playwright runs the route handler while the page is being waited on.
    wait_until(lambda: page.wait_for_timeout(20) or len(held), bool, "prepare to be held")
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()
    with page.expect_response("**/presentation/prepare") as answered:
        held[0].continue_()
    assert answered.value.ok
    # Let the page run what follows the answer (a navigation, if it were wrong).
    page.evaluate("() => new Promise((done) => setTimeout(done, 200))")
    expect(page).to_have_url(re.compile("#/library$"))
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()
