"""Synchronous `generate` through the gateway: start an async task upstream, poll it until
it ends, answer Presenton's `{presentation_id, path, edit_path}`.

Going through the async task (rather than holding the upstream's own synchronous request)
means the task is known from the start: it is recorded as the caller's, a wait that hits
the ceiling can name it, and nothing depends on one long upstream request surviving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from starlette.types import Receive

from slidestream.gateway.core import Gateway
from slidestream.gateway.hooks import Caller, UpstreamRequest
from slidestream.gateway.upstream import API_PREFIX, json_object, segment

log = logging.getLogger(__name__)

FIRST_POLL_SECONDS = 0.25
# Nobody reads the answer to a request whose client has gone; nginx's word for it.
CLIENT_CLOSED = 499
# Consecutive failed status polls (upstream unreachable or 5xx) before giving up.
POLL_FAILURES = 5
FAILED = "Presentation generation failed"


def status_call(task_id: str) -> UpstreamRequest:
    return UpstreamRequest("status", "GET", f"{API_PREFIX}/presentation/status/{segment(task_id)}")


async def record_task(gateway: Gateway, caller: Caller, task: dict[str, Any]) -> None:
    """Record the task, and its presentation once the upstream names it."""
    await gateway.record(caller, "task", task.get("id"))
    data = task.get("data")
    if isinstance(data, dict):
        await gateway.record(caller, "presentation", data.get("presentation_id"))


async def start_task(gateway: Gateway, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """`generate/async` upstream; the task is recorded as the caller's."""
    call = UpstreamRequest(
        "generate_async", "POST", f"{API_PREFIX}/presentation/generate/async", json=body
    )
    task = json_object(await gateway.send(caller, call))
    await record_task(gateway, caller, task)
    return task


async def generate_and_wait(
    gateway: Gateway,
    caller: Caller,
    body: dict[str, Any],
    *,
    status_path: Callable[[str], str],
    async_path: str,
    receive: Receive | None = None,
) -> dict[str, Any]:
    """Wait for the deck (up to `generate_wait_seconds`, if set); `status_path(task_id)`
    and `async_path` are the gateway's own routes, named in the 504 ending a long wait.
    With the request's `receive`, the wait (and its polling) ends when the client leaves;
    the generation goes on upstream."""
    task = await start_task(gateway, caller, body)
    task_id = str(task.get("id", ""))
    ceiling = gateway.settings.generate_wait_seconds or None
    gateway.waiting += 1
    try:
        async with asyncio.timeout(ceiling):
            return await _unless_gone(_until_done(gateway, caller, task), receive, task_id)
    except TimeoutError as error:
        log.info("gateway.generate.ceiling task_id=%s", task_id)
        raise HTTPException(
            504,
            f"The presentation is still being generated (task {task_id}). Poll GET "
            f"{status_path(task_id)} until its status is completed; "
            f"behind short timeouts, start with POST {async_path} instead.",
        ) from error
    finally:
        gateway.waiting -= 1


async def _unless_gone(waiting: Any, receive: Receive | None, task_id: str) -> dict[str, Any]:
    """`waiting`'s result, unless the client disconnects first."""
    done_waiting: asyncio.Task[dict[str, Any]] = asyncio.ensure_future(waiting)
    if receive is None:
        return await done_waiting
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({done_waiting, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (done_waiting, gone):
            pending.cancel()
    if done_waiting.done() and not done_waiting.cancelled():
        return done_waiting.result()
    log.info("gateway.generate.client_gone task_id=%s", task_id)
    raise HTTPException(CLIENT_CLOSED, f"The client left; task {task_id} goes on upstream")


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _until_done(gateway: Gateway, caller: Caller, task: dict[str, Any]) -> dict[str, Any]:
    task_id = str(task.get("id", ""))
    call = status_call(task_id)
    interval, failures = FIRST_POLL_SECONDS, 0
    while True:
        status = task.get("status")
        if status == "completed":
            return _result(task)
        if status == "error":
            raise _failure(task)
        await asyncio.sleep(interval)
        interval = min(interval * 2, gateway.settings.generate_poll_seconds)
        try:
            task = json_object(await gateway.send(caller, call))
        except HTTPException as error:
            failures += 1
            if error.status_code < 500 or failures >= POLL_FAILURES:
                raise
            continue
        failures = 0
        await record_task(gateway, caller, task)


def _result(task: dict[str, Any]) -> dict[str, Any]:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    assert isinstance(data, dict)
    return {key: data.get(key) for key in ("presentation_id", "path", "edit_path")}


def _failure(task: dict[str, Any]) -> HTTPException:
    """A failed task as an HTTP error: its own 4xx, anything else as 502."""
    error = task.get("error")
    status, detail = 502, FAILED
    if isinstance(error, dict):
        code = error.get("status_code")
        if isinstance(code, int) and 400 <= code < 500:
            status = code
        detail = str(error.get("detail") or FAILED)
    elif isinstance(error, str) and error:
        detail = error
    return HTTPException(status, detail)
