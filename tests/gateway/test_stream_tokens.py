"""Stream tokens through the gateway: minted for a caller's deck, they open that deck's
streams with `?token=` alone (for EventSource), nothing else, and the upstream gets its
own token in place of a key; and a gateway with the right upstream keys passes every flow
through an upstream that requires keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from slidestream.app import create_app
from slidestream.gateway import (
    Caller,
    GatewayHooks,
    GatewaySettings,
    MemoryOwnershipStore,
    create_gateway_router,
)
from slidestream.gateway.tokens import NO_TOKENS, OTHER_DECK
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.gateway.conftest import RunningGateway, RunningUpstream, header_caller
from tests.gateway.support import (
    GatewayProcess,
    RequestLog,
    Script,
    caller_client,
    create,
    deck_stream,
    outline_stream,
    prepared,
    scripted_upstream,
)
from tests.support.cut_proxy import cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.keys import bearer, make_key, revoke_key
from tests.support.servers import ThreadedServer, threaded_server
from tests.support.sse import open_stream, read_all, read_until, slide_frames

CALLERS = ("alice", "bob")
QUICK_RESUME = {"resume_backoff_seconds": 0.01, "resume_backoff_max_seconds": 0.02}


@dataclass
class KeyedUpstream:
    """A slidestream server that requires API keys, with one key per gateway caller."""

    running: RunningUpstream
    settings: Settings
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def log(self) -> RequestLog:
        return self.running.log

    def hooks(self) -> GatewayHooks:
        """Test callers (`X-Caller`), each with their own upstream key."""

        async def upstream_key(caller: Caller) -> str:
            return self.keys[caller.id]

        return GatewayHooks(authenticate=header_caller, upstream_key=upstream_key)


@pytest.fixture
async def start_keyed(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> AsyncIterator[Callable[..., Awaitable[KeyedUpstream]]]:
    with ExitStack() as stack:

        async def start(**overrides: Any) -> KeyedUpstream:
            settings = make_settings(tmp_path / "keyed", fake_llm.api_url, auth="keys", **overrides)
            # Keys first: a server that requires keys refuses to start without one.
            keys = {name: await make_key(settings, name) for name in CALLERS}
            log = RequestLog(create_app(settings))
            server = ThreadedServer(log).start()
            stack.callback(server.stop)
            return KeyedUpstream(RunningUpstream(server, log), settings, keys)

        yield start


@pytest.fixture
async def keyed(start_keyed: Callable[..., Awaitable[KeyedUpstream]]) -> KeyedUpstream:
    return await start_keyed()


@pytest.fixture
def keyed_gateway(
    start_gateway: Callable[..., RunningGateway], keyed: KeyedUpstream
) -> RunningGateway:
    return start_gateway(keyed.url, hooks=keyed.hooks())


async def _mint(client: httpx.AsyncClient, pid: str) -> dict[str, Any]:
    answer = await client.post(f"/presentations/{pid}/stream-token")
    assert answer.status_code == 200, answer.text
    minted: dict[str, Any] = answer.json()
    return minted


def _token_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _assert_refused(answer: httpx.Response, detail: str, token: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"detail": detail}
    assert answer.headers["www-authenticate"].startswith("Bearer")
    if token:
        assert token not in answer.text


# --- minting and using a token ---------------------------------------------------------


async def test_a_minted_token_alone_opens_the_decks_streams(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    async with (
        caller_client(keyed_gateway.url, "alice") as alice,
        caller_client(keyed_gateway.url, None) as browser,  # no credentials at all
    ):
        pid = await prepared(alice, n=4)
        minted = await _mint(alice, pid)
        token = minted["token"]
        deck = await read_all(browser, minted["stream_url"])
        outline = await read_all(browser, minted["outline_stream_url"])
        without = await browser.get(deck_stream(pid))
    assert set(minted) == {"token", "expires_at", "expires_in", "stream_url", "outline_stream_url"}
    assert minted["expires_in"] == keyed.settings.stream_token_seconds
    # The gateway's own stream URLs, carrying the gateway's token.
    assert minted["stream_url"].startswith(f"{deck_stream(pid)}?token=")
    assert minted["outline_stream_url"].startswith(f"{outline_stream(pid)}?token=")
    assert _token_in(minted["stream_url"]) == _token_in(minted["outline_stream_url"]) == token
    assert [s["index"] for s in slide_frames(deck)] == list(range(4))
    assert deck[-1].type == "complete" and outline[-1].type == "complete"
    assert without.status_code == 401
    # Upstream, the streams carried the upstream's own token, never a key nor the
    # gateway's token.
    streams = keyed.log.streams()
    assert len(streams) == 2
    for seen in streams:
        upstream_token = parse_qs(seen.query)["token"][0]
        assert upstream_token and upstream_token != token
        assert "authorization" not in seen.headers
    (mint_call,) = [r for r in keyed.log.api_requests() if "/stream_token/" in r.path]
    assert mint_call.headers["authorization"] == f"Bearer {keyed.keys['alice']}"


async def test_resumes_keep_carrying_the_token(
    start_gateway: Callable[..., RunningGateway],
    start_keyed: Callable[..., Awaitable[KeyedUpstream]],
    fake_llm: FakeLLMHandle,
) -> None:
    # Slide 2 stalls at the LLM until the upstream's 5 s timeout retries it, so the cut
    # lands after slides 0 and 1 (as in test_failures).
    keyed = await start_keyed(llm_timeout_seconds=5)
    with cut_proxy(keyed.url) as proxy:
        running = start_gateway(proxy.url, hooks=keyed.hooks(), **QUICK_RESUME)
        async with (
            caller_client(running.url, "alice") as alice,
            caller_client(running.url, None) as browser,
        ):
            pid = await prepared(alice, n=6)
            url = (await _mint(alice, pid))["stream_url"]
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
            frames = []
            # The gateway's own reconnection, after the upstream connection is cut...
            async with open_stream(browser, url) as source:
                async for frame in source:
                    frames.append(frame)
                    if len(slide_frames(frames)) == 2 and proxy.open_connections:
                        proxy.cut()
            # ...and the browser's, with Last-Event-ID, from the middle of the deck.
            again = await read_all(browser, url, last_event_id=slide_frames_ids(frames)[3])
    assert [s["index"] for s in slide_frames(frames)] == list(range(6))
    assert frames[-1].type == "complete"
    assert [s["index"] for s in slide_frames(again)] == [4, 5]
    streams = keyed.log.streams()
    assert len(streams) == 3
    assert [s.headers.get("last-event-id") for s in streams][1:] == [
        slide_frames_ids(frames)[1],
        slide_frames_ids(frames)[3],
    ]
    for seen in streams:
        assert parse_qs(seen.query)["token"][0]
        assert "authorization" not in seen.headers


def slide_frames_ids(frames: list[Any]) -> list[str]:
    return [f.id for f in frames if f.type == "chunk" and '"presentation"' in f.data["chunk"]]


# --- what a token does not open ----------------------------------------------------------


async def test_a_token_for_one_deck_is_401_on_another(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    # 401, not 404: the token is a credential for one deck only, so on any other deck the
    # request has no credential at all. The gateway says so before it looks at the other
    # deck (whose existence and owner stay unknown), as the server itself does.
    async with (
        caller_client(keyed_gateway.url, "alice") as alice,
        caller_client(keyed_gateway.url, None) as browser,
    ):
        mine = await prepared(alice, n=2)
        other = await prepared(alice, n=2)
        token = (await _mint(alice, mine))["token"]
        streams_before = len(keyed.log.streams())
        answers = [
            await browser.get(deck_stream(other), params={"token": token}),
            await browser.get(outline_stream(other), params={"token": token}),
        ]
        # Not a key either: no other route takes it.
        elsewhere = await browser.get(f"/presentations/{mine}", params={"token": token})
    for answer in answers:
        _assert_refused(answer, OTHER_DECK, token)
    assert elsewhere.status_code == 401
    assert len(keyed.log.streams()) == streams_before


async def test_another_caller_cannot_mint_a_token_for_a_deck_not_theirs(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    async with (
        caller_client(keyed_gateway.url, "alice") as alice,
        caller_client(keyed_gateway.url, "bob") as bob,
        caller_client(keyed_gateway.url, None) as anonymous,
    ):
        pid = await prepared(alice, n=2)
        stranger = await bob.post(f"/presentations/{pid}/stream-token")
        nobody = await anonymous.post(f"/presentations/{pid}/stream-token")
    assert stranger.status_code == 404
    assert stranger.json() == {"detail": "Presentation not found"}
    assert nobody.status_code == 401
    assert not [r for r in keyed.log.api_requests() if "/stream_token/" in r.path]


async def test_garbage_and_tampered_tokens_are_401_and_never_echoed(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    async with (
        caller_client(keyed_gateway.url, "alice") as alice,
        caller_client(keyed_gateway.url, None) as browser,
    ):
        pid = await prepared(alice, n=2)
        token = (await _mint(alice, pid))["token"]
        streams_before = len(keyed.log.streams())
        tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        bad = ["garbage-token-123", "", tampered, "x" * 5000]
        answers = [await browser.get(deck_stream(pid), params={"token": t}) for t in bad]
    for value, answer in zip(bad, answers, strict=True):
        _assert_refused(answer, "Invalid stream token", value)
    assert len(keyed.log.streams()) == streams_before  # refused before any upstream call


async def test_an_upstream_refusal_of_the_token_is_a_401_not_a_502(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    async with (
        caller_client(keyed_gateway.url, "alice") as alice,
        caller_client(keyed_gateway.url, None) as browser,
    ):
        pid = await prepared(alice, n=2)
        token = (await _mint(alice, pid))["token"]
        await revoke_key(keyed.settings, keyed.keys["alice"])  # its tokens die with it
        answer = await browser.get(deck_stream(pid), params={"token": token})
    _assert_refused(answer, "The stream token's key is revoked", token)
    (seen,) = keyed.log.streams()
    assert parse_qs(seen.query)["token"][0] not in answer.text


async def test_the_gateway_checks_tokens_itself_in_front_of_an_upstream_without_keys(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    # slidestream on loopback requires no keys and ignores `?token=`: the gateway's own
    # check is all that keeps a token to its deck here.
    async with (
        caller_client(gateway.url, "alice") as alice,
        caller_client(gateway.url, None) as browser,
    ):
        mine = await prepared(alice, n=2)
        other = await prepared(alice, n=2)
        minted = await _mint(alice, mine)
        deck = await read_all(browser, minted["stream_url"])
        wrong_deck = await browser.get(deck_stream(other), params={"token": minted["token"]})
        garbage = await browser.get(deck_stream(other), params={"token": "made-up"})
    assert deck[-1].type == "complete"
    _assert_refused(wrong_deck, OTHER_DECK, minted["token"])
    _assert_refused(garbage, "Invalid stream token", "made-up")
    assert len(upstream.log.streams()) == 1


async def test_a_mounted_router_answers_its_own_prefixed_urls(upstream: RunningUpstream) -> None:
    host = FastAPI()
    host.include_router(
        create_gateway_router(
            GatewaySettings(upstream_url=upstream.url),
            GatewayHooks(authenticate=header_caller),
            store=MemoryOwnershipStore(),
        ),
        prefix="/api",
    )
    with threaded_server(host) as server:
        async with caller_client(f"{server.url}/api", "alice") as alice:
            pid = await create(alice, n_slides=2)
            minted = await _mint(alice, pid)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
            outline = await read_all(browser, minted["outline_stream_url"])
    assert minted["outline_stream_url"].startswith(f"/api/presentations/{pid}/outline/stream?")
    assert outline[-1].type == "complete"


async def test_a_presenton_upstream_issues_no_tokens_501(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    log = RequestLog(scripted_upstream(Script()))
    with threaded_server(log) as server:
        running = start_gateway(server.url)
        async with caller_client(running.url, "alice") as alice:
            pid = await create(alice)
            answer = await alice.post(f"/presentations/{pid}/stream-token")
            # Its streams keep working with the caller's credentials (the key as a header).
            frames = await read_all(alice, deck_stream(pid))
    assert answer.status_code == 501
    assert answer.json() == {"detail": NO_TOKENS}
    assert frames[-1].type == "complete"


# --- an upstream that requires keys ----------------------------------------------------------


async def test_every_flow_passes_through_an_upstream_that_requires_keys(
    keyed_gateway: RunningGateway, keyed: KeyedUpstream
) -> None:
    async with caller_client(keyed_gateway.url, "alice") as alice:
        pid = await create(alice, n_slides=3)
        outline = await read_all(alice, outline_stream(pid))
        slides = outline[-1].data["presentation"]["outlines"]["slides"]
        ready = await alice.post(f"/presentations/{pid}/prepare", json={"outlines": slides})
        assert ready.status_code == 200, ready.text
        first = await read_until(alice, deck_stream(pid), lambda got: len(slide_frames(got)) == 1)
        rest = await read_all(alice, deck_stream(pid), last_event_id=first[-1].id)
        deck = await alice.get(f"/presentations/{pid}")
        pptx = await alice.get(f"/presentations/{pid}/export", params={"format": "pptx"})
        body = {"content": "Tidal power", "slides_markdown": ["# One", "# Two"]}
        generated = await alice.post("/presentations/generate", json=body, timeout=120)
        started = await alice.post("/presentations/generate/async", json=body)
        status = await alice.get(f"/presentations/status/{started.json()['id']}")
    assert [s["index"] for s in slide_frames(first + rest)] == [0, 1, 2]
    assert deck.status_code == 200 and len(deck.json()["slides"]) == 3
    assert pptx.status_code == 200 and pptx.content.startswith(b"PK")
    assert generated.status_code == 200, generated.text
    assert status.status_code == 200 and status.json()["id"] == started.json()["id"]
    # Every upstream call carried alice's upstream key, and nothing was refused.
    sent = keyed.log.api_requests()
    assert {r.headers.get("authorization") for r in sent} == {f"Bearer {keyed.keys['alice']}"}
    # The upstream recorded its decks as alice's key's: bob's key does not see them.
    async with httpx.AsyncClient(base_url=keyed.url, timeout=30) as direct:
        as_bob = await direct.get(
            f"/api/v1/ppt/presentation/{pid}", headers=bearer(keyed.keys["bob"])
        )
    assert as_bob.status_code == 404


# --- the standalone process: tokens stay out of its logs ----------------------------------


async def test_tokens_are_masked_in_the_standalone_gateways_logs(
    keyed: KeyedUpstream, tmp_path: Path
) -> None:
    env = {
        "SLIDESTREAM_GATEWAY_API_KEYS": "alice=gateway-key-alice-0123",
        "SLIDESTREAM_GATEWAY_UPSTREAM_KEYS": f"alice={keyed.keys['alice']}",
        "SLIDESTREAM_GATEWAY_DATA_DIR": str(tmp_path / "gateway-data"),
        "SLIDESTREAM_GATEWAY_LOG_LEVEL": "info",  # access log lines, with their URLs
    }
    log_path = tmp_path / "gateway.log"
    process = GatewayProcess(keyed.url, env, log_path).start()
    try:
        async with (
            httpx.AsyncClient(
                base_url=process.url, headers=bearer("gateway-key-alice-0123"), timeout=30
            ) as alice,
            httpx.AsyncClient(base_url=process.url, timeout=30) as browser,
        ):
            pid = await prepared(alice, n=2)
            minted = await _mint(alice, pid)
            frames = await read_all(browser, minted["stream_url"])
            refused = await browser.get(deck_stream(pid), params={"token": minted["token"] + "x"})
    finally:
        process.stop()
    assert frames[-1].type == "complete"
    assert refused.status_code == 401
    logged = log_path.read_text()
    (upstream_stream,) = keyed.log.streams()
    upstream_token = parse_qs(upstream_stream.query)["token"][0]
    assert f"/presentations/{pid}/stream?token=***" in logged  # the access log line
    for secret in (minted["token"], upstream_token, keyed.keys["alice"]):
        assert secret not in logged
