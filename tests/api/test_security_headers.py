"""Browser-facing hardening: security headers on pages, JSON, static files, the deck preview
and event streams (which must still stream); CORS closed unless origins are configured."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse
from PIL import Image

from slidestream.api.security import DOCUMENT_CSP
from slidestream.app import WEB_APP_CSP, create_app
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.support.apps import in_process
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, prepared
from tests.support.servers import threaded_server

APP_ORIGIN = "https://app.example"
OTHER_ORIGIN = "https://evil.example"
PHOTO = "/app_data/images/photo.png"


def assert_hardened(headers: httpx.Headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def assert_forbids_inline_script(policy: str) -> None:
    directives = csp_directives(policy)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None and "'unsafe-inline'" not in scripts
    assert directives["frame-ancestors"] == ["'none'"]


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def cors_client(tmp_path: Path, fake_llm: FakeLLMHandle) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path / "cors", fake_llm.api_url, cors_origins=[APP_ORIGIN])
    async with in_process(create_app(settings)) as http:
        yield http


async def generated_deck_with_photo(http: httpx.AsyncClient, settings: Settings) -> str:
    """A two-slide deck whose first slide shows a real image the app serves."""
    pid = await prepared(http, n=2)
    async with aconnect_sse(http, "GET", deck_url(pid), timeout=None) as source:
        frames = [json.loads(event.data) async for event in source.aiter_sse() if event.data]
    assert frames[-1]["type"] == "complete"
    (settings.images_dir / "photo.png").write_bytes(png_bytes())
    slides: list[dict[str, Any]] = (await get_presentation(http, pid))["slides"]
    slides[0] = {
        **slides[0],
        "layout": "general:bullets-with-image",
        "content": {
            "title": "Pictures",
            "bullets": ["one point", "two points"],
            "image": {"__image_prompt__": "x", "__image_url__": PHOTO},
        },
    }
    response = await http.patch(f"{API}/presentation/update", json={"id": pid, "slides": slides})
    assert response.status_code == 200, response.text
    return pid


# --- security headers ---------------------------------------------------------------------


async def test_web_app_page_keeps_its_own_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert_hardened(response.headers)
    assert response.headers.get_list("content-security-policy") == [WEB_APP_CSP]


async def test_json_routes_are_hardened_without_a_document_policy(
    client: httpx.AsyncClient,
) -> None:
    for response in (await client.get("/health"), await client.get(f"{API}/presentation/x")):
        assert response.headers["content-type"].startswith("application/json")
        assert_hardened(response.headers)
        assert "content-security-policy" not in response.headers


async def test_static_files_are_hardened(client: httpx.AsyncClient, settings: Settings) -> None:
    (settings.images_dir / "photo.png").write_bytes(png_bytes())
    for path in ("/web/slidestream.js", "/static/images/placeholder.svg", PHOTO):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response.headers)
    # An SVG opened on its own is a document that could run script: it gets the policy.
    svg = await client.get("/static/images/placeholder.svg")
    assert svg.headers["content-security-policy"] == DOCUMENT_CSP


async def test_api_docs_keep_working_without_the_document_policy(
    client: httpx.AsyncClient,
) -> None:
    # Swagger UI's page is inline script plus a CDN; the strict policy would blank it.
    response = await client.get("/docs")
    assert response.status_code == 200
    assert_hardened(response.headers)
    assert "content-security-policy" not in response.headers


async def test_preview_html_forbids_script(http: httpx.AsyncClient, settings: Settings) -> None:
    pid = await generated_deck_with_photo(http, settings)
    response = await http.get(f"{API}/presentation/preview/{pid}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_hardened(response.headers)
    policy = response.headers["content-security-policy"]
    assert policy == DOCUMENT_CSP
    assert_forbids_inline_script(policy)
    assert csp_directives(policy)["default-src"] == ["'none'"]
    assert PHOTO in response.text


async def test_event_stream_is_hardened_and_still_streams(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=3)
    async with aconnect_sse(http, "GET", deck_url(pid), timeout=None) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert_hardened(source.response.headers)
        assert "content-security-policy" not in source.response.headers
        frames = [json.loads(event.data) async for event in source.aiter_sse() if event.data]
    types = [frame["type"] for frame in frames]
    assert types.count("chunk") >= 3
    assert types[-1] == "complete"


async def test_strict_presenton_streams_keep_presentons_exact_headers(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    settings = make_settings(tmp_path / "strict", fake_llm.api_url, presenton_strict=True)
    with threaded_server(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            pid = await prepared(http, n=2)
            async with http.stream("GET", deck_url(pid)) as response:
                body = b"".join([part async for part in response.aiter_bytes()])
            assert set(response.headers) == {"content-type", "transfer-encoding", "date", "server"}
            assert b'"type": "complete"' in body
            assert_hardened((await http.get("/health")).headers)


@pytest.mark.browser
async def test_preview_renders_in_a_browser_under_its_policy(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    from playwright.async_api import async_playwright

    pid = await generated_deck_with_photo(http, settings)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            await page.goto(f"{http.base_url}{API}/presentation/preview/{pid}")
            await page.wait_for_load_state("networkidle")
            state = await page.evaluate(
                """async () => {
                    await document.fonts.ready;
                    const img = document.querySelector("img.ss-image");
                    const line = document.querySelector(".ss-line");
                    return {
                        fonts: [...document.fonts].filter(f => f.status === "loaded").length,
                        image: img ? img.naturalWidth : -1,
                        position: line ? getComputedStyle(line).position : null,
                        slides: document.querySelectorAll(".ss-slide").length,
                    };
                }"""
            )
        finally:
            await browser.close()
    assert [text for text in console if "Content Security Policy" in text] == []
    assert state == {"fonts": state["fonts"], "image": 64, "position": "absolute", "slides": 2}
    assert state["fonts"] > 0


# --- CORS -----------------------------------------------------------------------------------


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type",
    }


async def test_cors_is_closed_by_default(client: httpx.AsyncClient) -> None:
    answer = await client.get("/health", headers={"Origin": OTHER_ORIGIN})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
    refused = await client.options(f"{API}/presentation/create", headers=preflight(OTHER_ORIGIN))
    assert not any(name.startswith("access-control-") for name in refused.headers)


async def test_cors_allows_only_configured_origins(cors_client: httpx.AsyncClient) -> None:
    allowed = await cors_client.options(f"{API}/presentation/create", headers=preflight(APP_ORIGIN))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "last-event-id"} <= set(allowed_headers.split(", "))
    assert "access-control-allow-credentials" not in allowed.headers
    assert_hardened(allowed.headers)

    stream_preflight = await cors_client.options(
        f"{API}/presentation/stream/x",
        headers={**preflight(APP_ORIGIN, "GET"), "Access-Control-Request-Headers": "last-event-id"},
    )
    assert stream_preflight.status_code == 200

    refused = await cors_client.options(
        f"{API}/presentation/create", headers=preflight(OTHER_ORIGIN)
    )
    assert "access-control-allow-origin" not in refused.headers

    simple = await cors_client.get("/health", headers={"Origin": APP_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "access-control-expose-headers" not in simple.headers
    other = await cors_client.get("/health", headers={"Origin": OTHER_ORIGIN})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("raw", "origins"),
    [
        ("", []),
        ("https://app.example", ["https://app.example"]),
        (
            " https://a.example/ , http://localhost:5173,",
            ["https://a.example", "http://localhost:5173"],
        ),
        ('["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"]),
        ("*", ["*"]),
    ],
)
def test_cors_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, origins: list[str]
) -> None:
    monkeypatch.setenv("SLIDESTREAM_CORS_ORIGINS", raw)
    assert Settings(data_dir=tmp_path).cors_origins == origins


def test_cors_origins_are_empty_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SLIDESTREAM_CORS_ORIGINS", raising=False)
    assert Settings(data_dir=tmp_path).cors_origins == []
