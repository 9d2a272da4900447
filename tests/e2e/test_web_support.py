"""Helpers the web app's browser tests share (it sits with them as `test_web_*`; it holds
no tests). Decks are made through the HTTP API with sync httpx; the page is waited on
with deadlines, never with sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Page

from tests.support.flows import API, marked_outlines

T = TypeVar("T")
DEADLINE = 60.0
DEADLINE_MS = 60_000
READY = ".thumbs li[data-state=ready]"


def wait_until(probe: Callable[[], T], accept: Callable[[T], bool], what: str) -> T:
    """Call `probe` until `accept(result)`; fail naming `what` at the deadline."""
    give_up = time.monotonic() + DEADLINE
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting until {what} (last value: {value!r})")
        time.sleep(0.05)


def prepared_deck(base_url: str, n: int = 4, **create_fields: Any) -> str:
    """A presentation ready to stream, with marked outlines (the layout call made)."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        body = {"content": "Solar energy in 2025", "n_slides": n, **create_fields}
        created = http.post(f"{API}/presentation/create", json=body)
        assert created.status_code == 200, created.text
        pid = str(created.json()["id"])
        prepared = http.post(
            f"{API}/presentation/prepare",
            json={"presentation_id": pid, "outlines": marked_outlines(n)},
        )
        assert prepared.status_code == 200, prepared.text
        return pid


def finished_deck(base_url: str, n: int = 4, **create_fields: Any) -> str:
    """A deck generated to the end through its stream."""
    pid = prepared_deck(base_url, n, **create_fields)
    with (
        httpx.Client(base_url=base_url, timeout=60) as http,
        http.stream("GET", f"{API}/presentation/stream/{pid}") as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if '"type": "error"' in line:
                raise AssertionError(f"the deck failed: {line}")
            if '"type": "complete"' in line:
                break
    return pid


def presentation(base_url: str, pid: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}{API}/presentation/{pid}", timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def deck_status(base_url: str, pid: str) -> str:
    return str(presentation(base_url, pid)["generation"]["deck_status"])


def ready_slides(page: Page) -> list[tuple[int, str]]:
    """(index, slide id) of every slide drawn in the navigator, in page order."""
    rows: list[list[str]] = page.eval_on_selector_all(
        READY, "items => items.map(li => [li.dataset.index, li.dataset.slideId])"
    )
    return [(int(index), slide_id) for index, slide_id in rows]


def wait_for_slides(page: Page, count: int) -> None:
    page.locator(READY).nth(count - 1).wait_for(timeout=DEADLINE_MS)


def wait_for_view(page: Page, status: str) -> None:
    page.locator(f".deck-view[data-status={status}]").wait_for(timeout=DEADLINE_MS)


def assert_whole_deck(page: Page, base_url: str, pid: str) -> None:
    """The page shows every stored slide exactly once, in order, nothing more."""
    stored = presentation(base_url, pid)["slides"]
    shown = ready_slides(page)
    assert [index for index, _ in shown] == list(range(len(stored)))
    assert [slide_id for _, slide_id in shown] == [s["id"] for s in stored]
    assert page.locator(".thumbs li").count() == len(stored)


@dataclass
class PageWatch:
    """What the page said that a test may want to assert on."""

    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


@contextmanager
def watched(page: Page) -> Iterator[PageWatch]:
    watch = PageWatch()
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
    yield watch


def drop_file(page: Page, selector: str, name: str, text: str) -> None:
    """Drop a file on an element, as dragging it from the desktop does."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/markdown" }));
            return transfer;
        }""",
        [name, text],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def open_deck(page: Page, base_url: str, pid: str) -> None:
    page.goto(f"{base_url}/#/deck/{pid}")
    page.locator(".deck-view").wait_for(timeout=DEADLINE_MS)
