"""Keys and ownership over real HTTP: no key, a wrong scheme or a revoked key is a 401
before any work; another owner's decks, uploads, tasks and webhooks are 404 exactly as an
unknown id is; an admin key sees everything."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from slidestream.app import create_app
from tests.access.support import (
    GENERATE_ASYNC,
    Deployment,
    api_operations,
    assert_unauthorized,
    deliveries,
    fill,
    jobs_of,
    markdown_slides,
    presentations_count,
    task_finished,
)
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, marked_outlines, outline_url
from tests.support.keys import bearer, make_key, revoke_key
from tests.support.servers import ThreadedServer
from tests.support.sse import read_all
from tests.support.waiting import wait_for

WEBHOOK = "/api/v1/webhook"
COMPLETED = "presentation.generation.completed"
PUBLIC = ["/", "/health", "/api/web/fonts.css", "/docs", "/openapi.json", "/web/slidestream.js"]


def openapi_operations() -> list[tuple[str, str]]:
    from slidestream.settings import Settings

    public = {"/api/web/fonts.css"}
    operations = api_operations(create_app(Settings()).openapi()["paths"])
    return [(method, path) for method, path in operations if path not in public]


OPERATIONS = openapi_operations()


# --- no key, a wrong key ---------------------------------------------------------------


async def test_every_api_operation_without_a_valid_key_is_a_401_challenge(
    keyed: Deployment,
) -> None:
    await revoke_key(keyed.settings, revoked := await make_key(keyed.settings, "carol"))
    credentials: list[dict[str, str]] = [
        {},
        {"Authorization": f"Basic {keyed.alice}"},
        {"Authorization": f"Token {keyed.alice}"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ssk_000000000000_" + secrets.token_urlsafe(32)},
        {"Authorization": "Bearer not-a-key"},
        bearer(revoked),
    ]
    async with keyed.client() as http:
        for method, path in OPERATIONS:
            for headers in credentials:
                response = await http.request(
                    method, fill(path, str(uuid.uuid4())), headers=headers, json={}
                )
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.headers["www-authenticate"].startswith(
                    'Bearer realm="slidestream"'
                ), (method, path)
        for path in PUBLIC:
            assert (await http.get(path)).status_code == 200, path
        health = (await http.get("/health")).json()
        assert health["keys_required"] is True
    async with keyed.client(keyed.alice) as http:
        assert (await http.get(f"{API}/presentation/all")).status_code == 200


async def test_a_refused_request_queues_no_work_and_reads_no_body(
    keyed: Deployment, fake_llm: FakeLLMHandle
) -> None:
    body = {"content": "", "slides_markdown": markdown_slides(2)}
    async with keyed.client() as http:
        assert_unauthorized(await http.post(GENERATE_ASYNC, json=body))
        assert_unauthorized(await http.post(f"{API}/presentation/generate", json=body))
        # A malformed body is not even parsed: 401, not 422 or 400.
        assert_unauthorized(await http.post(GENERATE_ASYNC, json={"n_slides": "many"}))
        assert_unauthorized(
            await http.post(
                GENERATE_ASYNC, content=b"{not json", headers={"content-type": "application/json"}
            )
        )
        # Nor is an oversized one: 401 before the size limit's 413.
        big = b"x" * (keyed.settings.max_body_bytes + 1)
        assert_unauthorized(
            await http.post(
                f"{API}/presentation/create",
                content=big,
                headers={"content-type": "application/json"},
            )
        )
    async with keyed.client("ssk_" + "0" * 12 + "_nope") as http:
        assert_unauthorized(await http.post(GENERATE_ASYNC, json=body))
    assert await presentations_count(keyed.settings) == 0
    assert fake_llm.calls() == []
    # The same request with a key does work (the checks above could fail).
    async with keyed.client(keyed.alice) as http:
        accepted = await http.post(GENERATE_ASYNC, json=body)
        assert accepted.status_code == 200, accepted.text
        assert (await task_finished(http, accepted.json()["id"]))["status"] == "completed"
    assert await presentations_count(keyed.settings) == 1


async def test_a_key_revoked_while_the_server_runs_is_refused_at_once(keyed: Deployment) -> None:
    carol = await make_key(keyed.settings, "carol")
    async with keyed.client(carol) as http:
        created = await http.post(
            f"{API}/presentation/create", json={"content": "Owls", "n_slides": 2}
        )
        assert created.status_code == 200, created.text
        await revoke_key(keyed.settings, carol)
        assert_unauthorized(await http.get(f"{API}/presentation/{created.json()['id']}"))
        assert_unauthorized(await http.get(f"{API}/presentation/all"))
    # What the revoked key made still belongs to its name: a new key of that name reads it.
    carol_again = await make_key(keyed.settings, "carol")
    async with keyed.client(carol_again) as http:
        assert (await http.get(f"{API}/presentation/{created.json()['id']}")).status_code == 200


# --- another owner's resources ---------------------------------------------------------


@dataclass
class Receiver:
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            self.received.append(json.loads(await request.body()))
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, str, Receiver, str]]:
    first, second = Receiver(), Receiver()
    servers = [ThreadedServer(first.app()).start(), ThreadedServer(second.app()).start()]
    try:
        yield first, f"{servers[0].url}/hook", second, f"{servers[1].url}/hook"
    finally:
        for server in servers:
            server.stop()


@dataclass
class AliceWorld:
    presentation_id: str
    task_id: str
    slide_id: str
    upload: str
    webhook_id: str
    title: str


async def subscribe(http: httpx.AsyncClient, url: str) -> str:
    response = await http.post(f"{WEBHOOK}/subscribe", json={"url": url, "event": COMPLETED})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload_text(http: httpx.AsyncClient, name: str = "notes.txt") -> str:
    response = await http.post(
        f"{API}/files/upload",
        files=[("files", (name, b"Tidal power notes\nSecond line\n", "text/plain"))],
    )
    assert response.status_code == 200, response.text
    return str(response.json()[0])


async def alice_world(keyed: Deployment, hook_url: str) -> AliceWorld:
    """Alice's deck (generated, with its task), an upload and a webhook subscription."""
    async with keyed.client(keyed.alice) as http:
        webhook_id = await subscribe(http, hook_url)
        upload = await upload_text(http)
        task = await http.post(
            GENERATE_ASYNC, json={"content": "", "slides_markdown": markdown_slides(2)}
        )
        assert task.status_code == 200, task.text
        assert (await task_finished(http, task.json()["id"]))["status"] == "completed"
        pid = str(task.json()["data"]["presentation_id"])
        deck = (await http.get(f"{API}/presentation/{pid}")).json()
    return AliceWorld(
        pid, task.json()["id"], deck["slides"][0]["id"], upload, webhook_id, deck["title"]
    )


def by_id(template: str, value: str) -> tuple[str, str, dict[str, Any] | None]:
    method, _, rest = template.partition(" ")
    path, _, body = rest.partition(" ")
    full = path if path.startswith("/api/web") else f"{API}{path}"
    return (
        method,
        full.replace("{id}", value),
        (json.loads(body.replace("{id}", value)) if body else None),
    )


# One request per route that takes a presentation id (the body, when any, as JSON text).
DECK_REQUESTS = [
    "GET /presentation/{id}",
    "GET /presentation/stream/{id}",
    "GET /outlines/stream/{id}",
    'POST /presentation/export {"id": "{id}"}',
    "GET /presentation/download/{id}",
    "GET /presentation/preview/{id}",
    'PATCH /presentation/update {"id": "{id}", "title": "Taken"}',
    "POST /presentation/cancel/{id}",
    "POST /presentation/regenerate/{id}",
    "GET /outlines/{id}",
    'PUT /outlines/{id} {"slides": [{"content": "# Taken"}]}',
    'POST /presentation/prepare {"presentation_id": "{id}", "outlines": [{"content": "# T"}]}',
    "POST /presentation/stream_token/{id}",
    "GET /api/web/presentations/{id}/geometry",
    "GET /api/web/presentations/{id}/geometry/0",
    "DELETE /presentation/{id}",
]


async def send(
    http: httpx.AsyncClient, request: tuple[str, str, dict[str, Any] | None]
) -> httpx.Response:
    method, path, body = request
    return await http.request(method, path, json=body)


async def assert_like_unknown(
    http: httpx.AsyncClient,
    template: str,
    foreign: str,
    unknown: str,
    status: int = 404,
) -> None:
    """`template` with another owner's id answers exactly as with an id nobody has."""
    theirs = await send(http, by_id(template, foreign))
    nobodys = await send(http, by_id(template, unknown))
    assert theirs.status_code == status, (template, theirs.status_code, theirs.text)
    assert nobodys.status_code == status, (template, nobodys.status_code, nobodys.text)
    assert theirs.json()["detail"].replace(foreign, unknown) == nobodys.json()["detail"], template


async def test_another_owners_resources_are_404_exactly_like_unknown_ones(
    keyed: Deployment,
    fake_llm: FakeLLMHandle,
    receivers: tuple[Receiver, str, Receiver, str],
) -> None:
    _, hook_url, _, _ = receivers
    alice = await alice_world(keyed, hook_url)
    calls_before = len(fake_llm.calls())
    jobs_before = await jobs_of(keyed.settings, alice.presentation_id)
    unknown_upload = str(keyed.settings.uploads_dir / uuid.uuid4().hex / "notes.txt")
    async with keyed.client(keyed.bob) as bob:
        for template in DECK_REQUESTS:
            await assert_like_unknown(bob, template, alice.presentation_id, str(uuid.uuid4()))
        await assert_like_unknown(
            bob, 'POST /slide/regenerate {"id": "{id}"}', alice.slide_id, str(uuid.uuid4())
        )
        await assert_like_unknown(
            bob, "GET /presentation/status/{id}", alice.task_id, "task-" + secrets.token_hex(32)
        )
        # Uploads: as a path never issued (create and generate 400, decompose as unknown).
        for template, status in [
            (
                'POST /presentation/create {"content": "x", "n_slides": 2, "file_paths": ["{id}"]}',
                400,
            ),
            ('POST /presentation/generate/async {"content": "x", "files": ["{id}"]}', 400),
            ('POST /files/decompose {"file_paths": ["{id}"]}', 400),
        ]:
            await assert_like_unknown(bob, template, alice.upload, unknown_upload, status)
        # Webhooks: not listed, not deletable, their deliveries not shown.
        assert (await bob.get(f"{WEBHOOK}/subscriptions")).json() == []
        gone = await bob.request("DELETE", f"{WEBHOOK}/unsubscribe", json={"id": alice.webhook_id})
        unknown = await bob.request(
            "DELETE", f"{WEBHOOK}/unsubscribe", json={"id": "webhook-" + secrets.token_hex(32)}
        )
        assert (gone.status_code, gone.json()) == (404, unknown.json())
        assert (await bob.get(f"{WEBHOOK}/deliveries")).json() == []
        filtered = await bob.get(
            f"{WEBHOOK}/deliveries", params={"subscription_id": alice.webhook_id}
        )
        assert filtered.json() == []
        # Listings: only bob's own.
        own = await bob.post(f"{API}/presentation/create", json={"content": "Bob's", "n_slides": 2})
        assert own.status_code == 200
        assert (await bob.get(f"{API}/presentation/all")).json() == []
        library = (await bob.get("/api/web/presentations")).json()
        assert [p["id"] for p in library] == [own.json()["id"]]
        assert (await presentations_count(keyed.settings)) >= 2

    # Nothing of alice's changed, and nothing ran for her deck.
    assert len(fake_llm.calls()) == calls_before
    assert await jobs_of(keyed.settings, alice.presentation_id) == jobs_before
    async with keyed.client(keyed.alice) as http:
        deck = (await http.get(f"{API}/presentation/{alice.presentation_id}")).json()
        assert deck["title"] == alice.title and len(deck["slides"]) == 2
        assert [h["id"] for h in (await http.get(f"{WEBHOOK}/subscriptions")).json()] == [
            alice.webhook_id
        ]
        assert (await http.get(f"{API}/presentation/all")).json()[0]["id"] == alice.presentation_id
        decomposed = await http.post(f"{API}/files/decompose", json={"file_paths": [alice.upload]})
        assert decomposed.status_code == 200, decomposed.text


async def test_an_admin_key_sees_and_uses_every_owners_resources(
    keyed: Deployment, receivers: tuple[Receiver, str, Receiver, str]
) -> None:
    _, hook_url, _, _ = receivers
    alice = await alice_world(keyed, hook_url)
    pid = alice.presentation_id
    async with keyed.client(keyed.bob) as http:
        bobs = (
            await http.post(f"{API}/presentation/create", json={"content": "Bob's", "n_slides": 2})
        ).json()
    async with keyed.client(keyed.admin) as admin:
        for path in [
            f"{API}/presentation/{pid}",
            f"{API}/presentation/preview/{pid}",
            f"{API}/presentation/download/{pid}",
            f"{API}/outlines/{pid}",
            f"/api/web/presentations/{pid}/geometry",
            f"/api/web/presentations/{pid}/geometry/0",
            f"{API}/presentation/status/{alice.task_id}",
        ]:
            response = await admin.get(path)
            assert response.status_code == 200, (path, response.text)
        assert (await admin.get(f"{API}/presentation/all")).json()[0]["id"] == pid
        library = {p["id"] for p in (await admin.get("/api/web/presentations")).json()}
        assert library == {pid, bobs["id"]}
        hooks = (await admin.get(f"{WEBHOOK}/subscriptions")).json()
        assert [h["id"] for h in hooks] == [alice.webhook_id]

        def alices_only(found: list[dict[str, Any]]) -> bool:
            return [d["subscription_id"] for d in found] == [alice.webhook_id]

        await wait_for(partial(deliveries, admin), alices_only, "alice's delivery to show")
        for path, body in [
            ("/presentation/export", {"id": pid}),
            ("/presentation/stream_token/" + pid, None),
            ("/files/decompose", {"file_paths": [alice.upload]}),
            ("/presentation/create", {"content": "x", "n_slides": 2, "file_paths": [alice.upload]}),
            ("/presentation/update", {"id": pid, "title": "Renamed by the admin"}),
        ]:
            method = "PATCH" if path.endswith("update") else "POST"
            response = await admin.request(method, f"{API}{path}", json=body)
            assert response.status_code == 200, (path, response.text)
        regenerated = await admin.post(f"{API}/slide/regenerate", json={"id": alice.slide_id})
        assert regenerated.status_code == 200, regenerated.text
        frames = await read_all(admin, deck_url(pid))
        assert frames[-1].type == "complete"
        deleted = await admin.delete(f"{API}/presentation/{pid}")
        assert deleted.status_code == 204
        gone = await admin.request(
            "DELETE", f"{WEBHOOK}/unsubscribe", json={"id": alice.webhook_id}
        )
        assert gone.status_code == 204
    async with keyed.client(keyed.alice) as http:
        assert (await http.get(f"{API}/presentation/{pid}")).status_code == 404


async def test_opening_another_owners_stream_starts_no_generation(
    keyed: Deployment, fake_llm: FakeLLMHandle
) -> None:
    async with keyed.client(keyed.alice) as alice:
        fresh = (
            await alice.post(f"{API}/presentation/create", json={"content": "Moss", "n_slides": 2})
        ).json()
        prepared = (
            await alice.post(f"{API}/presentation/create", json={"content": "Ferns", "n_slides": 2})
        ).json()
        response = await alice.post(
            f"{API}/presentation/prepare",
            json={"presentation_id": prepared["id"], "outlines": marked_outlines(2)},
        )
        assert response.status_code == 200, response.text
    calls = len(fake_llm.calls())
    async with keyed.client(keyed.bob) as bob:
        for url, resume in [(outline_url(fresh["id"]), "o"), (deck_url(prepared["id"]), "d")]:
            for headers in [
                {},
                {"Last-Event-ID": f"{resume}1:0"},
                {"Last-Event-ID": f"{resume}1:end"},
            ]:
                response = await bob.get(url, headers=headers)
                assert response.status_code == 404, (url, headers, response.text)
        regenerate = await bob.post(f"{API}/presentation/regenerate/{prepared['id']}")
        assert regenerate.status_code == 404
    assert await jobs_of(keyed.settings, fresh["id"]) == 0
    assert await jobs_of(keyed.settings, prepared["id"]) == 0
    assert len(fake_llm.calls()) == calls
    # The owner opening the same streams does start them (so the counts above could move).
    async with keyed.client(keyed.alice) as alice:
        assert (await read_all(alice, deck_url(prepared["id"])))[-1].type == "complete"
        assert (await read_all(alice, outline_url(fresh["id"])))[-1].type == "complete"
    assert await jobs_of(keyed.settings, prepared["id"]) == 1
    assert await jobs_of(keyed.settings, fresh["id"]) == 1


async def test_generation_events_reach_only_the_deck_owners_webhooks(
    keyed: Deployment, receivers: tuple[Receiver, str, Receiver, str]
) -> None:
    alices_receiver, alices_url, bobs_receiver, bobs_url = receivers
    decks: dict[str, str] = {}
    for key, url in [(keyed.alice, alices_url), (keyed.bob, bobs_url)]:
        async with keyed.client(key) as http:
            await subscribe(http, url)
    for name, key in [("bob", keyed.bob), ("alice", keyed.alice)]:
        async with keyed.client(key) as http:
            task = await http.post(
                GENERATE_ASYNC, json={"content": "", "slides_markdown": markdown_slides(1)}
            )
            assert task.status_code == 200, task.text
            assert (await task_finished(http, task.json()["id"]))["status"] == "completed"
            decks[name] = str(task.json()["data"]["presentation_id"])
    async with keyed.client(keyed.admin) as admin:

        def both_made(found: list[dict[str, Any]]) -> bool:
            return len(found) >= 2 and all(d["status"] != "pending" for d in found)

        await wait_for(partial(deliveries, admin), both_made, "both deliveries to be made")
        assert len(await deliveries(admin)) == 2
    assert [r["presentation_id"] for r in alices_receiver.received] == [decks["alice"]]
    assert [r["presentation_id"] for r in bobs_receiver.received] == [decks["bob"]]
