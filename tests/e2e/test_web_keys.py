"""The web app against a server that requires API keys (`auth="keys"`), in Chromium: the
sign-in it shows instead of any view, the server's words for a wrong or revoked key, the
whole flow once signed in, decks kept apart per key, signing out, a key that never appears
in any address, and a deck stream that outlives its stream token.

A stream token's expiry is made deterministic: Playwright answers the stream requests that
carry a token the test has declared expired with the server's own 401, so no test waits for
a clock. Decks are held mid-way by stalling one slide at the simulated LLM, reached through
a cuttable proxy (cutting it ends the stalled call and the provider retries it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from slidestream.app import create_app
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.e2e.test_web_access import unnamed_controls
from tests.e2e.test_web_flow import FOCUS_NAME, FOCUS_RING
from tests.e2e.test_web_support import (
    DEADLINE_MS,
    ready_slides,
    wait_for_slides,
    wait_for_view,
    wait_until,
    watched,
)
from tests.support.cut_proxy import CutProxy, cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marked_outlines, marker
from tests.support.keys import bearer, make_key, revoke_key
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
T = TypeVar("T")
KEY_STORAGE = "slidestream:api-key"
STREAM_PATH = "/api/v1/ppt/presentation/stream/"
EXPIRED_DETAIL = "The stream token has expired"


def run_async(step: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a thread of its own: sync Playwright holds this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(step())).result(timeout=60)


@dataclass
class Keyed:
    """A server that requires keys, with two owners' keys."""

    server: ThreadedServer
    settings: Settings
    alice: str
    bob: str

    @property
    def url(self) -> str:
        return self.server.url

    def http(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=bearer(key), timeout=60)

    def prepared_deck(self, key: str, n: int) -> str:
        """A deck ready to stream, owned by `key`'s owner."""
        with self.http(key) as http:
            body = {"content": "Solar energy in 2025", "n_slides": n}
            created = http.post(f"{API}/presentation/create", json=body)
            assert created.status_code == 200, created.text
            pid = str(created.json()["id"])
            prepared = http.post(
                f"{API}/presentation/prepare",
                json={"presentation_id": pid, "outlines": marked_outlines(n)},
            )
            assert prepared.status_code == 200, prepared.text
        return pid

    def finished_deck(self, key: str, n: int) -> str:
        pid = self.prepared_deck(key, n)
        with (
            self.http(key) as http,
            http.stream("GET", f"{API}/presentation/stream/{pid}") as response,
        ):
            assert response.status_code == 200
            for line in response.iter_lines():
                assert '"type": "error"' not in line, line
                if '"type": "complete"' in line:
                    break
        return pid

    def presentation(self, key: str, pid: str) -> dict[str, Any]:
        with self.http(key) as http:
            response = http.get(f"{API}/presentation/{pid}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def llm_proxy(fake_llm: FakeLLMHandle) -> Iterator[CutProxy]:
    with cut_proxy(fake_llm.url) as proxy:
        yield proxy


@pytest.fixture
def keyed(tmp_path: Path, llm_proxy: CutProxy) -> Iterator[Keyed]:
    settings = make_settings(tmp_path / "data", f"{llm_proxy.url}/v1", auth="keys")
    alice = run_async(lambda: make_key(settings, "alice"))
    bob = run_async(lambda: make_key(settings, "bob"))
    server = ThreadedServer(create_app(settings)).start()
    try:
        yield Keyed(server, settings, alice, bob)
    finally:
        server.stop()


@dataclass
class Requests:
    """Every request the page made: its URL and its Authorization header."""

    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def urls(self) -> list[str]:
        return [url for url, _ in self.seen]

    def api(self) -> list[tuple[str, str | None]]:
        return [(url, auth) for url, auth in self.seen if urlsplit(url).path.startswith("/api/")]


def record_requests(page: Page) -> Requests:
    requests = Requests()

    def note(request: Request) -> None:
        requests.seen.append((request.url, request.headers.get("authorization")))

    page.on("request", note)
    return requests


def sign_in(page: Page, key: str, *, remember: bool = False) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=DEADLINE_MS)
    page.get_by_label("API key").fill(key)
    if remember:
        page.get_by_label("Remember on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0, timeout=DEADLINE_MS)


def stored_keys(page: Page) -> dict[str, str | None]:
    return {
        "session": page.evaluate("k => sessionStorage.getItem(k)", KEY_STORAGE),
        "local": page.evaluate("k => localStorage.getItem(k)", KEY_STORAGE),
    }


def assert_whole_deck(page: Page, keyed: Keyed, key: str, pid: str) -> None:
    """The page shows every stored slide exactly once, in order, nothing more."""
    stored = keyed.presentation(key, pid)["slides"]
    shown = ready_slides(page)
    assert [index for index, _ in shown] == list(range(len(stored)))
    assert [slide_id for _, slide_id in shown] == [s["id"] for s in stored]
    assert page.locator(".thumbs li").count() == len(stored)


def assert_key_in_no_url(requests: Requests, *keys: str) -> None:
    assert requests.seen, "no requests were recorded"
    for url in requests.urls():
        for key in keys:
            assert key not in url
            assert key.split("_", 2)[2] not in url  # not even its secret part


# --- signing in --------------------------------------------------------------------------


def test_the_app_asks_for_a_key_and_a_right_one_runs_prompt_to_slides(
    page: Page, keyed: Keyed
) -> None:
    requests = record_requests(page)
    with watched(page) as watch:
        page.goto(keyed.url + "/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=DEADLINE_MS)
        assert page.locator(".new-deck").count() == 0
        assert page.get_by_role("button", name="Sign out").is_hidden()

        # Wrong keys: the server's detail, in its words; nothing is kept.
        page.get_by_label("API key").fill("not-a-key")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Invalid API key")
        expect(page.get_by_role("alert")).to_contain_text("did not accept this key")
        page.get_by_label("API key").fill("ssk_000000000000_wrongwrongwrong")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Invalid or revoked API key")
        expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
        assert stored_keys(page) == {"session": None, "local": None}

        sign_in(page, keyed.alice)
        signed_in = len(requests.seen)
        # This tab only, unless asked to remember.
        assert stored_keys(page) == {"session": keyed.alice, "local": None}
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        page.get_by_label("Topic or prompt").fill("Community solar for Riverside")
        page.get_by_label("Slides", exact=True).fill("4")
        page.get_by_role("button", name="Write the outline").click()
        page.locator(".outline-editor").wait_for(timeout=DEADLINE_MS)
        pid = page.url.split("#/outline/")[1].split("?")[0]
        expect(page.locator(".outline-editor textarea")).to_have_count(4)
        page.get_by_role("button", name="Generate slides").click()
        page.wait_for_url(f"**/#/deck/{pid}")
        wait_for_view(page, "completed")
        assert_whole_deck(page, keyed, keyed.alice, pid)
    assert watch.errors == [] and watch.csp_violations() == []

    # The deck is alice's.
    assert keyed.presentation(keyed.alice, pid)["id"] == pid
    with keyed.http(keyed.bob) as http:
        assert http.get(f"{API}/presentation/{pid}").status_code == 404

    # Requests carried the key in their header, streams a token in the query; the key was
    # in no address at all.
    assert_key_in_no_url(requests, keyed.alice)
    api_calls = Requests(requests.seen[signed_in:]).api()
    streams = [url for url, _ in api_calls if "/stream/" in urlsplit(url).path]
    assert any("/outlines/stream/" in url for url in streams)
    assert any(STREAM_PATH in url for url in streams)
    assert all(parse_qs(urlsplit(url).query).get("token") for url in streams)
    others = [(url, auth) for url, auth in api_calls if "/stream/" not in urlsplit(url).path]
    others = [(url, auth) for url, auth in others if not url.endswith("/api/web/fonts.css")]
    assert others and all(auth == f"Bearer {keyed.alice}" for _, auth in others)


def test_a_second_key_does_not_see_the_first_keys_decks(page: Page, keyed: Keyed) -> None:
    pid = keyed.finished_deck(keyed.alice, 2)
    title = keyed.presentation(keyed.alice, pid)["title"]
    page.goto(keyed.url + "/#/library")
    sign_in(page, keyed.bob)
    expect(page.get_by_role("heading", name="No decks yet")).to_be_visible(timeout=DEADLINE_MS)

    # Alice's deck's own address: not found for bob (the server says 404).
    page.goto(f"{keyed.url}/#/deck/{pid}")
    expect(page.get_by_role("alert")).to_contain_text("not found", ignore_case=True)
    assert page.locator(".ss-slide").count() == 0

    page.get_by_role("button", name="Sign out").click()
    page.goto(keyed.url + "/#/library")
    sign_in(page, keyed.alice)
    expect(page.locator(".library-grid > li")).to_have_count(1, timeout=DEADLINE_MS)
    if title:
        expect(page.locator(".library-grid")).to_contain_text(title)


def test_sign_out_forgets_the_key_and_returns_to_sign_in(page: Page, keyed: Keyed) -> None:
    page.goto(keyed.url + "/#/library")
    sign_in(page, keyed.alice, remember=True)
    assert stored_keys(page) == {"session": None, "local": keyed.alice}
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()

    # Remembered: a reload (and a new tab) opens signed in.
    page.reload()
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible(timeout=DEADLINE_MS)
    other = page.context.new_page()
    other.goto(keyed.url + "/#/library")
    expect(other.get_by_role("heading", name="Your decks")).to_be_visible(timeout=DEADLINE_MS)
    other.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="You are signed out")).to_be_visible()
    assert stored_keys(page) == {"session": None, "local": None}
    assert page.get_by_role("button", name="Sign out").is_hidden()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=DEADLINE_MS)
    # Every address leads to the sign-in while signed out.
    page.goto(keyed.url + "/#/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.locator(".new-deck").count() == 0


def test_a_key_revoked_while_signed_in_brings_the_sign_in_back_with_the_servers_words(
    page: Page, keyed: Keyed
) -> None:
    pid = keyed.finished_deck(keyed.alice, 2)
    page.goto(f"{keyed.url}/#/deck/{pid}")
    sign_in(page, keyed.alice)
    wait_for_view(page, "completed")

    run_async(lambda: revoke_key(keyed.settings, keyed.alice))
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=DEADLINE_MS)
    alert = page.get_by_role("alert").filter(has_text="did not accept your API key")
    expect(alert).to_contain_text("Invalid or revoked API key")
    assert stored_keys(page) == {"session": None, "local": None}

    # Another key works at once, and the view asked for comes back.
    sign_in(page, keyed.bob)
    expect(page.get_by_role("heading", name="No decks yet")).to_be_visible(timeout=DEADLINE_MS)


def test_the_sign_in_works_with_the_keyboard_alone_and_on_a_phone(
    browser: Browser, keyed: Keyed
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        with watched(page) as watch:
            page.goto(keyed.url + "/")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=DEADLINE_MS)
            expect(page.get_by_label("API key")).to_be_focused()
            assert unnamed_controls(page) == []
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

            page.keyboard.type(keyed.alice)
            assert page.evaluate(FOCUS_RING), "the key field shows no focus indicator"
            page.keyboard.press("Tab")
            assert page.evaluate(FOCUS_NAME) == "Remember on this device"
            assert page.evaluate(FOCUS_RING), "the checkbox shows no focus indicator"
            page.keyboard.press("Space")
            page.keyboard.press("Tab")
            assert page.evaluate(FOCUS_NAME) == "Sign in"
            assert page.evaluate(FOCUS_RING), "the button shows no focus indicator"
            page.keyboard.press("Enter")
            page.locator(".new-deck").wait_for(timeout=DEADLINE_MS)
            assert stored_keys(page) == {"session": None, "local": keyed.alice}
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            assert unnamed_controls(page) == []
        assert watch.errors == [] and watch.csp_violations() == []
    finally:
        context.close()


# --- streams and their tokens --------------------------------------------------------------


class ExpiringTokens:
    """Answers stream requests carrying an expired token as the server would (401)."""

    def __init__(self) -> None:
        self.expired: set[str] = set()
        self.refused: list[str] = []

    def handle(self, route: Route) -> None:
        token = parse_qs(urlsplit(route.request.url).query).get("token", [""])[-1]
        if token not in self.expired:
            route.continue_()
            return
        self.refused.append(route.request.url)
        route.fulfill(
            status=401,
            content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="slidestream", error="invalid_token"'},
            body=json.dumps({"detail": EXPIRED_DETAIL}),
        )


def stream_requests(requests: Requests, pid: str) -> list[dict[str, list[str]]]:
    """The query of every deck stream request for `pid`, in order."""
    return [
        parse_qs(urlsplit(url).query)
        for url in requests.urls()
        if urlsplit(url).path == f"{STREAM_PATH}{pid}"
    ]


def test_a_deck_stream_outlives_an_expired_token_without_losing_or_repeating_slides(
    page: Page, keyed: Keyed, fake_llm: FakeLLMHandle, llm_proxy: CutProxy
) -> None:
    slides, held = 6, 3
    pid = keyed.prepared_deck(keyed.alice, slides)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(held)})
    tokens = ExpiringTokens()
    page.route(f"**{STREAM_PATH}**", tokens.handle)
    requests = record_requests(page)
    with watched(page) as watch, cut_proxy(keyed.url) as network:
        page.goto(f"{network.url}/#/deck/{pid}")
        sign_in(page, keyed.alice)
        wait_for_slides(page, held)
        wait_until(lambda: fake_llm.waiting_on(marker(held)), bool, f"slide {held} to stall")
        first = stream_requests(requests, pid)
        assert len(first) == 1
        first_token = first[0]["token"][0]

        # The token expires while the stream is open; then the connection drops. The
        # browser's own reconnect (with the old token) is refused with 401: the page mints
        # a new token and goes on after the last event it had.
        tokens.expired.add(first_token)

        def fresh_stream(request: Request) -> bool:
            url = urlsplit(request.url)
            token = parse_qs(url.query).get("token", [""])[-1]
            return url.path == f"{STREAM_PATH}{pid}" and token not in ("", first_token)

        # (Waiting through Playwright: the routing above runs only while it is called.)
        with page.expect_request(fresh_stream, timeout=DEADLINE_MS):
            network.cut()
        page.locator(".generation[data-connection=open]").wait_for(timeout=DEADLINE_MS)
        assert [index for index, _ in ready_slides(page)] == list(range(held))

        llm_proxy.cut()  # the stalled slide's call ends; the provider retries it
        wait_for_view(page, "completed")
        assert_whole_deck(page, keyed, keyed.alice, pid)
    assert watch.errors == []
    assert tokens.refused, "the expired token was never presented"
    later = stream_requests(requests, pid)[1:]
    fresh = [query for query in later if query["token"][0] != first_token]
    assert fresh, "no stream was opened with a new token"
    # Resumed from where it was, not replayed from the start.
    assert fresh[0].get("last_event_id"), fresh[0]
    mints = [url for url in requests.urls() if "/presentation/stream_token/" in url]
    assert len(mints) == 2
    assert_key_in_no_url(requests, keyed.alice)
    assert page.locator(".gen-problem").inner_text() == ""
