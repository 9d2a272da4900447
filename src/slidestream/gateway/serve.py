"""The standalone gateway process: `python -m slidestream.gateway`, which `slidestream
gateway` becomes (it replaces itself with this lighter program, so the process does not
carry the rest of slidestream's modules: rendering, templates, the server)."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from slidestream import logsafety
from slidestream.settings import GatewaySettings

NO_CALLERS = "no callers configured: set SLIDESTREAM_GATEWAY_API_KEYS (caller=key,...)"


def serve(settings: GatewaySettings, *, host: str | None = None, port: int | None = None) -> None:
    """Run the gateway with uvicorn (uvloop and httptools when installed, as
    uvicorn[standard] does) until it is stopped."""
    import uvicorn

    from slidestream.gateway.app import create_gateway_app

    secrets = logsafety.settings_secrets(settings)
    logging.basicConfig(level=settings.log_level.upper(), format=logsafety.LOG_FORMAT)
    logsafety.install(secrets)
    app = create_gateway_app(settings)
    # Everything built so far (modules, the app) lives as long as the process: keep the
    # garbage collector's full passes off it, so they stay short while streams flow.
    gc.freeze()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        # uvicorn replaces the handlers above with its own config: this one has the
        # redacting filter on every handler (callers' keys may travel as `?api_key=`).
        log_config=logsafety.uvicorn_log_config(settings.log_level, secrets),
        timeout_graceful_shutdown=5,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="slidestream gateway",
        description="Presenton-style routes behind API keys, forwarded to an upstream.",
    )
    parser.add_argument("--upstream", help="the Presenton-compatible server's root URL")
    parser.add_argument("--host", help="address to listen on")
    parser.add_argument("--port", type=int, help="port to listen on")
    args = parser.parse_args(argv)
    settings = GatewaySettings(upstream_url=args.upstream) if args.upstream else GatewaySettings()
    if not settings.api_keys:
        print(f"error: {NO_CALLERS}", file=sys.stderr)
        raise SystemExit(2)
    print(
        f"Gateway to {settings.upstream_url} for {len(settings.api_keys)} caller(s)",
        file=sys.stderr,
    )
    serve(settings, host=args.host, port=args.port)
