"""Who may do what: no caller, no upstream call; a caller sees only what they created."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from slidestream.gateway import (
    Caller,
    GatewayHooks,
    GatewaySettings,
    MemoryOwnershipStore,
    Resource,
    SqlOwnershipStore,
    create_gateway_router,
)
from tests.gateway.conftest import HEADER_HOOKS, RunningGateway, RunningUpstream
from tests.gateway.support import (
    RequestLog,
    Script,
    caller_client,
    deck_stream,
    outline_stream,
    prepared,
    scripted_upstream,
)
from tests.support.flows import API
from tests.support.servers import threaded_server
from tests.support.sse import read_all

PID = "6f1d7a2e-3b9c-4d5e-8f70-1a2b3c4d5e6f"


@pytest.fixture
def script_upstream() -> Iterator[RunningUpstream]:
    """The scripted Presenton-like upstream, its requests recorded."""
    log = RequestLog(scripted_upstream(Script()))
    with threaded_server(log) as server:
        yield RunningUpstream(server, log)


async def _routes_of(client: httpx.AsyncClient, pid: str, task_id: str) -> list[httpx.Response]:
    """Every route that names a presentation or a task."""
    return [
        await client.post(f"/presentations/{pid}/prepare", json={"outlines": [{"content": "x"}]}),
        await client.get(outline_stream(pid)),
        await client.get(deck_stream(pid)),
        await client.get(deck_stream(pid), params={"last_event_id": "d1:1"}),
        await client.get(f"/presentations/status/{task_id}"),
        await client.get(f"/presentations/{pid}"),
        await client.get(f"/presentations/{pid}/export", params={"format": "pdf"}),
    ]


async def _every_route(client: httpx.AsyncClient, pid: str, task_id: str) -> list[httpx.Response]:
    return [
        await client.post("/presentations/create", json={"content": "x", "n_slides": 2}),
        await client.post("/presentations/generate", json={"content": "x"}),
        await client.post("/presentations/generate/async", json={"content": "x"}),
        *await _routes_of(client, pid, task_id),
    ]


async def test_an_unauthenticated_caller_gets_401_before_any_upstream_call(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with caller_client(gateway.url, None) as anonymous:
        answers = await _every_route(anonymous, PID, "task-1")
    for answer in answers:
        assert answer.status_code == 401, answer.request.url
        assert answer.json() == {"detail": "Not authenticated"}
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert upstream.log.api_requests() == []


async def test_authentication_comes_before_the_body_and_parameters_are_read(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    # Broken JSON, a body of the wrong shape, a bad query value, an over-long header: an
    # anonymous caller learns nothing about what the routes expect, only that it must log in.
    broken = {"content": b'{"content": "x", ', "headers": {"Content-Type": "application/json"}}
    async with caller_client(gateway.url, None) as anonymous:
        answers = [
            await anonymous.post("/presentations/create", **broken),  # type: ignore[arg-type]
            await anonymous.post(f"/presentations/{PID}/prepare", **broken),  # type: ignore[arg-type]
            await anonymous.post("/presentations/generate", **broken),  # type: ignore[arg-type]
            await anonymous.post("/presentations/generate/async", json=["not", "an", "object"]),
            await anonymous.get(f"/presentations/{PID}/export", params={"format": "doc"}),
            await anonymous.get(deck_stream(PID), headers={"Last-Event-ID": "x" * 500}),
        ]
    for answer in answers:
        assert answer.status_code == 401, (answer.request.url, answer.text)
        assert answer.json() == {"detail": "Not authenticated"}
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert upstream.log.api_requests() == []
    # Authenticated, the same broken body is FastAPI's 422, still without an upstream call.
    async with caller_client(gateway.url, "alice") as alice:
        invalid = await alice.post("/presentations/create", **broken)  # type: ignore[arg-type]
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["type"] == "json_invalid"
    assert upstream.log.api_requests() == []


async def test_a_mounted_router_authenticates_first_too(upstream: RunningUpstream) -> None:
    host = FastAPI()
    settings = GatewaySettings(upstream_url=upstream.url)
    router = create_gateway_router(settings, HEADER_HOOKS, store=MemoryOwnershipStore())
    host.include_router(router, prefix="/api")
    with threaded_server(host) as server:
        async with caller_client(f"{server.url}/api", None) as anonymous:
            answer = await anonymous.post(
                "/presentations/create",
                content=b"{not json",
                headers={"Content-Type": "application/json"},
            )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert upstream.log.api_requests() == []


async def test_another_caller_gets_404_on_every_route_of_a_presentation(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with (
        caller_client(gateway.url, "alice") as alice,
        caller_client(gateway.url, "bob") as bob,
    ):
        pid = await prepared(alice, n=2)
        await read_all(alice, deck_stream(pid))
        started = await alice.post(
            "/presentations/generate/async", json={"content": "x", "slides_markdown": ["# A"]}
        )
        task_id = started.json()["id"]
        seen = len(upstream.log.requests)
        answers = await _routes_of(bob, pid, task_id)
        # Spelled differently (upper-case UUID), it is still not Bob's.
        answers.append(await bob.get(f"/presentations/{pid.upper()}"))
        # And still Alice's.
        assert (await alice.get(f"/presentations/{pid.upper()}")).status_code == 200
        assert (await alice.get(f"/presentations/status/{task_id}")).status_code == 200
    assert len(answers) == 8
    for answer in answers:
        assert answer.status_code == 404, answer.request.url
        detail = answer.json()["detail"]
        assert detail in ("Presentation not found", "No presentation generation task found")
    # None of Bob's requests reached the upstream (Alice's two checks did).
    assert len(upstream.log.requests) == seen + 2


async def test_a_presentation_id_in_the_body_cannot_point_prepare_elsewhere(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with (
        caller_client(gateway.url, "alice") as alice,
        caller_client(gateway.url, "bob") as bob,
    ):
        alices = await prepared(alice, n=2)
        bobs = await prepared(bob, n=2)
        answer = await bob.post(
            f"/presentations/{bobs}/prepare",
            json={"presentation_id": alices, "outlines": [{"content": "# Mine now"}]},
        )
    assert answer.status_code == 200
    assert answer.json()["id"] == bobs
    async with httpx.AsyncClient(base_url=upstream.url) as direct:
        alice_deck = (await direct.get(f"{API}/presentation/{alices}")).json()
    assert "# Mine now" not in str(alice_deck)


async def test_ownership_in_the_database_outlives_the_gateway(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'owners.db'}"
    first = start_gateway(upstream.url, store=SqlOwnershipStore(url))
    async with caller_client(first.url, "alice") as alice:
        pid = await prepared(alice, n=2)
    first.server.stop()
    second = start_gateway(upstream.url, store=SqlOwnershipStore(url))
    async with caller_client(second.url, "alice") as alice, caller_client(second.url, "bob") as bob:
        assert (await alice.get(f"/presentations/{pid}")).status_code == 200
        assert (await bob.get(f"/presentations/{pid}")).status_code == 404


async def test_an_authorize_hook_replaces_the_ownership_check(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    async def same_team(caller: Caller, resource: Resource) -> bool:
        return caller.id.startswith("team-a")

    hooks = GatewayHooks(authenticate=HEADER_HOOKS.authenticate, authorize=same_team)
    running = start_gateway(upstream.url, hooks=hooks)
    async with (
        caller_client(running.url, "team-a-alice") as alice,
        caller_client(running.url, "team-a-bob") as teammate,
        caller_client(running.url, "team-b-carol") as outsider,
    ):
        pid = await prepared(alice, n=2)
        assert (await teammate.get(f"/presentations/{pid}")).status_code == 200
        assert (await outsider.get(f"/presentations/{pid}")).status_code == 404


async def test_an_id_cannot_smuggle_a_query_or_path_upstream(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    async def anyone(caller: Caller, resource: Resource) -> bool:
        return True

    hooks = GatewayHooks(authenticate=HEADER_HOOKS.authenticate, authorize=anyone)
    running = start_gateway(upstream.url, hooks=hooks)
    async with caller_client(running.url, "mallory") as mallory:
        answer = await mallory.get("/presentations/status/task-1%3Fformat=pdf")
    assert answer.status_code == 404
    (seen,) = upstream.log.api_requests()
    assert seen.path == "/api/v1/ppt/presentation/status/task-1?format=pdf"
    assert seen.query == ""


async def test_credentials_and_cookies_stay_on_their_own_side(
    start_gateway: Callable[..., RunningGateway], script_upstream: RunningUpstream
) -> None:
    # The upstream sets a cookie (and other headers of its own) on every answer; callers
    # send their own cookies and credentials to the gateway.
    running = start_gateway(script_upstream.url)
    callers_own = {
        "Cookie": "session=callers-own",
        "Authorization": "Bearer callers-own-token",
        "Proxy-Authorization": "Basic Y2FsbGVy",
        "X-Forwarded-For": "203.0.113.9",
    }
    answers = []
    for name in ("alice", "bob"):
        async with caller_client(running.url, name) as caller:
            caller.headers.update(callers_own)
            created = await caller.post("/presentations/create", json={"content": "x"})
            pid = created.json()["id"]
            answers += [
                created,
                await caller.get(deck_stream(pid)),
                await caller.get(f"/presentations/{pid}/export"),
            ]
    # Nothing of the upstream's own reaches a caller...
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert not {"set-cookie", "keep-alive", "x-upstream-internal"} & set(answer.headers)
    # ...and nothing of a caller's (nor the upstream's cookie, kept from an earlier answer
    # and sent with everyone's requests) reaches the upstream: only the gateway's key.
    seen = script_upstream.log.requests
    # Per caller: create, stream, and the download (slidestream's route, which this
    # upstream lacks, then Presenton's export and its file).
    assert len(seen) == 10
    for request in seen:
        assert request.headers["authorization"].startswith("Bearer upstream-key-")
        assert not {"cookie", "proxy-authorization", "x-forwarded-for", "x-caller"} & set(
            request.headers
        ), request.path
