"""Deck-scoped stream tokens over real HTTP: a token opens its deck's two streams without
a header and nothing else, expires, dies with its key, and never reaches a log."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from slidestream.access import _TOKEN_SALT, STREAM_TOKEN_SECRET
from slidestream.app import create_app
from slidestream.settings import Settings
from slidestream.storage.database import create_engine
from slidestream.storage.repository import Repository
from tests.access.support import (
    Deployment,
    api_operations,
    assert_unauthorized,
    fill,
    jobs_of,
)
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, marked_outlines, outline_url
from tests.support.keys import bearer, make_key, revoke_key
from tests.support.servers import ServerProcess
from tests.support.sse import read_all


async def create(http: httpx.AsyncClient, n_slides: int = 2) -> str:
    response = await http.post(
        f"{API}/presentation/create", json={"content": "Kelp forests", "n_slides": n_slides}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def mint(http: httpx.AsyncClient, pid: str) -> dict[str, Any]:
    response = await http.post(f"{API}/presentation/stream_token/{pid}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def key_id(key: str) -> str:
    return key.removeprefix("ssk_").split("_", 1)[0]


async def signed(settings: Settings, claims: dict[str, Any], issued_at: float) -> str:
    """A token signed with the deployment's own secret, as if minted at `issued_at`."""
    engine = create_engine(settings.resolved_database_url)
    try:
        secret = await Repository(engine).shared_secret(STREAM_TOKEN_SECRET, lambda: "unused")
    finally:
        await engine.dispose()

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(issued_at)

    return str(URLSafeTimedSerializer(secret, salt=_TOKEN_SALT, signer=Backdated).dumps(claims))


async def test_a_token_opens_its_decks_outline_and_slides_without_a_header(
    keyed: Deployment,
) -> None:
    async with keyed.client(keyed.alice) as alice:
        pid = await create(alice)
        token = await mint(alice, pid)
        outline = await alice.get(f"{API}/outlines/{pid}")
    assert token["expires_in"] == keyed.settings.stream_token_seconds
    lifetime = datetime.fromisoformat(token["expires_at"]) - datetime.now(UTC)
    assert 0 < lifetime.total_seconds() <= keyed.settings.stream_token_seconds
    assert token["stream_url"] == f"{deck_url(pid)}?token={token['token']}"
    assert token["outline_stream_url"] == f"{outline_url(pid)}?token={token['token']}"
    assert outline.json() == {"slides": []}
    async with keyed.client() as browser:  # no Authorization header, as EventSource
        frames = await read_all(browser, token["outline_stream_url"])
        assert frames[-1].type == "complete", frames[-1]
        outlines = frames[-1].data["presentation"]["outlines"]["slides"]
        async with keyed.client(keyed.alice) as alice:
            prepared = await alice.post(
                f"{API}/presentation/prepare", json={"presentation_id": pid, "outlines": outlines}
            )
            assert prepared.status_code == 200, prepared.text
        frames = await read_all(browser, token["stream_url"])
        assert frames[-1].type == "complete", frames[-1]
        assert len(frames[-1].data["presentation"]["slides"]) == 2


async def test_a_token_opens_no_other_deck_and_no_other_route(keyed: Deployment) -> None:
    async with keyed.client(keyed.alice) as alice:
        deck_x, deck_y = await create(alice), await create(alice)
        for pid in (deck_x, deck_y):
            await alice.post(
                f"{API}/presentation/prepare",
                json={"presentation_id": pid, "outlines": marked_outlines(2)},
            )
        token = (await mint(alice, deck_x))["token"]
    async with keyed.client() as browser:
        for url in (deck_url(deck_y), outline_url(deck_y)):
            assert_unauthorized(await browser.get(url, params={"token": token}))
        assert await jobs_of(keyed.settings, deck_y) == 0
        # Every other operation, with the token as a query parameter or as a bearer.
        operations = api_operations(create_app(Settings()).openapi()["paths"])
        stream_paths = {"/api/v1/ppt/presentation/stream/{id}", "/api/v1/ppt/outlines/stream/{id}"}
        for method, path in operations:
            if path == "/api/web/fonts.css":
                continue
            url = fill(path, deck_x)
            if path not in stream_paths:
                response = await browser.request(method, url, params={"token": token}, json={})
                assert response.status_code == 401, (method, path, response.text)
            response = await browser.request(method, url, headers=bearer(token), json={})
            assert response.status_code == 401, (method, path, response.text)
        assert await jobs_of(keyed.settings, deck_x) == 0
        # ...while the token does open deck X's stream (so the refusals above were real).
        frames = await read_all(browser, f"{deck_url(deck_x)}?token={token}")
        assert frames[-1].type == "complete"


async def test_an_expired_or_forged_token_is_refused(keyed: Deployment) -> None:
    async with keyed.client(keyed.alice) as alice:
        pid = await create(alice)
    claims = {"d": uuid.UUID(pid).hex, "k": key_id(keyed.alice)}
    lifetime = keyed.settings.stream_token_seconds
    fresh = await signed(keyed.settings, claims, time.time())
    nearly = await signed(keyed.settings, claims, time.time() - lifetime + 5)
    expired = await signed(keyed.settings, claims, time.time() - lifetime - 2)
    forged = str(URLSafeTimedSerializer("guessed", salt=_TOKEN_SALT).dumps(claims))
    async with keyed.client() as browser:
        for token in (fresh, nearly):
            frames = await read_all(browser, outline_url(pid) + f"?token={token}")
            assert frames[-1].type == "complete"
        refused = await browser.get(outline_url(pid), params={"token": expired})
        assert_unauthorized(refused)
        assert "expired" in refused.json()["detail"]
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]
        assert_unauthorized(await browser.get(outline_url(pid), params={"token": forged}))
        assert_unauthorized(await browser.get(deck_url(pid), params={"token": expired}))


async def test_a_token_dies_with_its_key(keyed: Deployment) -> None:
    carol = await make_key(keyed.settings, "carol")
    async with keyed.client(carol) as http:
        pid = await create(http)
        token = await mint(http, pid)
    async with keyed.client() as browser:
        frames = await read_all(browser, token["outline_stream_url"])
        assert frames[-1].type == "complete"
        await revoke_key(keyed.settings, carol)
        assert_unauthorized(await browser.get(token["outline_stream_url"]))
        assert_unauthorized(await browser.get(token["stream_url"]))
    # Another key of the same owner does not revive it either.
    await make_key(keyed.settings, "carol")
    async with keyed.client() as browser:
        assert_unauthorized(await browser.get(token["outline_stream_url"]))


async def test_stream_tokens_never_reach_the_servers_log(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    data = tmp_path / "data"
    key = await make_key(make_settings(data, fake_llm.api_url, auth="keys"), "alice")
    env = {
        "APP_DATA_DIRECTORY": str(data),
        "LLM": "custom",
        "CUSTOM_LLM_URL": fake_llm.api_url,
        "CUSTOM_MODEL": "slidestream-fake",
        "SLIDESTREAM_AUTH": "keys",
        "SLIDESTREAM_LOG_LEVEL": "info",
    }
    log_path = tmp_path / "server.log"
    server = ServerProcess(env, log_path).start()
    tokens: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            http.headers.update(bearer(key))
            pid = await create(http)
            token = await mint(http, pid)
            tokens.append(token["token"])
            http.headers.pop("Authorization")
            frames = await read_all(http, token["outline_stream_url"])
            assert frames[-1].type == "complete"
            # Refused uses log too: a wrong deck, a wrong route, a bearer.
            other = uuid.uuid4()
            assert (await http.get(deck_url(other), params={"token": tokens[0]})).status_code == 401
            assert (
                await http.get(f"{API}/presentation/{pid}?token={tokens[0]}")
            ).status_code == 401
            assert (await http.get(deck_url(pid), headers=bearer(tokens[0]))).status_code == 401
    finally:
        server.stop()  # flushes the log
    log = log_path.read_text()
    assert f"GET {outline_url(pid)}?token=*** HTTP/1.1" in log  # the access log was written
    for secret in (*tokens, key, key.split("_", 2)[2]):
        assert secret not in log
