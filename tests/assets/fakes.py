"""Loopback stand-ins for the outside world of slide assets: the Pexels, Pixabay and
OpenAI images APIs, and an image host (with redirects, oversize and wrong-type answers).

One small FastAPI app serves them all on a real uvicorn server (`ThreadedServer`); every
request it gets is recorded so tests can check what was (and was not) asked.
"""

from __future__ import annotations

import asyncio
import base64
import struct
import threading
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from tests.support.servers import ThreadedServer


def make_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A real, valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# A valid 1x1 GIF.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PNG = make_png()
OPENAI_PNG = make_png(2, 2, (200, 40, 40))
HTML = b"<!doctype html><html><body>not an image</body></html>"


@dataclass
class FakeWorld:
    """What the fake outside world answers, and what it was asked."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_providers: bool = False
    pexels_image_path: str = "/img/pexels.png"
    pixabay_image_path: str = "/img/pixabay.gif"
    image_base: str = ""
    """Where provider answers point (this server's URL, or another one)."""
    images_released: threading.Event = field(default_factory=threading.Event)
    """Image downloads wait for this (set unless a test holds images back)."""

    def __post_init__(self) -> None:
        self.images_released.set()

    def calls(self, prefix: str) -> list[dict[str, Any]]:
        return [entry for entry in self.requests if entry["path"].startswith(prefix)]

    def reset(self) -> None:
        self.requests.clear()
        self.fail_providers = False
        self.pexels_image_path = "/img/pexels.png"
        self.pixabay_image_path = "/img/pixabay.gif"
        self.images_released.set()


def create_fake_world_app(world: FakeWorld) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        body = await request.body()
        world.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": dict(request.headers),
                "body": body,
            }
        )
        response: Response = await call_next(request)
        return response

    # --- providers ------------------------------------------------------------------
    @app.get("/pexels/v1/search")
    async def pexels(request: Request) -> Response:
        if request.headers.get("authorization") != "pexels-key":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if world.fail_providers:
            return JSONResponse({"error": "down"}, status_code=500)
        url = world.image_base + world.pexels_image_path
        src = {"original": url, "large2x": url, "large": url, "medium": url}
        return JSONResponse({"total_results": 1, "photos": [{"id": 1, "src": src}]})

    @app.get("/pixabay/api/")
    async def pixabay(request: Request) -> Response:
        if request.query_params.get("key") != "pixabay-key":
            return JSONResponse({"error": "bad key"}, status_code=400)
        if world.fail_providers:
            return JSONResponse({"error": "down"}, status_code=500)
        url = world.image_base + world.pixabay_image_path
        return JSONResponse({"total": 1, "hits": [{"largeImageURL": url, "webformatURL": url}]})

    @app.post("/openai/v1/images/generations")
    async def openai_images(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer openai-key":
            return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
        if world.fail_providers:
            return JSONResponse({"error": {"message": "down"}}, status_code=500)
        encoded = base64.b64encode(OPENAI_PNG).decode()
        return JSONResponse({"created": 0, "data": [{"b64_json": encoded}]})

    @app.get("/empty/v1/search")
    async def no_results() -> Response:
        return JSONResponse({"total_results": 0, "photos": []})

    # --- image host -----------------------------------------------------------------
    @app.get("/img/{name}")
    async def image(name: str) -> Response:
        await asyncio.to_thread(world.images_released.wait, 60)
        if name.endswith(".gif"):
            return Response(GIF, media_type="image/gif")
        return Response(PNG, media_type="image/png")

    @app.get("/html")
    async def html() -> Response:
        return Response(HTML, media_type="text/html")

    @app.get("/html-as-png")
    async def html_as_png() -> Response:
        return Response(HTML, media_type="image/png")

    @app.get("/redirect")
    async def redirect(to: str, code: int = 302) -> Response:
        return RedirectResponse(to, status_code=code)

    @app.get("/chain/{hops}")
    async def chain(hops: int) -> Response:
        if hops <= 0:
            return Response(PNG, media_type="image/png")
        return RedirectResponse(f"/chain/{hops - 1}", status_code=302)

    @app.get("/big")
    async def big(size: int) -> Response:
        async def body() -> AsyncIterator[bytes]:
            sent = 0
            yield PNG[:64]
            sent += 64
            while sent < size:
                yield b"\x00" * 4096
                sent += 4096

        # Streamed: no Content-Length, so only the running count can stop it.
        return StreamingResponse(body(), media_type="image/png")

    @app.get("/big-declared")
    async def big_declared(size: int) -> Response:
        return Response(PNG + b"\x00" * size, media_type="image/png")

    @app.get("/echo")
    async def echo(request: Request) -> Response:
        return JSONResponse({"host": request.headers.get("host")})

    return app


class FakeWorldServer:
    def __init__(self) -> None:
        self.world = FakeWorld()
        self.server = ThreadedServer(create_fake_world_app(self.world))
        self.url = self.server.url
        self.port = self.server.port
        self.world.image_base = self.url

    def start(self) -> FakeWorldServer:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def reset(self) -> None:
        self.world.reset()
        self.world.image_base = self.url

    def provider_settings(self) -> dict[str, object]:
        """Settings overrides that point every provider at this server."""
        return {
            "pexels_api_key": "pexels-key",
            "pixabay_api_key": "pixabay-key",
            "openai_api_key": "openai-key",
            "pexels_url": f"{self.url}/pexels/v1",
            "pixabay_url": f"{self.url}/pixabay/api/",
            "openai_images_url": f"{self.url}/openai/v1",
            "fetch_allow_hosts": ["127.0.0.1"],
        }
