"""Webhooks: subscription checks, signed deliveries, retries, and a receiver that is down
never holding up a generation. Receivers are real HTTP servers on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from slidestream.app import create_app
from slidestream.webhooks import SIGNATURE_HEADER, verify
from tests.conftest import make_settings
from tests.support.apps import in_process
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API
from tests.support.servers import ThreadedServer, free_port
from tests.support.waiting import wait_for

WEBHOOK = "/api/v1/webhook"
SECRET = "s3cret-for-tests"


@dataclass
class Receiver:
    """Records what it is sent; answers `fail_first` requests with 500 first."""

    fail_first: int = 0
    answer_bytes: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            self.received.append({"headers": dict(request.headers), "body": body})
            if len(self.received) <= self.fail_first:
                return JSONResponse({"error": "not yet"}, status_code=500)
            return JSONResponse({"ok": True, "page": "x" * self.answer_bytes})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver(fail_first=1)
    server = ThreadedServer(target.app()).start()
    try:
        yield target, f"{server.url}/hook"
    finally:
        server.stop()


@pytest.fixture
async def hooks_client(tmp_path: Path, fake_llm: FakeLLMHandle) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        tmp_path / "data",
        fake_llm.api_url,
        fetch_allow_hosts=["127.0.0.1"],
        webhook_backoff_initial=0.01,
        webhook_backoff_max=0.05,
        webhook_max_attempts=3,
        webhook_timeout_seconds=5,
    )
    app = create_app(settings)
    async with in_process(app) as http:
        yield http


async def subscribe(http: httpx.AsyncClient, url: str, event: str, secret: str | None) -> str:
    body = {"url": url, "event": event, **({"secret": secret} if secret else {})}
    response = await http.post(f"{WEBHOOK}/subscribe", json=body)
    assert response.status_code == 201, response.text
    hook_id: str = response.json()["id"]
    assert hook_id.startswith("webhook-") and len(hook_id) == 8 + 64
    return hook_id


async def deliveries(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get(f"{WEBHOOK}/deliveries")
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()
    return result


async def test_completion_is_delivered_signed_and_retried_after_a_500(
    hooks_client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    await subscribe(hooks_client, url, "presentation.generation.completed", SECRET)
    result = (
        await hooks_client.post(
            f"{API}/presentation/generate", json={"content": "Bees", "n_slides": 3}
        )
    ).json()
    done = await wait_for(
        lambda: deliveries(hooks_client),
        lambda d: bool(d) and d[0]["status"] != "pending",
        "the delivery to finish",
    )
    assert done[0]["status"] == "delivered"
    assert done[0]["attempts"] == 2  # the 500 was retried
    assert done[0]["last_status_code"] == 200
    assert len(target.received) == 2
    last = target.received[-1]
    payload = json.loads(last["body"])
    assert payload == result  # Presenton's PresentationPathAndEditPath
    assert verify(SECRET, last["headers"][SIGNATURE_HEADER.lower()], last["body"])
    assert not verify("wrong-secret", last["headers"][SIGNATURE_HEADER.lower()], last["body"])
    assert last["headers"]["authorization"] == f"Bearer {SECRET}"
    assert last["headers"]["x-slidestream-event"] == "presentation.generation.completed"


async def test_failure_event_carries_the_detail(
    hooks_client: httpx.AsyncClient, receiver: tuple[Receiver, str], fake_llm: FakeLLMHandle
) -> None:
    target, url = receiver
    target.fail_first = 0
    await subscribe(hooks_client, url, "presentation.generation.failed", None)
    await subscribe(hooks_client, url, "presentation.generation.completed", None)
    fake_llm.add_faults({"kind": "401", "times": 1000})
    response = await hooks_client.post(
        f"{API}/presentation/generate", json={"content": "", "slides_markdown": ["# One\n- a"]}
    )
    assert response.status_code == 502
    await wait_for(lambda: target.received, bool, "the failure to be delivered")
    payload = json.loads(target.received[0]["body"])
    assert payload["status_code"] == 500
    assert "401" in payload["detail"] or "key" in payload["detail"].lower()
    assert SIGNATURE_HEADER.lower() not in target.received[0]["headers"]  # no secret, no signature
    assert len(target.received) == 1  # the completed hook was not called


async def test_a_receiver_that_is_down_does_not_hold_up_generation(
    hooks_client: httpx.AsyncClient,
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/hook"
    await subscribe(hooks_client, nobody, "presentation.generation.completed", SECRET)
    response = await hooks_client.post(
        f"{API}/presentation/generate", json={"content": "Bees", "n_slides": 3}
    )
    assert response.status_code == 200  # answered without waiting for the receiver
    gave_up = await wait_for(
        lambda: deliveries(hooks_client),
        lambda d: bool(d) and d[0]["status"] == "failed",
        "the delivery to run out of attempts",
    )
    assert gave_up[0]["attempts"] == 3
    assert gave_up[0]["last_error"]
    assert gave_up[0]["last_status_code"] is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://localhost/hook",
        "not a url",
    ],
)
async def test_subscribing_a_non_http_or_private_url_is_a_400(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.post(
        f"{WEBHOOK}/subscribe", json={"url": url, "event": "presentation.generation.completed"}
    )
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], str)
    assert (await client.get(f"{WEBHOOK}/subscriptions")).json() == []


async def test_unknown_event_is_422_and_unsubscribe_works_once(
    hooks_client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    response = await hooks_client.post(
        f"{WEBHOOK}/subscribe", json={"url": url, "event": "presentation.deleted"}
    )
    assert response.status_code == 422
    hook_id = await subscribe(hooks_client, url, "presentation.generation.completed", SECRET)
    listed = (await hooks_client.get(f"{WEBHOOK}/subscriptions")).json()
    assert [(h["id"], h["has_secret"]) for h in listed] == [(hook_id, True)]
    assert SECRET not in json.dumps(listed)
    gone = await hooks_client.request("DELETE", f"{WEBHOOK}/unsubscribe", json={"id": hook_id})
    assert gone.status_code == 204
    again = await hooks_client.request("DELETE", f"{WEBHOOK}/unsubscribe", json={"id": hook_id})
    assert again.status_code == 404
    assert again.json()["detail"] == "Webhook subscription not found"


async def test_a_receiver_answering_2xx_with_a_large_page_is_delivered_once(
    hooks_client: httpx.AsyncClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    target.fail_first, target.answer_bytes = 0, 500_000
    await subscribe(hooks_client, url, "presentation.generation.completed", SECRET)
    response = await hooks_client.post(
        f"{API}/presentation/generate", json={"content": "Bees", "n_slides": 2}
    )
    assert response.status_code == 200
    done = await wait_for(
        lambda: deliveries(hooks_client),
        lambda d: bool(d) and d[0]["status"] != "pending",
        "the delivery to finish",
    )
    assert (done[0]["status"], done[0]["attempts"]) == ("delivered", 1)
    assert len(target.received) == 1


async def test_finishing_a_task_twice_announces_it_once(
    tmp_path: Path, fake_llm: FakeLLMHandle, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    target.fail_first = 0
    settings = make_settings(tmp_path / "data", fake_llm.api_url, fetch_allow_hosts=["127.0.0.1"])
    app = create_app(settings)
    async with in_process(app) as http:
        await subscribe(http, url, "presentation.generation.completed", None)
        task = (
            await http.post(
                f"{API}/presentation/generate/async", json={"content": "x", "n_slides": 2}
            )
        ).json()
        await wait_for(lambda: target.received, bool, "the completion to be delivered")
        runtime = app.state.runtime
        row = await runtime.repository.get_task(task["id"])
        job = await runtime.repository.get_job(row.job_id)
        await runtime.tasks.completed(job)  # as a job resumed after a crash would
        assert len(await deliveries(http)) == 1
