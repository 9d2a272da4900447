"""The browser helper `/web/slidestream.js` against servers that require API keys: its
`token` option (a string, or a function asked before each connection the helper opens and
once more after a 401), and its `fetch` and `headers` options for the stored-presentation
read it makes on servers without event ids.

A refused token is made deterministic by handing the helper a token minted for another
deck: the server answers 401 ("The stream token is for another deck") at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from slidestream.app import create_app
from tests.conftest import make_settings
from tests.e2e.test_slidestream_js import (
    assert_finished_and_closed,
    open_helper,
    recorded,
    slide_indices,
    wait_for_result,
    wait_for_slides,
)
from tests.e2e.test_slidestream_js_network import (
    FAST_BACKOFF,
    HOLDING,
    assert_whole_deck_once,
    connection_events,
    hold_at,
    wait_for_connection_events,
)
from tests.e2e.test_web_keys import run_async
from tests.support.cut_proxy import CutProxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marked_outlines
from tests.support.keys import bearer, make_key
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
DEADLINE_S = 60.0
OTHER_DECK = "The stream token is for another deck"

# In the page: `mint(pid)` gets a stream token with the key, and `tokens(pids)` a `token`
# option that answers with the token of each deck in `pids` in turn (the last one from then
# on), recording each call's argument in `window.tokenCalls`.
TOKENS = """
({ key }) => {
  window.tokenCalls = [];
  window.mint = async (pid) => {
    const response = await fetch(`/api/v1/ppt/presentation/stream_token/${pid}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}` },
    });
    if (!response.ok) {
      const error = new Error((await response.json()).detail);
      error.status = response.status;
      throw error;
    }
    return (await response.json()).token;
  };
  window.tokens = (pids) => async (argument) => {
    window.tokenCalls.push(argument);
    return window.mint(pids[Math.min(window.tokenCalls.length - 1, pids.length - 1)]);
  };
  return true;
}
"""


@dataclass
class KeyedServer:
    server: ThreadedServer
    key: str

    @property
    def url(self) -> str:
        return self.server.url

    def prepared_deck(self, n: int) -> str:
        with httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=30) as http:
            created = http.post(
                f"{API}/presentation/create", json={"content": "Solar energy", "n_slides": n}
            )
            assert created.status_code == 200, created.text
            pid = str(created.json()["id"])
            prepared = http.post(
                f"{API}/presentation/prepare",
                json={"presentation_id": pid, "outlines": marked_outlines(n)},
            )
            assert prepared.status_code == 200, prepared.text
        return pid

    def stored(self, pid: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}{API}/presentation/{pid}", headers=bearer(self.key), timeout=30
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def keyed_server(tmp_path: Path, llm_url: str, **overrides: object) -> Iterator[KeyedServer]:
    """A server that requires keys, and a key for it (made before it starts)."""
    settings = make_settings(tmp_path / "data", llm_url, auth="keys", **overrides)
    key = run_async(lambda: make_key(settings, "alice"))
    server = ThreadedServer(create_app(settings)).start()
    try:
        yield KeyedServer(server, key)
    finally:
        server.stop()


@pytest.fixture
def keyed(tmp_path: Path, fake_llm: FakeLLMHandle) -> Iterator[KeyedServer]:
    with keyed_server(tmp_path, fake_llm.api_url) as server:
        yield server


def start_with(page: Page, pid: str, options: str) -> None:
    """`watch(ss.streamDeck(pid, {EventSourceImpl: SpyEventSource, ...options}))`."""
    page.evaluate(
        f"pid => watch(ss.streamDeck(pid, {{ EventSourceImpl: SpyEventSource, ...{options} }}))",
        pid,
    )


def open_keyed_helper(page: Page, keyed: KeyedServer) -> None:
    open_helper(page, keyed.url)
    page.evaluate(TOKENS, {"key": keyed.key})


def source_urls(page: Page) -> list[str]:
    urls: list[str] = page.evaluate("() => window.sources.map(s => s.url)")
    return urls


def test_a_refused_token_is_asked_for_again_once_and_the_deck_streams_to_the_end(
    page: Page, keyed: KeyedServer
) -> None:
    other = keyed.prepared_deck(1)
    pid = keyed.prepared_deck(4)
    open_keyed_helper(page, keyed)
    start_with(page, pid, f"{{ token: tokens({json.dumps([other, pid])}) }}")
    result = wait_for_result(page)

    assert_whole_deck_once(page, result, 4)
    assert page.evaluate("() => window.tokenCalls") == [{"refresh": False}, {"refresh": True}]
    refused = [e for e in connection_events(page, "reconnecting") if e.get("status") == 401]
    assert refused == [
        {"state": "reconnecting", "attempt": 1, "delay": 0, "status": 401, "detail": OTHER_DECK}
    ]
    urls = source_urls(page)
    assert len(urls) == 2 and all("token=" in url for url in urls)
    assert urls[0] != urls[1]
    assert_finished_and_closed(recorded(page), "complete")


def test_a_second_refusal_in_a_row_ends_the_stream_with_the_servers_401(
    page: Page, keyed: KeyedServer
) -> None:
    other = keyed.prepared_deck(1)
    pid = keyed.prepared_deck(2)
    open_keyed_helper(page, keyed)
    start_with(page, pid, f"{{ token: tokens({json.dumps([other])}) }}")
    result = wait_for_result(page)

    assert result == {"type": "error", "detail": OTHER_DECK, "reason": "http", "status": 401}
    assert len(page.evaluate("() => window.tokenCalls")) == 2
    assert_finished_and_closed(recorded(page), "error")


def test_a_token_string_is_sent_as_is_and_never_refreshed(page: Page, keyed: KeyedServer) -> None:
    other = keyed.prepared_deck(1)
    pid = keyed.prepared_deck(3)
    open_keyed_helper(page, keyed)
    good = page.evaluate("pid => mint(pid)", pid)
    start_with(page, pid, json.dumps({"token": good}))
    assert_whole_deck_once(page, wait_for_result(page), 3)
    assert f"token={good}" in source_urls(page)[0]

    page.evaluate("() => { window.events = []; window.sources = []; window.result = undefined; }")
    wrong = page.evaluate("pid => mint(pid)", other)
    start_with(page, pid, json.dumps({"token": wrong}))
    assert wait_for_result(page) == {
        "type": "error",
        "detail": OTHER_DECK,
        "reason": "http",
        "status": 401,
    }
    assert len(source_urls(page)) == 1


def test_a_token_function_that_fails_is_retried_unless_it_says_4xx(
    page: Page, keyed: KeyedServer
) -> None:
    pid = keyed.prepared_deck(2)
    open_keyed_helper(page, keyed)
    # First call: a network failure (retried with backoff); then a real token.
    page.evaluate(
        """pid => {
          window.calls = 0;
          window.flaky = async () => {
            window.calls += 1;
            if (window.calls === 1) throw new TypeError("Failed to fetch");
            return mint(pid);
          };
        }""",
        pid,
    )
    options = json.loads(FAST_BACKOFF)
    start_with(page, pid, f"{{ ...{json.dumps(options)}, token: flaky }}")
    assert_whole_deck_once(page, wait_for_result(page), 2)
    retried = connection_events(page, "reconnecting")
    assert retried[0]["detail"] == "Failed to fetch" and "status" not in retried[0]
    assert page.evaluate("() => window.calls") == 2

    # A 401 from the token function itself (a revoked key, say): the stream ends.
    page.evaluate("() => { window.events = []; window.sources = []; window.result = undefined; }")
    start_with(page, pid, "{ token: () => mint('00000000-0000-4000-8000-000000000000') }")
    result = wait_for_result(page)
    assert result["type"] == "error" and result["reason"] == "http"
    assert result["status"] == 404  # no such deck for this key
    assert source_urls(page) == []


# --- the stored-presentation read on a server without ids -----------------------------------


@pytest.fixture
def strict_keyed(tmp_path: Path, fake_llm: FakeLLMHandle) -> Iterator[tuple[KeyedServer, CutProxy]]:
    with keyed_server(tmp_path, fake_llm.api_url, **HOLDING, presenton_strict=True) as keyed:
        proxy = CutProxy(keyed.url).start()
        try:
            yield keyed, proxy
        finally:
            proxy.stop()
            fake_llm.clear_faults()


def test_the_stored_read_uses_the_fetch_and_headers_options(
    page: Page, strict_keyed: tuple[KeyedServer, CutProxy], fake_llm: FakeLLMHandle
) -> None:
    keyed, proxy = strict_keyed
    pid = keyed.prepared_deck(5)
    hold_at(fake_llm, 2)
    open_helper(page, proxy.url)
    page.evaluate(TOKENS, {"key": keyed.key})
    page.evaluate(
        """key => {
          window.fetched = [];
          window.myFetch = (url, init) => {
            window.fetched.push({ url: String(url), headers: { ...(init?.headers ?? {}) } });
            return fetch(url, init);
          };
          window.authHeaders = async () => ({ Authorization: `Bearer ${key}` });
        }""",
        keyed.key,
    )
    start_with(
        page,
        pid,
        f"{{ ...{FAST_BACKOFF}, token: tokens([{json.dumps(pid)}]), "
        "fetch: myFetch, headers: authHeaders }",
    )
    wait_for_slides(page, 2)
    before = len(connection_events(page, "reconnecting"))
    proxy.block()
    # The hang-up, then a stored read that failed (the network is down).
    wait_for_connection_events(page, "reconnecting", before + 2)
    fake_llm.clear_faults()
    stored = wait_for_completed(keyed, pid)
    proxy.restore()
    result = wait_for_result(page)

    assert_whole_deck_once(page, result, 5)
    assert result["presentation"] == stored
    stored_reads = [f for f in page.evaluate("() => window.fetched") if "/stream/" not in f["url"]]
    assert stored_reads, "the stored presentation was not read through the fetch option"
    for read in stored_reads:
        assert read["url"] == f"{proxy.url}{API}/presentation/{pid}"  # no token, no query
        assert read["headers"]["Authorization"] == f"Bearer {keyed.key}"
        assert read["headers"]["Accept"] == "application/json"
    assert slide_indices(page) == list(range(5))
    assert len(source_urls(page)) == 1  # finished from storage, no second stream


def wait_for_completed(keyed: KeyedServer, pid: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        stored = keyed.stored(pid)
        if stored["generation"]["deck_status"] == "completed":
            return stored
        assert time.monotonic() < deadline, f"deck still {stored['generation']}"
        time.sleep(0.05)
