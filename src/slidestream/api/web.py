"""`/api/web/...`: what the web app needs beyond Presenton's routes.

The browser draws slides itself from the same geometry the exports use (never from server
HTML), so it needs that geometry as JSON, the `@font-face` rules and font metrics the
geometry was measured with, and template previews drawn from sample slides.
"""

from __future__ import annotations

import asyncio
import uuid
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.presentations import PresentationWithSlides
from slidestream.domain.views import presentation_with_slides
from slidestream.errors import SlideNotFound
from slidestream.render import fonts
from slidestream.render.export import build_geometry
from slidestream.render.geometry import slide_geometry
from slidestream.render.html import font_face_css, font_stack
from slidestream.render.model import DeckGeometry, SlideGeometry
from slidestream.render.samples import sample_content
from slidestream.templates.registry import (
    LayoutGroupSummary,
    get_layout_group,
    get_theme,
    list_layout_groups,
)

router = APIRouter(prefix="/api/web", tags=["web app"])
ServicesDep = Annotated[Services, Depends(services)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
# Kinds a template picker shows, first one largest.
PREVIEW_KINDS = ("title", "bullets", "chart")
STYLE_KEYS = {
    (False, False): "regular",
    (True, False): "bold",
    (False, True): "italic",
    (True, True): "bold_italic",
}
CACHED = {"Cache-Control": "public, max-age=3600"}


class FontStyleMetrics(BaseModel):
    """Where a line's baseline sits: ascent and descent in em (line height = their sum)."""

    ascent: float
    descent: float


class FontFamilyInfo(BaseModel):
    stack: str
    styles: dict[str, FontStyleMetrics]


class FontsInfo(BaseModel):
    """The bundled families as the geometry measured them; unknown names mean `default`."""

    default: str
    families: dict[str, FontFamilyInfo]


class TemplatePreview(LayoutGroupSummary):
    """A template group with sample slides placed in its theme."""

    samples: list[SlideGeometry]


@cache
def fonts_css() -> str:
    return font_face_css(fonts.FONT_FAMILIES) + "\n"


@cache
def fonts_info() -> FontsInfo:
    families: dict[str, FontFamilyInfo] = {}
    for family in fonts.FONT_FAMILIES:
        styles = {}
        for (bold, italic), key in STYLE_KEYS.items():
            metrics = fonts.font_metrics(family, bold, italic)
            styles[key] = FontStyleMetrics(ascent=metrics.ascent_em, descent=metrics.descent_em)
        families[family] = FontFamilyInfo(stack=font_stack(family), styles=styles)
    return FontsInfo(default=fonts.DEFAULT_FAMILY, families=families)


@cache
def template_previews() -> tuple[TemplatePreview, ...]:
    """Every built-in group with its sample slides: computed once per process."""
    previews = []
    for summary in list_layout_groups():
        theme = get_theme(summary.name)
        layouts = get_layout_group(summary.name).slides
        samples = []
        for kind in PREVIEW_KINDS:
            layout = next((lay for lay in layouts if lay.kind == kind), None)
            if layout is not None:
                samples.append(slide_geometry(sample_content(kind), layout.id, kind, theme))
        previews.append(TemplatePreview(**summary.model_dump(), samples=samples))
    return tuple(previews)


@router.get("/fonts.css", response_class=Response, responses={200: {"content": {"text/css": {}}}})
async def get_fonts_css() -> Response:
    """`@font-face` rules for every bundled font, with the metrics the geometry pins."""
    return Response(fonts_css(), media_type="text/css", headers=CACHED)


@router.get("/fonts", response_model=FontsInfo)
async def get_fonts(response: Response) -> FontsInfo:
    """Font stacks and ascent/descent per family and style, for drawing fitted lines."""
    response.headers.update(CACHED)
    return await asyncio.to_thread(fonts_info)


@router.get("/templates", response_model=list[TemplatePreview])
async def get_templates() -> list[TemplatePreview]:
    """The built-in template groups, each with sample slides to draw as a preview."""
    return list(await asyncio.to_thread(template_previews))


@router.get("/presentations", response_model=list[PresentationWithSlides])
async def get_library(svc: ServicesDep, access: AccessDep) -> list[PresentationWithSlides]:
    """The caller's presentations (an admin key's: everyone's), newest first, with its
    first slide when it has one. Unlike
    Presenton's `/presentation/all`, decks stopped at the outline or before their first
    slide are listed too, so the library can reopen or delete them."""
    pairs = await svc.repository.list_presentations_with_cover(access.owner_filter)
    return [presentation_with_slides(row, [] if slide is None else [slide]) for row, slide in pairs]


@router.get("/presentations/{id}/geometry", response_model=DeckGeometry, responses=NOT_FOUND)
async def get_deck_geometry(id: uuid.UUID, svc: ServicesDep, access: AccessDep) -> DeckGeometry:
    """Every stored slide of the deck, placed as the exports place it (in index order;
    a deck being generated gives the slides stored so far)."""
    row = await svc.presentations.require_with_slides(id, access)
    slides = list(row.slides)
    return await asyncio.to_thread(build_geometry, row, slides)


@router.get(
    "/presentations/{id}/geometry/{index}", response_model=SlideGeometry, responses=NOT_FOUND
)
async def get_slide_geometry(
    id: uuid.UUID, index: int, svc: ServicesDep, access: AccessDep
) -> SlideGeometry:
    """One slide of the deck by its index."""
    row = await svc.presentations.require_with_slides(id, access)
    slide = next((s for s in row.slides if s.index == index), None)
    if slide is None:
        raise SlideNotFound()
    deck = await asyncio.to_thread(build_geometry, row, [slide])
    return deck.slides[0]
