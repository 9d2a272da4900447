"""`create_app(settings)`: the FastAPI application and the lifetime of its services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from slidestream import __version__
from slidestream.access import KeyStore
from slidestream.api import web as web_api
from slidestream.api import webhooks as webhooks_api
from slidestream.api.auth import Authentication, OpenStreams, RequestRate, document_keys
from slidestream.api.deps import Services
from slidestream.api.errors import install_error_handlers
from slidestream.api.limits import BodySizeLimit
from slidestream.api.presenton import (
    assets,
    generate,
    layouts,
    outlines,
    presentations,
    providers,
    slides,
    streams,
)
from slidestream.api.presenton import exports as exports_api
from slidestream.api.presenton import files as files_api
from slidestream.api.security import install_browser_security
from slidestream.assets.fill import AssetFiller
from slidestream.assets.images import IMAGES_ROUTE
from slidestream.documents.loader import load_documents
from slidestream.documents.store import UploadStore
from slidestream.generation.offline.outline import Source
from slidestream.generation.pipeline import GenerationPipeline
from slidestream.generation.service import PresentationService
from slidestream.generation.tasks import TaskService
from slidestream.jobs.embedded import EmbeddedJobRunner
from slidestream.jobs.executor import JobExecutor
from slidestream.jobs.runner import JobRunner
from slidestream.llm.base import LLMProvider
from slidestream.llm.holder import ProviderHolder
from slidestream.render.export import ExportService
from slidestream.render.fonts import FONTS_DIR
from slidestream.settings import DeploymentError, Settings, is_loopback, load_settings
from slidestream.storage.database import create_engine, migrate
from slidestream.storage.repository import Repository
from slidestream.streaming.channels import InProcessChannel, NotificationChannel
from slidestream.webhooks import WebhookService

if TYPE_CHECKING:
    from slidestream.jobs.distributed import JobQueue
    from slidestream.streaming.pg_channel import PostgresChannel

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1/ppt"
# The web app runs without inline script or inline style attributes: it sets styles through
# the CSSOM (`element.style`), which a CSP does not restrict.
WEB_APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


NO_KEYS_MESSAGE = (
    "API keys are required (the server listens beyond loopback, or SLIDESTREAM_AUTH=keys) "
    "but none exists. Create one with `slidestream keys create NAME` (add --admin for a key "
    "that sees every deck), or listen on 127.0.0.1, or set SLIDESTREAM_AUTH=off if "
    "something in front of the server authenticates every caller."
)


class Runtime:
    """Everything that lives as long as the process: engine, channel, runner, provider."""

    def __init__(self, settings: Settings, provider: LLMProvider | None = None) -> None:
        problem = settings.deployment_problem()
        if problem is not None:
            raise DeploymentError(problem)
        self.settings = settings
        self.engine = create_engine(settings.resolved_database_url)
        self.repository = Repository(self.engine)
        self.keys = KeyStore(self.repository, settings.stream_token_seconds)
        self.channel: NotificationChannel
        self.pg_channel: PostgresChannel | None = None
        self.job_queue: JobQueue | None = None
        if settings.jobs == "distributed":
            # Only the scale-out deployment needs these (the `postgres` extra).
            from slidestream.jobs.distributed import JobQueue
            from slidestream.streaming.pg_channel import PostgresChannel

            self.pg_channel = PostgresChannel(settings.libpq_database_url)
            self.channel = self.pg_channel
            self.job_queue = JobQueue(settings.libpq_database_url)
        else:
            self.channel = InProcessChannel()
        self.provider = ProviderHolder(settings, provider)
        self.uploads = UploadStore(settings)
        self.assets = AssetFiller.from_settings(settings)
        self.pipeline = GenerationPipeline(
            self.repository,
            self.channel,
            self.provider.engine,
            settings,
            documents=self.load_documents,
            assets=self.assets,
        )
        self.executor = JobExecutor(self.repository, self.pipeline)
        self.runner: JobRunner
        if self.job_queue is not None:
            from slidestream.jobs.distributed import DistributedJobRunner

            self.runner = DistributedJobRunner(self.job_queue, self.repository, self.channel)
        else:
            self.runner = EmbeddedJobRunner(
                self.repository, self.executor, settings.max_concurrent_jobs
            )
        self.presentations = PresentationService(
            self.repository,
            self.channel,
            self.runner,
            self.provider.engine,
            settings,
            uploads=self.uploads,
        )
        self.webhooks = WebhookService(self.repository, settings)
        self.exports = ExportService(self.repository, settings)
        self.tasks = TaskService(
            self.repository,
            self.channel,
            self.runner,
            self.presentations,
            self.webhooks,
            self.exports,
            settings,
        )
        self.pipeline.tasks = self.tasks
        self.presentations.tasks = self.tasks

    async def load_documents(self, paths: Sequence[str]) -> list[Source]:
        documents = await load_documents(paths, self.uploads)
        return [Source(d.name, d.text) for d in documents]

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.images_dir.mkdir(parents=True, exist_ok=True)
        await migrate(self.engine)
        await self.keys.start()
        if self.pg_channel is not None:
            await self.pg_channel.start()
        self.webhooks.start()
        await self.runner.start()

    async def check_keys(self) -> None:
        """A server that requires keys refuses to start with none to accept."""
        if self.settings.keys_required and not await self.repository.api_keys():
            raise DeploymentError(NO_KEYS_MESSAGE)

    async def stop(self) -> None:
        await self.runner.stop()
        await self.webhooks.stop()
        if self.pg_channel is not None:
            await self.pg_channel.stop()
        await self.provider.aclose()
        await self.assets.aclose()
        await self.engine.dispose()

    def services(self) -> Services:
        return Services(
            self.settings,
            self.repository,
            self.channel,
            self.presentations,
            uploads=self.uploads,
            tasks=self.tasks,
            webhooks=self.webhooks,
            exports=self.exports,
            keys=self.keys,
        )


def create_app(settings: Settings | None = None, *, provider: LLMProvider | None = None) -> FastAPI:
    """Build the application; services start in its lifespan."""
    settings = settings or load_settings()
    runtime = Runtime(settings, provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            await runtime.check_keys()
        except DeploymentError:
            await runtime.stop()
            raise
        log.info("server.start database=%s", settings.resolved_database_url.split("://")[0])
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="slidestream",
        version=__version__,
        description="Self-hosted AI presentation generator with a durable, resumable "
        "streaming API compatible with Presenton v1.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.services = runtime.services()
    install_error_handlers(app)
    for module in (
        exports_api,
        presentations,
        generate,
        streams,
        outlines,
        layouts,
        slides,
        files_api,
        assets,
        providers,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(webhooks_api.router, prefix="/api/v1")
    app.include_router(web_api.router)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, object]:
        """Liveness: the process answers and its job runner is up. `engine` says what drafts
        decks: a provider name from `LLM`, or `offline`. `keys_required`: whether `/api/`
        calls need `Authorization: Bearer <key>`."""
        engine = "offline" if runtime.provider.offline else settings.llm
        return {
            "status": "ok",
            "version": __version__,
            "jobs": settings.jobs,
            "jobs_running": runtime.runner.running,
            "engine": engine,
            "keys_required": settings.keys_required,
        }

    static_dir = files("slidestream").joinpath("static")
    web_dir = files("slidestream").joinpath("web")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_app() -> FileResponse:
        """The web app's page; it routes by the URL's hash, so this is its only page."""
        return FileResponse(
            str(web_dir.joinpath("index.html")),
            media_type="text/html",
            headers={"Content-Security-Policy": WEB_APP_CSP, "Cache-Control": "no-cache"},
        )

    # The web app and the browser helper (`/web/slidestream.js`): plain ES modules, no build.
    app.mount("/web", StaticFiles(directory=str(web_dir)), name="web")
    # The bundled fonts, for the web preview's @font-face rules (same files as the exports).
    app.mount("/static/fonts", StaticFiles(directory=str(FONTS_DIR)), name="fonts")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.mount(
        IMAGES_ROUTE,
        StaticFiles(directory=str(settings.images_dir), check_dir=False),
        name="app_data_images",
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={API_PREFIX + files_api.UPLOAD_PATH: files_api.upload_body_limit(settings)},
    )
    app.add_middleware(
        Authentication,
        keys=runtime.keys if settings.keys_required else None,
        rate=RequestRate(settings.key_requests_per_minute),
        streams=OpenStreams(settings.key_max_open_streams),
        loopback_only=settings.auth == "auto" and not settings.keys_required,
    )
    install_browser_security(app, settings)
    if settings.keys_required:
        document_keys(app)
    if settings.auth == "off" and not is_loopback(settings.host):
        log.warning(
            "server.keys_off host=%s: SLIDESTREAM_AUTH=off, so every caller that reaches "
            "this address may read and generate every deck",
            settings.host,
        )
    return app
