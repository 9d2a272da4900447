"""Every view of the web app, checked for accessible names (Chromium's own accessibility
tree) and, at a phone's width, for horizontal scrolling."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_web_support import (
    drop_file,
    finished_deck,
    open_deck,
    prepared_deck,
    wait_for_slides,
    wait_for_view,
    wait_until,
)
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
# Roles a person operates: each needs a name a screen reader can announce.
CONTROLS = {
    "button",
    "link",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "spinbutton",
    "slider",
    "switch",
    "tab",
    "menuitem",
    "DisclosureTriangle",
}
Check = Callable[[Page, str], None]


def unnamed_controls(page: Page) -> list[str]:
    """Controls in the page's accessibility tree without an accessible name."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    missing = []
    for node in nodes:
        if node.get("ignored"):
            continue
        role = node.get("role", {}).get("value")
        name = str(node.get("name", {}).get("value", "")).strip()
        if role in CONTROLS and not name:
            missing.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return missing


def visit_every_view(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle, check: Check
) -> None:
    """Walk through every view and dialog, calling `check(page, what)` at each."""
    page.goto(server.url + "/")
    page.locator(".template-card .ss-slide").first.wait_for()
    page.get_by_text("More options").click()
    drop_file(page, ".dropzone", "notes.md", "# Notes\n\nSome text.")
    page.locator(".upload-item[data-state=ready]").wait_for()
    check(page, "new deck")

    with httpx.Client(base_url=server.url) as http:
        pid = http.post(f"{API}/presentation/create", json={"content": "x", "n_slides": 2}).json()[
            "id"
        ]
        outline = {"slides": [{"content": "# One\n- a"}, {"content": "# Two\n- b"}]}
        http.put(f"{API}/outlines/{pid}", json=outline).raise_for_status()
    page.goto(f"{server.url}/#/outline/{pid}")
    page.locator(".outline-editor").wait_for()
    check(page, "outline")

    held = prepared_deck(server.url, 4)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
    open_deck(page, server.url, held)
    wait_for_slides(page, 2)
    wait_until(lambda: fake_llm.waiting_on(marker(2)), bool, "slide 2 to stall")
    check(page, "deck being written")
    page.get_by_role("button", name="Cancel").click()
    wait_for_view(page, "cancelled")
    check(page, "cancelled deck")

    pid = finished_deck(server.url, 3)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    check(page, "deck")
    for button in ("Edit text", "Regenerate"):
        page.get_by_role("button", name=button).click()
        page.locator("dialog[open]").wait_for()
        check(page, f"{button} dialog")
        page.keyboard.press("Escape")
        expect(page.locator("dialog")).to_have_count(0)
    page.get_by_role("button", name="Present").click()
    page.locator(".present").wait_for()
    check(page, "present mode")
    page.keyboard.press("Escape")

    page.goto(f"{server.url}/#/library")
    page.locator(".library-thumb .ss-slide").first.wait_for()
    check(page, "library")
    page.locator(".library-delete").first.click()
    page.locator("dialog[open]").wait_for()
    check(page, "delete dialog")
    page.keyboard.press("Escape")

    page.goto(f"{server.url}/#/deck/00000000-0000-4000-8000-000000000000")
    page.get_by_role("alert").wait_for()
    check(page, "error panel")


def test_every_control_has_an_accessible_name(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    problems: dict[str, list[str]] = {}

    def check(page: Page, what: str) -> None:
        missing = unnamed_controls(page)
        if missing:
            problems[what] = missing

    visit_every_view(page, server, fake_llm, check)
    assert problems == {}


def test_no_view_scrolls_sideways_on_a_phone(
    browser: Browser, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        widths: dict[str, int] = {}
        unnamed: dict[str, list[str]] = {}

        def check(page: Page, what: str) -> None:
            widths[what] = page.evaluate("() => document.documentElement.scrollWidth")
            if missing := unnamed_controls(page):
                unnamed[what] = missing

        visit_every_view(page, server, fake_llm, check)
        assert {what: width for what, width in widths.items() if width > 390} == {}
        assert len(widths) == 11
        assert unnamed == {}
    finally:
        context.close()
