"""The `slidestream` command: serve, generate, fake-llm, db."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from slidestream import logsafety
from slidestream.access import OPEN, KeyStore
from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.domain.presentations import (
    CreatePresentationRequest,
    PrepareRequest,
    SlideOutline,
    Tone,
    Verbosity,
)
from slidestream.domain.views import presentation_with_slides
from slidestream.errors import InvalidInput, SlidestreamError
from slidestream.render.export import ExportFormat
from slidestream.settings import Settings, load_settings
from slidestream.storage.models import ApiKeyRow
from slidestream.streaming.channels import presentation_topic
from slidestream.templates.registry import (
    DEFAULT_LAYOUT_GROUP,
    LayoutGroupNotFound,
    get_layout_group,
    list_layout_groups,
)

if TYPE_CHECKING:
    from slidestream.app import Runtime

app = typer.Typer(
    help="slidestream: AI presentations, streamed slide by slide.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(
    help="API keys: create, list and revoke the keys callers send as "
    "`Authorization: Bearer <key>`.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)


def _configure_logging(settings: Settings, level: str | None = None) -> None:
    """Log to stderr at `level` (default: SLIDESTREAM_LOG_LEVEL), with the configured keys,
    bearer tokens and credential query parameters masked."""
    logging.basicConfig(level=(level or settings.log_level).upper(), format=logsafety.LOG_FORMAT)
    logsafety.install(logsafety.settings_secrets(settings))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (more than one needs SLIDESTREAM_JOBS="
            "distributed: jobs then run in `slidestream worker` processes).",
        ),
    ] = 1,
) -> None:
    """Run the API server: jobs in this process (embedded) or queued for workers
    (SLIDESTREAM_JOBS=distributed)."""
    import uvicorn

    from slidestream.app import create_app

    if host is not None:
        # Whether keys are required depends on the address, and with several processes
        # each builds its settings from the environment.
        os.environ["SLIDESTREAM_HOST"] = host
    settings = load_settings()
    _configure_logging(settings)
    problem = settings.deployment_problem()
    if problem is None and settings.keys_required:
        problem = asyncio.run(_keys_problem(settings))
    if problem is None and workers > 1 and settings.jobs != "distributed":
        problem = (
            "--workers above 1 needs the distributed deployment: set "
            "SLIDESTREAM_JOBS=distributed and DATABASE_URL=postgresql://... (in the "
            "embedded deployment one process runs the jobs and holds the streams)"
        )
    if problem is not None:
        console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
    # With several processes, each builds its own app from the same environment.
    uvicorn.run(
        "slidestream.app:create_app" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        # uvicorn applies its logging config itself (here, and again in each worker
        # process), replacing the handlers set up above: hand it a config whose handlers
        # all carry the redacting filter, and which brings the secrets along.
        log_config=logsafety.uvicorn_log_config(
            settings.log_level, logsafety.settings_secrets(settings)
        ),
        timeout_graceful_shutdown=5,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Jobs run at once [default: SLIDESTREAM_MAX_CONCURRENT_JOBS]."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Worker name in logs [default: host:pid].")
    ] = None,
) -> None:
    """Run generation jobs queued by API processes (SLIDESTREAM_JOBS=distributed)."""
    from slidestream.jobs.worker import run_worker
    from slidestream.settings import DeploymentError

    settings = load_settings()
    _configure_logging(settings)
    try:
        asyncio.run(run_worker(settings, concurrency=concurrency, name=name))
    except DeploymentError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command("fake-llm")
def fake_llm(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    latency: Annotated[float, typer.Option(help="Seconds each call waits before answering.")] = 0.0,
    tokens_per_second: Annotated[
        float, typer.Option(help="Pace of streamed tokens; 0 = unlimited.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for the generated text.")] = 0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject a fault: KIND[:TIMES[:MATCH]], KIND one of 401, 403, 429, 500, "
            "503, 529, stall, truncate, invalid_json. Repeatable."
        ),
    ] = None,
) -> None:
    """Run the simulated OpenAI-compatible LLM (for tests, benchmarks and demos)."""
    from slidestream.llm.fake import FakeLLMConfig, parse_fault_spec, run_fake_llm

    faults = tuple(parse_fault_spec(spec) for spec in fault or [])
    config = FakeLLMConfig(
        latency=latency, tokens_per_second=tokens_per_second, seed=seed, faults=faults
    )
    console.print(f"Simulated LLM on http://{host}:{port}/v1 (model {config.model})")
    run_fake_llm(host, port, config)


@app.command("gateway")
def gateway_command(
    upstream: Annotated[
        str | None,
        typer.Option(help="The Presenton-compatible server to forward to (its root URL)."),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the gateway: Presenton-style routes behind API keys, forwarded to an upstream."""
    import os
    import sys

    # The gateway needs none of the modules this command line has loaded (rendering,
    # templates, the server): replace this process with the gateway's own, lighter entry
    # point (same process id, same environment).
    command = [sys.executable, "-m", "slidestream.gateway"]
    for name, value in (("--upstream", upstream), ("--host", host), ("--port", port)):
        if value is not None:
            command += [name, str(value)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)


@app.command()
def generate(
    topic: Annotated[str, typer.Argument(help="What the presentation is about.")],
    n_slides: Annotated[int, typer.Option("-n", "--slides", help="Number of slides (1-50).")] = 8,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write the deck: .pptx (the default), .pdf, or .json (the data).",
        ),
    ] = None,
    template: Annotated[
        str, typer.Option("-t", "--template", help="Template group: general, modern, ...")
    ] = DEFAULT_LAYOUT_GROUP,
    language: Annotated[str, typer.Option(help="Language of the slides.")] = "",
    tone: Annotated[Tone, typer.Option(help="Tone of voice.")] = Tone.DEFAULT,
    verbosity: Annotated[Verbosity, typer.Option(help="How much text per slide.")] = (
        Verbosity.STANDARD
    ),
    instructions: Annotated[str | None, typer.Option(help="Extra instructions.")] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option(
            "-f",
            "--file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A document to draw on (PDF, DOCX, PPTX, TXT, Markdown, HTML). Repeatable.",
        ),
    ] = None,
    title_slide: Annotated[
        bool, typer.Option("--title-slide/--no-title-slide", help="Start with a title slide.")
    ] = True,
    toc: Annotated[bool, typer.Option("--toc", help="Add table-of-contents slides.")] = False,
) -> None:
    """Generate a whole deck, showing live progress.

    Uses the configured LLM provider; with none configured, the offline engine drafts the
    deck from the topic and the documents (labelled as an offline draft)."""
    settings = load_settings()
    _configure_logging(settings, "warning")
    try:
        file_paths = _store_documents(settings, document or [])
        request = CreatePresentationRequest(
            content=topic,
            n_slides=n_slides,
            language=language,
            tone=tone,
            verbosity=verbosity,
            instructions=instructions,
            file_paths=file_paths or None,
            include_title_slide=title_slide,
            include_table_of_contents=toc,
        )
        layout = _layout_group(template)
        export_as = _format_of(output) if output is not None else "pptx"
        deck, exported = asyncio.run(_generate(settings, request, layout, export_as))
    except SlidestreamError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(code=1) from error
    suffix = "json" if export_as == "json" else export_as
    path = output or Path(f"{_slug(str(deck.get('title') or topic))}.{suffix}")
    if exported is None:
        path.write_text(json.dumps(deck, indent=2, ensure_ascii=False) + "\n")
    else:
        shutil.copyfile(exported, path)
    slides = deck.get("slides")
    count = len(slides) if isinstance(slides, list) else 0
    console.print(f"Wrote {count} slides to [bold]{path}[/bold] (id {deck['id']})")
    if deck.get("generation_mode") == "offline":
        console.print(
            "[yellow]Offline draft:[/yellow] drafted without an LLM from the prompt and "
            "documents. Set LLM (see the README) for written slides."
        )


def _store_documents(settings: Settings, documents: list[Path]) -> list[str]:
    """Copy the documents into the upload area (checked as uploads are) for generation."""
    from slidestream.documents.store import UploadStore

    store = UploadStore(settings)
    return [store.save(path.name, path.read_bytes()) for path in documents]


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return slug[:60] or "deck"


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("pptx", "pdf", "json"):
        raise InvalidInput(f"Cannot write {path.name!r}: use a .pptx, .pdf or .json file name")
    return suffix


def _layout_group(name: str) -> PresentationLayoutModel:
    try:
        return get_layout_group(name)
    except LayoutGroupNotFound as error:
        known = ", ".join(g.name for g in list_layout_groups())
        raise InvalidInput(f"Unknown template {name!r}; use one of {known}") from error


async def _generate(
    settings: Settings,
    request: CreatePresentationRequest,
    layout: PresentationLayoutModel,
    export_as: str,
) -> tuple[dict[str, object], Path | None]:
    from slidestream.app import Runtime

    runtime = Runtime(settings)
    await runtime.start()
    try:
        deck = await _run_flow(runtime, request, layout)
        if export_as not in ("pptx", "pdf"):
            return deck, None
        exported = await runtime.exports.export(
            uuid.UUID(str(deck["id"])), "pdf" if export_as == "pdf" else "pptx", access=OPEN
        )
        return deck, exported.path
    finally:
        await runtime.stop()


async def _run_flow(
    runtime: Runtime, request: CreatePresentationRequest, layout: PresentationLayoutModel
) -> dict[str, object]:
    service, repository = runtime.presentations, runtime.repository
    row = await service.create(request, OPEN)
    pid = row.id
    with (
        runtime.channel.subscribe(presentation_topic(pid)) as subscription,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        outline_task = progress.add_task("Outline", total=None)
        await service.start_outline(pid, OPEN)
        while True:
            row = await service.require(pid, OPEN)
            progress.update(outline_task, description=f"Outline ({len(row.outline_text)} chars)")
            if row.outline_status == "ready":
                break
            if row.outline_status in ("failed", "cancelled"):
                raise SlidestreamError(row.outline_error or "Outline generation failed")
            await subscription.wait(runtime.settings.stream_recheck_seconds)
        progress.update(outline_task, total=1, completed=1)
        outlines = [SlideOutline(content=o["content"]) for o in (row.outlines or {})["slides"]]
        row = await service.prepare(
            PrepareRequest(presentation_id=pid, outlines=outlines, layout=layout), OPEN
        )
        total = len((row.structure or {}).get("slides", []))
        slides_task: TaskID = progress.add_task("Slides", total=total)
        await service.start_deck(pid, OPEN, resuming=False)
        while True:
            row = await service.require(pid, OPEN)
            progress.update(slides_task, completed=await repository.count_slides(pid))
            if row.deck_status == "completed":
                break
            if row.deck_status in ("failed", "cancelled"):
                raise SlidestreamError(row.deck_error or "Slide generation failed")
            await subscription.wait(runtime.settings.stream_recheck_seconds)
    full = await service.require_with_slides(pid, OPEN)
    result: dict[str, object] = presentation_with_slides(full, list(full.slides)).model_dump(
        mode="json"
    )
    return result


@app.command()
def export(
    presentation_id: Annotated[uuid.UUID, typer.Argument(help="The presentation's id.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The file to write: .pptx or .pdf.")
    ],
) -> None:
    """Export a stored deck as an editable PPTX or a PDF."""
    settings = load_settings()
    _configure_logging(settings, "warning")
    try:
        export_as = _format_of(output)
        if export_as == "json":
            raise InvalidInput("Export writes .pptx or .pdf files")
        exported = asyncio.run(_export(settings, presentation_id, export_as))
    except SlidestreamError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(code=1) from error
    shutil.copyfile(exported, output)
    console.print(f"Wrote [bold]{output}[/bold]")


async def _export(settings: Settings, presentation_id: uuid.UUID, export_as: str) -> Path:
    from slidestream.app import Runtime

    runtime = Runtime(settings)
    await runtime.start()
    try:
        fmt: ExportFormat = "pdf" if export_as == "pdf" else "pptx"
        return (await runtime.exports.export(presentation_id, fmt, access=OPEN)).path
    finally:
        await runtime.stop()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations (the server also does this on start)."""
    from slidestream.storage.database import create_engine, current_revision, migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> str | None:
        engine = create_engine(settings.resolved_database_url)
        try:
            await migrate(engine, revision)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    console.print(f"Database at revision {asyncio.run(run())}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from slidestream.storage.database import create_engine, current_revision

    settings = load_settings()

    async def run() -> str | None:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(run()) or "empty")


async def _keys_problem(settings: Settings) -> str | None:
    """Why a server that requires keys cannot start (there is none), or None."""
    from slidestream.app import NO_KEYS_MESSAGE

    async with _key_store(settings) as store:
        return None if await store.repository.api_keys() else NO_KEYS_MESSAGE


@asynccontextmanager
async def _key_store(settings: Settings) -> AsyncIterator[KeyStore]:
    from slidestream.storage.database import create_engine, migrate
    from slidestream.storage.repository import Repository

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        yield KeyStore(Repository(engine), settings.stream_token_seconds)
    finally:
        await engine.dispose()


@keys_app.command("create")
def keys_create(
    name: Annotated[
        str,
        typer.Argument(
            help="The owner: what this key makes belongs to NAME, and every key of one "
            "name shares it (create a second key to rotate, then revoke the first)."
        ),
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="The key sees and manages every owner's decks.")
    ] = False,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    settings = load_settings()

    async def run() -> tuple[ApiKeyRow, str]:
        async with _key_store(settings) as store:
            return await store.create(name, admin=admin)

    try:
        row, key = asyncio.run(run())
    except SlidestreamError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(code=2) from error
    kind = "admin key" if row.admin else "key"
    console.print(
        f"Created {kind} [bold]{row.id}[/bold] for [bold]{row.name}[/bold]. It is shown only now:"
    )
    typer.echo(key)
    if not settings.keys_required:
        console.print(
            f"[yellow]Note:[/yellow] with SLIDESTREAM_AUTH={settings.auth} and host "
            f"{settings.host}, the server does not ask for keys (set SLIDESTREAM_AUTH=keys "
            "to require them on loopback too)."
        )


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """The keys: id, owner name, admin, when made and when revoked (never the key)."""
    settings = load_settings()

    async def run() -> list[ApiKeyRow]:
        async with _key_store(settings) as store:
            return await store.repository.api_keys(include_revoked=all_keys)

    rows = asyncio.run(run())
    table = Table("id", "name", "admin", "created", "revoked")
    for row in rows:
        table.add_row(
            row.id,
            row.name,
            "yes" if row.admin else "",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, from `slidestream keys list`.")],
) -> None:
    """Revoke a key at once: it and its stream tokens stop working. What it made stays,
    owned by its name."""
    settings = load_settings()

    async def run() -> ApiKeyRow:
        async with _key_store(settings) as store:
            return await store.revoke(key_id)

    try:
        row = asyncio.run(run())
    except SlidestreamError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(code=1) from error
    console.print(f"Revoked key [bold]{row.id}[/bold] of [bold]{row.name}[/bold].")
