"""Browser-facing hardening: security headers on every response, CORS only when configured.

`SecurityHeaders` is plain ASGI middleware: it edits the headers of `http.response.start`
and passes every body message through untouched, so streams are neither buffered nor
delayed.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slidestream.settings import Settings

# For documents that bring no policy of their own (the deck preview): its markup uses
# `<style>` and `style=""` (absolutely positioned lines) and needs nothing else but the
# bundled fonts and the app's own images. No script of any kind, no plugins, no forms,
# no `<base>`, never framed.
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Media types a browser renders as a document that could run script.
DOCUMENT_TYPES = frozenset({b"text/html", b"application/xhtml+xml", b"image/svg+xml"})
EVENT_STREAM = b"text/event-stream"
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID"]


def media_type(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The `content-type` without parameters, lower case (empty when there is none)."""
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


class SecurityHeaders:
    """Add `nosniff`, `no-referrer` and `X-Frame-Options: DENY` to every HTTP response,
    and `document_csp` to documents without a Content-Security-Policy of their own.

    A header the response already has is never replaced. `csp_exempt_paths` get no
    default policy (FastAPI's `/docs` needs inline script and a CDN); with
    `skip_event_streams` event streams keep exactly the headers they were given."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        document_csp: str = DOCUMENT_CSP,
        csp_exempt_paths: Iterable[str] = (),
        skip_event_streams: bool = False,
    ) -> None:
        self.app = app
        self.document_csp = document_csp.encode()
        self.csp_exempt_paths = frozenset(csp_exempt_paths)
        self.skip_event_streams = skip_event_streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", "")).removeprefix(str(scope.get("root_path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = self.headers_for(path, list(message.get("headers", [])))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def headers_for(
        self, path: str, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        media = media_type(headers)
        if media == EVENT_STREAM and self.skip_event_streams:
            return headers
        present = {name.lower() for name, _ in headers}
        added = [(name, value) for name, value in ALWAYS if name not in present]
        if (
            media in DOCUMENT_TYPES
            and b"content-security-policy" not in present
            and path not in self.csp_exempt_paths
        ):
            added.append((b"content-security-policy", self.document_csp))
        return headers + added


def install_browser_security(app: FastAPI, settings: Settings) -> None:
    """Security headers on every response; CORS headers only for `settings.cors_origins`
    (none by default: browsers then keep pages of other origins out). Call it after the
    other middleware, so its headers are on their refusals too."""
    if settings.cors_origins:
        # No credentials: API keys travel in `Authorization`, never in cookies. `*` is
        # honoured when configured, which CORS permits only because credentials are off.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            allow_credentials=False,
            max_age=600,
        )
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    # Added last, so outermost: CORS preflight answers carry the headers as well.
    app.add_middleware(
        SecurityHeaders,
        csp_exempt_paths=[path for path in docs if path],
        # Strict Presenton mode promises Presenton's exact stream headers.
        skip_event_streams=settings.presenton_strict,
    )
