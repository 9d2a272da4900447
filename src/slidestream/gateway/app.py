"""The gateway as an application of its own: the router behind API-key authentication,
with CORS (closed unless origins are configured) and a request-size limit. This is what
`slidestream gateway` runs; any ASGI server or host can run or mount it too."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from slidestream import __version__
from slidestream.api.errors import install_error_handlers
from slidestream.api.limits import BodySizeLimit
from slidestream.gateway.core import Gateway
from slidestream.gateway.hooks import GatewayHooks, api_key_authenticator
from slidestream.gateway.ownership import OwnershipStore
from slidestream.gateway.routes import build_router
from slidestream.settings import GatewaySettings

CORS_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID", "X-API-Key"]
# Requests whose body the gateway never reads: no limit to watch, and a relayed stream's
# frames skip one wrapper each.
BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class GatewayBodyLimit(BodySizeLimit):
    """The server's request size limit, for the methods that carry a body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in BODILESS:
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_gateway_router(
    settings: GatewaySettings, hooks: GatewayHooks, *, store: OwnershipStore | None = None
) -> APIRouter:
    """The gateway's routes, to `include_router` into a FastAPI backend (its lifespan
    comes along and closes the upstream client)."""
    return build_router(Gateway(settings, hooks, store=store))


def api_key_hooks(settings: GatewaySettings) -> GatewayHooks:
    """Callers are the configured API keys; each uses its upstream key, or the shared one."""
    return GatewayHooks(
        authenticate=api_key_authenticator(settings.api_keys, allow_query=settings.query_api_keys)
    )


def create_gateway_app(
    settings: GatewaySettings | None = None,
    hooks: GatewayHooks | None = None,
    *,
    store: OwnershipStore | None = None,
) -> FastAPI:
    """The standalone gateway: API-key callers unless `hooks` say otherwise."""
    settings = settings or GatewaySettings()
    gateway = Gateway(settings, hooks or api_key_hooks(settings), store=store)
    app = FastAPI(
        title="slidestream gateway",
        version=__version__,
        description="Presenton-compatible generation behind your own authentication: "
        "create, prepare and stream presentations through this gateway.",
    )
    app.state.gateway = gateway
    install_error_handlers(app)
    app.include_router(build_router(gateway))

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, object]:
        """Liveness of the gateway itself (the upstream is not called), with the streams
        it relays (each holds an upstream connection) and those it drains."""
        return {
            "status": "ok",
            "version": __version__,
            "streams": gateway.upstream.open_streams,
            "draining": gateway.draining,
        }

    app.add_middleware(GatewayBodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        # Added last, so it is outermost: refusals (401, 413) carry CORS headers too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            max_age=600,
        )
    return app
