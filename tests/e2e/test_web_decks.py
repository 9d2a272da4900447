"""The deck view after generation (edit, regenerate, present) and the library."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_web_support import finished_deck, open_deck, presentation, wait_for_view
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser


def test_present_mode_is_driven_by_the_keyboard(page: Page, server: ThreadedServer) -> None:
    pid = finished_deck(server.url, 4)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    present = page.get_by_role("button", name="Present")
    present.focus()
    page.keyboard.press("Enter")
    overlay = page.get_by_role("dialog", name="Presentation")
    counter = overlay.locator(".present-counter")
    expect(counter).to_have_text("1 / 4")
    for key, shown in [
        ("ArrowRight", "2 / 4"),
        ("Space", "3 / 4"),
        ("PageDown", "4 / 4"),
        ("ArrowRight", "4 / 4"),  # the last slide stays
        ("Home", "1 / 4"),
        ("ArrowLeft", "1 / 4"),  # and so does the first
        ("End", "4 / 4"),
        ("PageUp", "3 / 4"),
        ("ArrowUp", "2 / 4"),
        ("ArrowDown", "3 / 4"),
    ]:
        page.keyboard.press(key)
        expect(counter).to_have_text(shown)
    expect(overlay.locator(".ss-slide")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(overlay).to_have_count(0)
    expect(present).to_be_focused()
    # The deck view is left on the slide the talk ended on.
    expect(page.locator(".stage-position")).to_have_text("3 / 4")


def test_a_slides_text_is_edited_and_redrawn(page: Page, server: ThreadedServer) -> None:
    pid = finished_deck(server.url, 3)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    page.get_by_role("button", name="Slide 2").click()
    before = presentation(server.url, pid)["slides"]
    page.get_by_role("button", name="Edit text").click()
    dialog = page.get_by_role("dialog", name="Edit slide 2")
    first_field = dialog.locator("input, textarea").first
    first_field.fill("Rewritten by hand")
    dialog.get_by_label("Speaker notes").fill("Say this slowly.")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".notes-text")).to_have_text("Say this slowly.")
    stage_text = page.locator(".stage .ss-slide").evaluate("el => el.textContent")
    assert "Rewritten by hand" in stage_text.replace("\n", " ") or "Rewrittenbyhand" in "".join(
        stage_text.split()
    )
    after = presentation(server.url, pid)["slides"]
    assert [s["id"] for s in after] == [s["id"] for s in before]
    assert after[1]["speaker_note"] == "Say this slowly."
    assert "Rewritten by hand" in str(after[1]["content"])
    assert after[0]["content"] == before[0]["content"]
    thumb = page.locator(".thumbs li[data-index='1'] .ss-slide")
    assert "Rewrittenbyhand" in "".join(thumb.evaluate("el => el.textContent").split())


def test_one_slide_is_regenerated_with_an_instruction(
    page: Page, server: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    pid = finished_deck(server.url, 3)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    page.get_by_role("button", name="Slide 3").click()
    page.get_by_role("button", name="Regenerate").click()
    dialog = page.get_by_role("dialog", name="Regenerate slide 3")
    dialog.get_by_label("Instruction (optional)").fill("Make it punchier")
    dialog.get_by_role("button", name="Regenerate").click()
    expect(page.locator(".stage-busy")).to_be_hidden(timeout=60_000)
    calls = fake_llm.calls_mentioning(marker(2))
    assert len(calls) == 2 and "Make it punchier" in calls[-1]["user"]
    expect(page.get_by_role("alert")).to_have_count(0)


def test_the_library_lists_decks_and_deletes_after_confirmation(
    page: Page, server: ThreadedServer
) -> None:
    older = finished_deck(server.url, 2)
    newer = finished_deck(server.url, 3)
    for pid, title in ((older, "Rain gardens"), (newer, "Green roofs")):
        update = {"id": pid, "title": title}
        assert httpx.patch(f"{server.url}{API}/presentation/update", json=update).is_success
    page.goto(f"{server.url}/#/library")
    cards = page.locator(".library-card")
    expect(cards).to_have_count(2)
    assert cards.evaluate_all("els => els.map(e => e.dataset.id)") == [newer, older]
    expect(page.locator(".library-thumb .ss-slide")).to_have_count(2)  # drawn from geometry
    expect(cards.first).to_contain_text("3 slides")

    name = "Rain gardens"
    page.get_by_role("button", name=f"Delete {name}").click()
    dialog = page.get_by_role("dialog", name="Delete this deck?")
    expect(dialog).to_contain_text(name)
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(cards).to_have_count(2)
    assert httpx.get(f"{server.url}{API}/presentation/{older}").status_code == 200

    page.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete deck").click()
    expect(cards).to_have_count(1)
    assert httpx.get(f"{server.url}{API}/presentation/{older}").status_code == 404

    page.locator(".library-open").first.click()
    page.wait_for_url(f"**/#/deck/{newer}")
    wait_for_view(page, "completed")


def test_an_empty_library_says_what_to_do(page: Page, server: ThreadedServer) -> None:
    page.goto(f"{server.url}/#/library")
    expect(page.get_by_role("heading", name="No decks yet")).to_be_visible()
    page.get_by_role("link", name="Create your first deck").click()
    expect(page.get_by_label("Topic or prompt")).to_be_visible()


def test_a_deck_stopped_at_its_outline_is_in_the_library_and_opens_there(
    page: Page, server: ThreadedServer
) -> None:
    finished = finished_deck(server.url, 2)
    body = {"content": "Bike lanes", "n_slides": 4, "language": "English"}
    created = httpx.post(f"{server.url}{API}/presentation/create", json=body)
    outline_only = created.json()["id"]
    page.goto(f"{server.url}/#/library")
    cards = page.locator(".library-card")
    expect(cards).to_have_count(2)
    assert cards.evaluate_all("els => els.map(e => e.dataset.id)") == [outline_only, finished]
    waiting = page.locator(f'.library-card[data-id="{outline_only}"]')
    expect(waiting.locator(".tag")).to_have_text("Outline")
    expect(waiting.locator(".ss-slide")).to_have_count(0)
    expect(page.locator(".library-thumb .ss-slide")).to_have_count(1)
    waiting.locator(".library-open").click()
    page.wait_for_url(f"**/#/outline/{outline_only}")


def test_leaving_the_deck_takes_its_dialogs_and_present_mode_along(
    page: Page, server: ThreadedServer
) -> None:
    pid = finished_deck(server.url, 3)
    page.goto(f"{server.url}/#/library")
    page.locator(".library-open").first.click()
    page.wait_for_url(f"**/#/deck/{pid}")
    wait_for_view(page, "completed")
    page.get_by_role("button", name="Edit text").click()
    expect(page.get_by_role("dialog", name="Edit slide 1")).to_be_visible()
    page.go_back()  # the browser's Back with the editor open
    page.wait_for_url("**/#/library")
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()

    page.go_forward()
    wait_for_view(page, "completed")
    page.get_by_role("button", name="Present").click()
    expect(page.get_by_role("dialog", name="Presentation")).to_be_visible()
    page.go_back()
    page.wait_for_url("**/#/library")
    expect(page.locator(".present")).to_have_count(0)
    assert page.evaluate("() => document.body.classList.contains('presenting')") is False
    # Its key handler went with it: keys reach the library again.
    delete = page.locator(".library-delete").first
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Delete this deck?")).to_be_visible()


def test_previous_and_next_keep_the_focus_at_either_end(page: Page, server: ThreadedServer) -> None:
    pid = finished_deck(server.url, 3)
    open_deck(page, server.url, pid)
    wait_for_view(page, "completed")
    position = page.locator(".stage-position")
    following = page.get_by_role("button", name="Next slide")
    previous = page.get_by_role("button", name="Previous slide")
    following.focus()
    for shown in ("2 / 3", "3 / 3"):
        page.keyboard.press("Enter")
        expect(position).to_have_text(shown)
    expect(following).to_be_disabled()
    expect(previous).to_be_focused()
    for shown in ("2 / 3", "1 / 3"):
        page.keyboard.press("Enter")
        expect(position).to_have_text(shown)
    expect(previous).to_be_disabled()
    expect(following).to_be_focused()
