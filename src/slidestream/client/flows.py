"""The REST operations as flows (see `protocol`): one definition for both clients."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypedDict
from urllib.parse import quote

from slidestream.client.errors import APIError, ClientError, NetworkError, TaskFailed, WaitTimeout
from slidestream.client.models import (
    ExportFormat,
    ExportResult,
    GenerateResult,
    JSONObject,
    RetryPolicy,
    Task,
)
from slidestream.client.protocol import (
    API,
    RETRYABLE_STATUSES,
    Flow,
    Reply,
    Request,
    Sleep,
    Upload,
    api_error,
    expect_json,
)

Tone = Literal["default", "casual", "professional", "funny", "educational", "sales_pitch"]
Verbosity = Literal["concise", "standard", "text-heavy"]
FileSource = str | Path | tuple[str, bytes]


class CreateFields(TypedDict, total=False):
    """Optional fields of `POST /presentation/create` (Presenton's names and meanings)."""

    n_slides: int
    language: str
    file_paths: Sequence[str]
    tone: Tone
    verbosity: Verbosity
    instructions: str
    include_table_of_contents: bool
    include_title_slide: bool
    web_search: bool


class GenerateFields(TypedDict, total=False):
    """Optional fields of `POST /presentation/generate` and `/generate/async`."""

    slides_markdown: Sequence[str]
    n_slides: int
    language: str
    template: str
    tone: Tone
    verbosity: Verbosity
    instructions: str
    include_table_of_contents: bool
    include_title_slide: bool
    web_search: bool
    files: Sequence[str]
    export_as: ExportFormat
    title: str
    trigger_webhook: bool


def _body(base: Mapping[str, Any], fields: Mapping[str, Any]) -> JSONObject:
    body = dict(base)
    for key, value in fields.items():
        if value is not None:
            body[key] = list(value) if isinstance(value, list | tuple) else value
    return body


def _json_object(value: Any) -> JSONObject:
    if not isinstance(value, dict):
        raise ClientError(f"Expected a JSON object from the server, got {type(value).__name__}")
    return value


def upload(files: Sequence[FileSource]) -> Flow[list[str]]:
    uploads = []
    for source in files:
        if isinstance(source, tuple):
            name, data = source
            uploads.append(Upload(name, data, _content_type(name)))
        else:
            path = Path(source)
            uploads.append(Upload(path.name, path, _content_type(path.name)))
    reply = yield Request("POST", f"{API}/files/upload", uploads=tuple(uploads))
    paths = expect_json(reply)
    if not isinstance(paths, list):
        raise ClientError("Expected a list of paths from /files/upload")
    return [str(path) for path in paths]


def _content_type(name: str) -> str:
    # Presenton checks the declared type of each upload, so send the real one.
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def create(content: str, fields: CreateFields) -> Flow[JSONObject]:
    defaults = {"n_slides": 8, "language": "English"}
    body = _body({"content": content, **defaults}, dict(fields))
    reply = yield Request("POST", f"{API}/presentation/create", json=body)
    return _json_object(expect_json(reply))


def update_outline(presentation_id: str, outlines: Sequence[str]) -> Flow[JSONObject]:
    body = {"slides": [{"content": text} for text in outlines]}
    reply = yield Request("PUT", f"{API}/outlines/{presentation_id}", json=body)
    return _json_object(expect_json(reply))


def stored_outline(presentation_id: str, remembered: Mapping[str, list[str]]) -> Flow[list[str]]:
    """The outline the server stored (`GET /outlines/{id}`). Early Presenton has no such
    route; there, the outline this client last streamed for the presentation is used."""
    reply = yield Request("GET", f"{API}/outlines/{presentation_id}")
    assert reply is not None
    if reply.status_code == 200:
        slides = _json_object(reply.json()).get("slides") or []
        texts = [str(s["content"]) for s in slides if isinstance(s, dict) and "content" in s]
        if texts:
            return texts
    elif reply.status_code not in (404, 405):
        raise api_error(reply)
    if presentation_id in remembered:
        return list(remembered[presentation_id])
    if reply.status_code == 200:
        raise ClientError(
            f"Presentation {presentation_id} has no outline yet: stream it first or pass outlines="
        )
    raise api_error(reply)


def layout_group(name: str) -> Flow[JSONObject]:
    """A template group as Presenton's layout model: slidestream's `/layouts/{name}`, or
    Presenton's Next.js `/api/template?group=` on the same origin."""
    first = yield Request("GET", f"{API}/layouts/{quote(name, safe='')}")
    assert first is not None
    if first.status_code == 200:
        return _json_object(first.json())
    second = yield Request("GET", "/api/template", params={"group": name})
    assert second is not None
    if second.status_code == 200:
        return _json_object(second.json())
    # A bare "Not Found" means the route is missing; a named error is the real answer.
    first_error = api_error(first)
    raise first_error if first_error.detail != "Not Found" else api_error(second)


def prepare(
    presentation_id: str,
    outlines: Sequence[str] | None,
    layout: str | Mapping[str, Any],
    title: str | None,
    remembered: Mapping[str, list[str]],
) -> Flow[JSONObject]:
    if outlines is None:
        outlines = yield from stored_outline(presentation_id, remembered)
    model = dict(layout) if isinstance(layout, Mapping) else (yield from layout_group(layout))
    body: JSONObject = {
        "presentation_id": presentation_id,
        "outlines": [{"content": text} for text in outlines],
        "layout": model,
    }
    if title is not None:
        body["title"] = title
    reply = yield Request("POST", f"{API}/presentation/prepare", json=body)
    return _json_object(expect_json(reply))


def generate(content: str, fields: GenerateFields) -> Flow[GenerateResult]:
    body = _body({"content": content}, dict(fields))
    reply = yield Request("POST", f"{API}/presentation/generate", json=body, timeout="generate")
    return GenerateResult.from_json(_json_object(expect_json(reply)))


def generate_async(content: str, fields: GenerateFields) -> Flow[Task]:
    body = _body({"content": content}, dict(fields))
    reply = yield Request("POST", f"{API}/presentation/generate/async", json=body)
    return Task.from_json(_json_object(expect_json(reply)))


def status(task_id: str) -> Flow[Task]:
    reply = yield Request("GET", f"{API}/presentation/status/{quote(task_id, safe='')}")
    return Task.from_json(_json_object(expect_json(reply)))


def wait(
    task_id: str,
    poll_interval: float,
    timeout: float | None,
    clock: Callable[[], float],
    policy: RetryPolicy,
) -> Flow[Task]:
    """Poll until the task completes (returned) or fails (`TaskFailed`). Network errors and
    retryable statuses are retried per `policy`; `timeout` bounds the whole wait."""
    deadline = None if timeout is None else clock() + timeout
    task: Task | None = None
    failures = 0
    while True:
        try:
            task = yield from status(task_id)
        except (NetworkError, APIError) as error:
            if isinstance(error, APIError) and error.status_code not in RETRYABLE_STATUSES:
                raise
            failures += 1
            if failures > policy.max_retries:
                raise
            delay = policy.delay(failures)
        else:
            failures = 0
            if task.status == "completed":
                return task
            if task.status == "error":
                raise TaskFailed(task)
            delay = poll_interval
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                raise WaitTimeout(task, timeout or 0.0)
            delay = min(delay, remaining)
        yield Sleep(delay)


def get(presentation_id: str) -> Flow[JSONObject]:
    reply = yield Request("GET", f"{API}/presentation/{presentation_id}")
    return _json_object(expect_json(reply))


def list_presentations() -> Flow[list[JSONObject]]:
    reply = yield Request("GET", f"{API}/presentation/all")
    assert reply is not None
    if reply.status_code == 404:
        return []  # early Presenton answers 404 when there is nothing to list
    items = expect_json(reply)
    if not isinstance(items, list):
        raise ClientError("Expected a list from /presentation/all")
    return [_json_object(item) for item in items]


def delete(presentation_id: str) -> Flow[None]:
    reply = yield Request("DELETE", f"{API}/presentation/{presentation_id}")
    _expect_success(reply)


def _expect_success(reply: Reply | None) -> None:
    assert reply is not None, "a driver always answers a Request with a Reply"
    if not 200 <= reply.status_code < 300:
        raise api_error(reply)


def export(presentation_id: str, export_as: ExportFormat) -> Flow[ExportResult]:
    body = {"id": presentation_id, "export_as": export_as}
    reply = yield Request("POST", f"{API}/presentation/export", json=body, timeout="generate")
    return ExportResult.from_json(_json_object(expect_json(reply)))


def download(target: str | ExportResult, dest: Path) -> Flow[Path]:
    url = target.url if isinstance(target, ExportResult) else target
    if not url.startswith(("http://", "https://", "/")):
        raise ClientError(f"Cannot download {url!r}: not a URL or a path on the server")
    reply = yield Request("GET", url, dest=dest, timeout="generate")
    _expect_success(reply)
    return dest
