"""Downloading a deck's PPTX or PDF through the gateway, streamed as it arrives.

slidestream serves the file at `GET /presentation/download/{id}`. Presenton has no such
route (its router answers FastAPI's bare `{"detail": "Not Found"}`): there the file is made
with `POST /presentation/export`, whose `path` its own web server serves.
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator
from typing import Literal

import httpx
from fastapi import HTTPException
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from slidestream.gateway.core import Gateway
from slidestream.gateway.hooks import Caller, UpstreamRequest
from slidestream.gateway.upstream import API_PREFIX, json_object, segment

ExportFormat = Literal["pptx", "pdf"]
# FastAPI's answer for a route it does not have (not "Presentation not found").
NO_SUCH_ROUTE = "Not Found"
MEDIA_TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


async def download(
    gateway: Gateway, caller: Caller, presentation_id: str, export_as: ExportFormat
) -> StreamingResponse:
    call = UpstreamRequest(
        "export",
        "GET",
        f"{API_PREFIX}/presentation/download/{segment(presentation_id)}",
        params={"format": export_as},
    )
    try:
        response = await gateway.open_file(caller, call)
    except HTTPException as error:
        if error.status_code not in (404, 405) or error.detail != NO_SUCH_ROUTE:
            raise
        response = await _presenton_export(gateway, caller, presentation_id, export_as)
    return _file_response(response, export_as)


async def _presenton_export(
    gateway: Gateway, caller: Caller, presentation_id: str, export_as: ExportFormat
) -> httpx.Response:
    made = json_object(
        await gateway.send(
            caller,
            UpstreamRequest(
                "export",
                "POST",
                f"{API_PREFIX}/presentation/export",
                json={"id": presentation_id, "export_as": export_as},
            ),
        )
    )
    path = made.get("path")
    # Only a path on the upstream itself: never a URL, never out of its root.
    if not isinstance(path, str) or not path.startswith("/") or ".." in path.split("/"):
        raise HTTPException(502, "The presentation server gave no file to download")
    return await gateway.open_file(
        caller, UpstreamRequest("export", "GET", posixpath.normpath(path))
    )


def _file_response(response: httpx.Response, export_as: ExportFormat) -> StreamingResponse:
    headers = {"content-disposition": f'attachment; filename="presentation.{export_as}"'}
    if "content-disposition" in response.headers:
        headers["content-disposition"] = response.headers["content-disposition"]
    # The body is passed on decoded: the upstream's length is only right for an
    # uncompressed body (identity was asked for, but an upstream may compress anyway).
    encoding = response.headers.get("content-encoding", "identity").lower()
    if "content-length" in response.headers and encoding == "identity":
        headers["content-length"] = response.headers["content-length"]

    async def body() -> AsyncIterator[bytes]:
        try:
            async for part in response.aiter_bytes():
                yield part
        finally:
            await response.aclose()

    media_type = response.headers.get("content-type", MEDIA_TYPES[export_as])
    # The background close covers a client that left before the body was started.
    return StreamingResponse(
        body(), media_type=media_type, headers=headers, background=BackgroundTask(response.aclose)
    )
