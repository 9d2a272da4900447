"""Security review of the access-control work (3c5595a..HEAD), over real HTTP on loopback.

The first group pins down the defects the review found (each failed before its fix); the
others pin down holes that turned out closed and that the other access suites do not cover
(path normalisation, stream-token misuse, the stream's 204 path, loopback detection)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.access import KeyStore
from slidestream.app import create_app
from slidestream.errors import InvalidInput
from slidestream.settings import Settings, is_loopback
from slidestream.storage.database import create_engine, migrate
from slidestream.storage.repository import Repository
from tests.access.support import (
    GENERATE_ASYNC,
    Deployment,
    assert_unauthorized,
    deployment,
    markdown_slides,
    presentations_count,
    task_finished,
)
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, outline_url
from tests.support.keys import bearer, make_key, revoke_key
from tests.support.servers import ThreadedServer


async def create(http: httpx.AsyncClient, content: str = "Kelp forests") -> str:
    response = await http.post(
        f"{API}/presentation/create", json={"content": content, "n_slides": 2}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def generated(http: httpx.AsyncClient, n: int = 2) -> dict[str, Any]:
    """A finished one-shot deck of the caller's, with its slides."""
    task = await http.post(
        GENERATE_ASYNC, json={"content": "", "slides_markdown": markdown_slides(n)}
    )
    assert task.status_code == 200, task.text
    assert (await task_finished(http, task.json()["id"]))["status"] == "completed"
    pid = task.json()["data"]["presentation_id"]
    deck: dict[str, Any] = (await http.get(f"{API}/presentation/{pid}")).json()
    return deck


async def mint(http: httpx.AsyncClient, pid: str) -> str:
    response = await http.post(f"{API}/presentation/stream_token/{pid}")
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


# --- defects the review found, now fixed -----------------------------------------------


@pytest.fixture
async def behind_prefix(tmp_path: Path, fake_llm: FakeLLMHandle) -> AsyncIterator[ThreadedServer]:
    """A keyed server run as `uvicorn --root-path /slides` (a proxy that serves the app
    under a path prefix and strips it), with a key for alice."""
    settings = make_settings(tmp_path / "data", fake_llm.api_url, auth="keys")
    await make_key(settings, "alice")
    server = ThreadedServer(create_app(settings))
    server.server.config.root_path = "/slides"
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_root_path_does_not_switch_keys_off(
    behind_prefix: ThreadedServer, fake_llm: FakeLLMHandle
) -> None:
    """With a root_path, uvicorn puts it in front of scope["path"]: keys must be checked
    on the path the router strips it from, or `/slides/api/...` would pass as public while
    the route runs (decks made and generated with no key, outside every limit)."""
    async with httpx.AsyncClient(base_url=behind_prefix.url, timeout=30) as http:
        body = {"content": "", "slides_markdown": markdown_slides(1)}
        assert_unauthorized(await http.post(GENERATE_ASYNC, json=body))
        assert_unauthorized(
            await http.post(f"{API}/presentation/create", json={"content": "x", "n_slides": 2})
        )
        assert_unauthorized(await http.get(f"{API}/presentation/all"))
    assert fake_llm.calls() == []


async def test_a_refused_generation_does_not_spend_the_hourly_budget(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    """A request refused for its content (400/413) does not use up one of the key's
    hourly generations: a start is counted only once the job is stored."""
    settings = make_settings(
        tmp_path / "data",
        fake_llm.api_url,
        auth="keys",
        key_generations_per_hour=1,
        key_max_active_generations=0,
        max_content_chars=100,
    )
    async with deployment(settings) as keyed, keyed.client(keyed.alice) as alice:
        too_long = await alice.post(GENERATE_ASYNC, json={"content": "x" * 200, "n_slides": 2})
        assert too_long.status_code == 413, too_long.text
        toc = await alice.post(
            GENERATE_ASYNC,
            json={"content": "Tides", "n_slides": 2, "include_table_of_contents": True},
        )
        assert toc.status_code == 400, toc.text
        assert await presentations_count(settings) == 0  # nothing was generated
        good = await alice.post(
            GENERATE_ASYNC, json={"content": "", "slides_markdown": markdown_slides(1)}
        )
        assert good.status_code == 200, (good.status_code, good.text)


async def test_a_slide_id_of_another_owner_cannot_be_probed_through_update(
    keyed: Deployment,
) -> None:
    """PATCH /presentation/update answers a slide id of another owner's deck exactly as an
    id nobody has, so it tells nothing about which ids exist (decision 0013)."""
    async with keyed.client(keyed.alice) as alice:
        theirs = (await generated(alice, 1))["slides"][0]
    async with keyed.client(keyed.bob) as bob:
        own = await create(bob, "Bob's")

        def update(slide_id: str) -> dict[str, Any]:
            slide = {
                "id": slide_id,
                "index": 0,
                "layout_group": theirs["layout_group"],
                "layout": theirs["layout"],
                "content": {"title": "Probe"},
            }
            return {"id": own, "slides": [slide]}

        foreign = await bob.patch(f"{API}/presentation/update", json=update(theirs["id"]))
        unknown = await bob.patch(f"{API}/presentation/update", json=update(str(uuid.uuid4())))
        assert foreign.status_code == unknown.status_code, (foreign.text, unknown.text)


async def test_a_key_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """A name is matched whole: `alice\\n` would list like `alice` but own none of her decks,
    and put a raw newline into log lines."""
    settings = make_settings(tmp_path / "data", None)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        store = KeyStore(Repository(engine), settings.stream_token_seconds)
        with pytest.raises(InvalidInput):
            await store.create("alice\n")
    finally:
        await engine.dispose()


# --- holes that turned out closed -----------------------------------------------------------


async def test_path_variants_reach_nothing_without_a_key(keyed: Deployment) -> None:
    """Double slashes, a trailing slash, `%2F`, a different case, an escaped letter, HEAD
    and OPTIONS: each is 401 or reaches no route, and never shows the deck."""
    async with keyed.client(keyed.alice) as alice:
        pid = await create(alice)
    base = keyed.server.url
    variants = [
        ("GET", f"{base}//api/v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/api//v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/api/v1/ppt/presentation/{pid}/"),
        ("GET", f"{base}/api/v1/ppt/presentation%2F{pid}"),
        ("GET", f"{base}/api%2Fv1/ppt/presentation/{pid}"),
        ("GET", f"{base}/%61pi/v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/API/v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/api/v1/ppt/presentation/all/"),
        ("HEAD", f"{base}/api/v1/ppt/presentation/{pid}"),
        ("OPTIONS", f"{base}/api/v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/web/../api/v1/ppt/presentation/{pid}"),
        ("GET", f"{base}/app_data/images/../../api/v1/ppt/presentation/{pid}"),
    ]
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
        for method, url in variants:
            response = await http.request(method, url)
            assert response.status_code in (401, 404, 405), (method, url, response.status_code)
            assert pid not in response.text or response.status_code == 401, (method, url)
            assert "Kelp" not in response.text, (method, url)


async def test_stream_token_misuse_is_refused(keyed: Deployment) -> None:
    """A token is no key (as a Bearer), opens no other route even through path variants,
    no other deck, and a key in the header decides over a token in the query."""
    async with keyed.client(keyed.alice) as alice:
        pid = await create(alice)
        token = await mint(alice, pid)
    async with keyed.client(keyed.bob) as bob:
        bobs = await create(bob, "Bob's")
    base = keyed.server.url
    async with httpx.AsyncClient(timeout=30) as http:
        assert_unauthorized(
            await http.get(f"{base}{API}/presentation/{pid}", headers=bearer(token))
        )
        assert_unauthorized(await http.get(f"{base}{deck_url(pid)}", headers=bearer(token)))
        for url in [
            f"{base}{API}/presentation/{pid}",
            f"{base}{API}/presentation/all",
            f"{base}{API}/presentation/stream_token/{pid}",
            f"{base}{API}/presentation/download/{pid}",
            f"{base}{deck_url(bobs)}",
            f"{base}{outline_url(bobs)}",
            f"{base}{API}/presentation/stream/{pid}/../{bobs}",
            f"{base}{API}/presentation/stream/{pid}%2F..%2F{bobs}",
        ]:
            response = await http.get(url, params={"token": token})
            assert response.status_code in (401, 404), (url, response.status_code)
            assert "Kelp" not in response.text and "Bob" not in response.text, url
        # Bob's key with alice's token: the key decides, and alice's deck is not bob's.
        crossed = await http.get(
            f"{base}{deck_url(pid)}", params={"token": token}, headers=bearer(keyed.bob)
        )
        assert crossed.status_code == 404, crossed.text
        # A token on a stream path sent with POST opens nothing either.
        posted = await http.post(f"{base}{deck_url(pid)}", params={"token": token})
        assert posted.status_code == 405
    await revoke_key(keyed.settings, keyed.alice)
    async with httpx.AsyncClient(timeout=30) as http:
        assert_unauthorized(await http.get(f"{base}{outline_url(pid)}", params={"token": token}))


async def test_the_204_resume_path_does_not_tell_foreign_decks_from_unknown_ones(
    keyed: Deployment,
) -> None:
    """A terminal Last-Event-ID answers 204 without starting anything: for another owner's
    deck it must be the unknown deck's 404, with the same detail."""
    async with keyed.client(keyed.alice) as alice:
        pid = (await generated(alice, 1))["id"]
        own = await alice.get(deck_url(pid), headers={"Last-Event-ID": "d1:end"})
    assert own.status_code == 204, own.text
    async with keyed.client(keyed.bob) as bob:
        foreign = await bob.get(deck_url(pid), headers={"Last-Event-ID": "d1:end"})
        unknown = await bob.get(deck_url(str(uuid.uuid4())), headers={"Last-Event-ID": "d1:end"})
    assert foreign.status_code == unknown.status_code == 404, (foreign.text, unknown.text)
    assert foreign.json() == unknown.json()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("[::]", False),
        ("", False),
        ("::ffff:0.0.0.0", False),
        ("0", False),
        ("localhost.localdomain.example", False),
        ("example.com", False),
        ("192.168.1.10", False),
    ],
)
def test_auto_requires_keys_on_every_address_but_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    settings = Settings(auth="auto", host=host)
    assert settings.keys_required is (not loopback)
