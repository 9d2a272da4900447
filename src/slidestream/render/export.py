"""Exporting a stored deck: geometry once, then PPTX or PDF, written to a file of its own.

Geometry and rendering are CPU work: they run in a worker thread, never on the event loop.
Each deck's files live in `exports/<presentation id>/`, named after the deck's title, so
no two decks ever share (or overwrite) a file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from slidestream.access import Access
from slidestream.errors import Conflict, PresentationNotFound
from slidestream.render.assets import AssetResolver, package_static_dir
from slidestream.render.geometry import deck_geometry
from slidestream.render.html import render_deck_html
from slidestream.render.model import DeckGeometry
from slidestream.render.pdf import render_pdf
from slidestream.render.pptx import render_pptx
from slidestream.settings import Settings
from slidestream.storage.models import PresentationRow, SlideRow
from slidestream.storage.repository import Repository
from slidestream.templates.registry import (
    DEFAULT_LAYOUT_GROUP,
    LayoutGroupNotFound,
    get_theme,
    layout_kind,
)
from slidestream.templates.themes import Theme

log = logging.getLogger(__name__)

ExportFormat = Literal["pptx", "pdf"]
FORMATS: tuple[ExportFormat, ...] = ("pptx", "pdf")
MEDIA_TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}
NOT_FINISHED = "The presentation has no finished deck to export yet"


def file_stem(title: str | None) -> str:
    """A safe file name from a title (letters of any script kept)."""
    stem = re.sub(r"[^\w]+", "-", title or "", flags=re.UNICODE).strip("-_").lower()
    return stem[:60] or "presentation"


def theme_for(group: str | None) -> Theme:
    """The theme of the deck's template group; the default group's for any other group."""
    try:
        return get_theme(group or DEFAULT_LAYOUT_GROUP)
    except LayoutGroupNotFound:
        return get_theme(DEFAULT_LAYOUT_GROUP)


def _stored_kinds(row: PresentationRow) -> dict[str, str]:
    slides: list[dict[str, Any]] = list((row.layout or {}).get("slides", []))
    return {str(s.get("id")): str(s["kind"]) for s in slides if s.get("kind")}


def build_geometry(row: PresentationRow, slides: list[SlideRow]) -> DeckGeometry:
    """The deck's geometry: each slide placed by its layout's kind in its group's theme.

    A built-in layout id decides the kind; a kind a client sent with its own layouts is
    used only for ids the server does not know."""
    group = slides[0].layout_group if slides else (row.layout or {}).get("name")
    stored = _stored_kinds(row)
    entries = [
        (
            slide.content,
            slide.layout,
            layout_kind(slide.layout) or stored.get(slide.layout),
            slide.speaker_note or "",
        )
        for slide in sorted(slides, key=lambda s: s.index)
    ]
    return deck_geometry(row.title or "Presentation", entries, theme_for(group))


def render(deck: DeckGeometry, export_as: ExportFormat, resolver: AssetResolver) -> bytes:
    if export_as == "pdf":
        return render_pdf(deck, resolver)
    return render_pptx(deck, resolver)


@dataclass(frozen=True)
class ExportedFile:
    presentation_id: uuid.UUID
    path: Path
    export_as: ExportFormat


class ExportService:
    def __init__(self, repository: Repository, settings: Settings) -> None:
        self.repository = repository
        self.settings = settings
        # Rendering is CPU work in threads: at most one per core at a time, so a burst of
        # downloads queues instead of starving the server.
        self._renders = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def export(
        self, presentation_id: uuid.UUID, export_as: ExportFormat, *, access: Access | None
    ) -> ExportedFile:
        """Render the deck and write it; 404 for an unknown deck (or one `access` does not
        reach; None: an internal caller), 409 for an unfinished one."""
        row = await self.repository.get_presentation_with_slides(presentation_id)
        if row is None or (access is not None and not access.sees(row.owner, row.id)):
            raise PresentationNotFound()
        slides = list(row.slides)
        if row.deck_status == "generating" or not slides:
            raise Conflict(NOT_FINISHED)
        path = self.path_for(row, export_as)
        async with self._renders:
            await asyncio.to_thread(self._write, row, slides, export_as, path)
        log.info(
            "export.done presentation_id=%s format=%s slides=%d", row.id, export_as, len(slides)
        )
        return ExportedFile(row.id, path, export_as)

    async def preview_html(self, presentation_id: uuid.UUID, access: Access) -> str:
        """The deck as one HTML page drawn from the same geometry as the files (the slides
        stored so far, so a deck being generated can be previewed)."""
        row = await self.repository.get_presentation_with_slides(presentation_id)
        if row is None or not access.sees(row.owner, row.id):
            raise PresentationNotFound()
        slides = list(row.slides)
        if not slides:
            raise Conflict("The presentation has no slides yet")
        async with self._renders:
            return await asyncio.to_thread(lambda: render_deck_html(build_geometry(row, slides)))

    def path_for(self, row: PresentationRow, export_as: ExportFormat) -> Path:
        return self.settings.exports_dir / str(row.id) / f"{file_stem(row.title)}.{export_as}"

    def _write(
        self, row: PresentationRow, slides: list[SlideRow], export_as: ExportFormat, path: Path
    ) -> None:
        # A resolver per export: its image cache lives as long as one file, not the process.
        resolver = AssetResolver(package_static_dir(), self.settings.images_dir)
        data = render(build_geometry(row, slides), export_as, resolver)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of its own per export, renamed into place: a download never
        # reads half a file, and two exports of one deck at once do not collide.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as part:
            part.write(data)
        Path(part.name).replace(path)
