"""The slide geometry: what every renderer draws, computed once in Python.

A slide is a 1280 x 720 canvas (one unit is one point in PPTX and PDF, one CSS pixel in the
web preview) holding positioned elements. Text elements carry the lines they were fitted
into, at the font size they were fitted at, so the web preview, the PPTX and the PDF wrap
text identically and nothing leaves its box. Charts carry both their data (PPTX draws a
native chart from it) and `parts`, the same chart as primitives (the web preview and the
PDF draw those).

Colours are `#rrggbb`. Fonts are family names of the bundled fonts (`render.fonts`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

CANVAS_WIDTH = 1280.0
CANVAS_HEIGHT = 720.0

Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class Box(BaseModel):
    """A rectangle on the canvas: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float


class TextStyle(BaseModel):
    font: str
    size: float = Field(gt=0, description="Font size in canvas units (points).")
    color: Color
    bold: bool = False
    italic: bool = False
    align: Literal["left", "center", "right"] = "left"
    line_height: float = Field(default=1.2, gt=0, description="Line pitch as a multiple of size.")


class TextLine(BaseModel):
    """One laid-out line: its text and where its baseline box starts (canvas units)."""

    text: str
    x: float
    y: float = Field(description="Top of the line box; the baseline is at y + ascent.")
    width: float
    bullet: bool = Field(default=False, description="Starts a bulleted paragraph.")


class TextElement(Box):
    type: Literal["text"] = "text"
    role: str = Field(description="What the text is (title, body, label, ...), for editors.")
    paragraphs: list[str] = Field(description="The text as written, one entry per paragraph.")
    bullets: bool = False
    style: TextStyle = Field(description="The style after fitting (size may have shrunk).")
    valign: Literal["top", "middle", "bottom"] = "top"
    lines: list[TextLine] = Field(description="The fitted lines, top to bottom.")
    truncated: bool = Field(default=False, description="Text was cut (with an ellipsis) to fit.")


class ShapeElement(Box):
    type: Literal["shape"] = "shape"
    shape: Literal["rect", "rounded", "ellipse", "line"]
    fill: Color | None = None
    stroke: Color | None = None
    stroke_width: float = 0.0
    radius: float = 0.0


class ImageElement(Box):
    type: Literal["image"] = "image"
    src: str = Field(description="The URL the slide content names (served by the app).")
    fit: Literal["cover", "contain"] = "cover"
    radius: float = 0.0
    alt: str = ""
    tint: Color | None = Field(
        default=None,
        description="Colour for a one-colour SVG (an icon drawn in `currentColor`).",
    )


class ChartSeries(BaseModel):
    name: str
    values: list[float]


class ChartPart(BaseModel):
    """One primitive of a drawn chart: a bar, a pie wedge, a line, a dot, or a label."""

    kind: Literal["rect", "wedge", "polyline", "dot", "label"]
    color: Color
    points: list[tuple[float, float]] = Field(default_factory=list)
    box: Box | None = None
    center: tuple[float, float] | None = None
    radius: float = 0.0
    start_angle: float = 0.0
    end_angle: float = 0.0
    width: float = 0.0
    text: str = ""
    size: float = 0.0
    font: str = ""
    align: Literal["left", "center", "right"] = "left"


class ChartElement(Box):
    type: Literal["chart"] = "chart"
    chart: Literal["bar", "line", "pie"]
    categories: list[str]
    series: list[ChartSeries]
    colors: list[Color]
    font: str
    font_size: float
    text_color: Color
    parts: list[ChartPart] = Field(default_factory=list)


class TableElement(Box):
    type: Literal["table"] = "table"
    header: list[str]
    rows: list[list[str]]
    col_widths: list[float]
    row_heights: list[float] = Field(description="Header row first.")
    font: str
    font_size: float
    text_color: Color
    header_fill: Color
    header_color: Color
    row_fills: list[Color] = Field(description="Alternating body row fills.")
    border: Color
    cells: list[list[TextElement]] = Field(
        default_factory=list, description="Every cell's fitted text, header row first."
    )


Element = Annotated[
    TextElement | ShapeElement | ImageElement | ChartElement | TableElement,
    Field(discriminator="type"),
]


class SlideGeometry(BaseModel):
    """One slide, ready to draw."""

    width: float = CANVAS_WIDTH
    height: float = CANVAS_HEIGHT
    background: Color
    elements: list[Element]
    notes: str = ""
    layout: str = Field(default="", description="The slide's layout id.")
    kind: str = Field(default="generic", description="The layout kind that placed it.")


class DeckGeometry(BaseModel):
    """Every slide of a deck, in order, with the deck's title and fonts."""

    title: str
    slides: list[SlideGeometry]
    fonts: list[str] = Field(description="Font families the slides use.")
