"""Hand-built slide geometries for the export tests (PPTX, PDF, HTML).

Text is fitted with the real `render.text.fit_text`, so the lines carry the bundled fonts'
measurements; charts and tables are laid out by hand, with the primitives a chart draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from PIL import Image

from slidestream.render.assets import AssetResolver, package_static_dir
from slidestream.render.model import (
    Box,
    ChartElement,
    ChartPart,
    ChartSeries,
    DeckGeometry,
    ImageElement,
    ShapeElement,
    SlideGeometry,
    TableElement,
    TextElement,
    TextLine,
    TextStyle,
)
from slidestream.render.text import fit_text

INK = "#1f2937"
PRIMARY = "#2563eb"
COLORS = ["#2563eb", "#f59e0b", "#10b981"]

EVIL = '<script>alert(1)</script> "quoted" & <img src=x onerror=alert(2)>'
ARABIC = "مرحبا بالعالم، هذا عرض تقديمي"
HEBREW = "שלום עולם, זו מצגת"
CJK = "你好\uff0c世界\u3002这是一个演示文稿"
EMOJI = "Launch day 🚀🎉 with 👩‍💻 teams"


def text(
    role: str,
    paragraphs: list[str],
    box: tuple[float, float, float, float],
    *,
    font: str = "Inter",
    size: float = 24,
    bold: bool = False,
    italic: bool = False,
    align: Literal["left", "center", "right"] = "left",
    bullets: bool = False,
    valign: Literal["top", "middle", "bottom"] = "top",
    color: str = INK,
) -> TextElement:
    style = TextStyle(
        font=font,
        size=size,
        color=color,
        bold=bold,
        italic=italic,
        align=align,
    )
    fitted = fit_text(
        paragraphs,
        Box(x=box[0], y=box[1], w=box[2], h=box[3]),
        style,
        bullets=bullets,
        valign=valign,
        min_size=10,
    )
    return fitted.element(role)


def bar_chart(x: float = 680, y: float = 160, w: float = 520, h: float = 400) -> ChartElement:
    categories = ["Q1", "Q2", "Q3"]
    series = [ChartSeries(name="Revenue", values=[10, 14, 9])]
    parts: list[ChartPart] = []
    top = max(series[0].values)
    slot = w / len(categories)
    for i, value in enumerate(series[0].values):
        bar_h = (h - 40) * value / top
        parts.append(
            ChartPart(
                kind="rect",
                color=COLORS[0],
                box=Box(x=x + i * slot + 20, y=y + h - 40 - bar_h, w=slot - 40, h=bar_h),
            )
        )
        parts.append(
            ChartPart(
                kind="label",
                color=INK,
                text=categories[i],
                size=14,
                font="Inter",
                align="center",
                box=Box(x=x + i * slot, y=y + h - 32, w=slot, h=24),
            )
        )
    return ChartElement(
        x=x,
        y=y,
        w=w,
        h=h,
        chart="bar",
        categories=categories,
        series=series,
        colors=COLORS,
        font="Inter",
        font_size=14,
        text_color=INK,
        parts=parts,
    )


def line_chart() -> ChartElement:
    return ChartElement(
        x=80,
        y=160,
        w=520,
        h=400,
        chart="line",
        categories=["Jan", "Feb", "Mar", "Apr"],
        series=[
            ChartSeries(name="Users", values=[3, 5, 4, 8]),
            ChartSeries(name="Teams", values=[1, 2, 3, 3]),
        ],
        colors=COLORS,
        font="Inter",
        font_size=14,
        text_color=INK,
        parts=[
            ChartPart(
                kind="polyline",
                color=COLORS[0],
                width=3,
                points=[(100, 500), (260, 400), (420, 450), (580, 200)],
            ),
            ChartPart(kind="dot", color=COLORS[0], center=(580, 200), radius=5),
            ChartPart(
                kind="label", color=INK, text="Users", size=14, center=(590, 190), align="left"
            ),
        ],
    )


def pie_chart() -> ChartElement:
    return ChartElement(
        x=700,
        y=160,
        w=400,
        h=400,
        chart="pie",
        categories=["A", "B", "C"],
        series=[ChartSeries(name="Share", values=[50, 30, 20])],
        colors=COLORS,
        font="Inter",
        font_size=14,
        text_color=INK,
        parts=[
            ChartPart(
                kind="wedge",
                color=COLORS[0],
                center=(900, 360),
                radius=150,
                start_angle=0,
                end_angle=180,
            ),
            ChartPart(
                kind="wedge",
                color=COLORS[1],
                center=(900, 360),
                radius=150,
                start_angle=180,
                end_angle=288,
            ),
            ChartPart(
                kind="wedge",
                color=COLORS[2],
                center=(900, 360),
                radius=150,
                start_angle=288,
                end_angle=360,
            ),
        ],
    )


def table(x: float = 80, y: float = 160) -> TableElement:
    header = ["Plan", "Price", "Seats"]
    rows = [["Starter", "$10", "5"], ["Team & Co", "$40", "25"]]
    col_widths = [300.0, 200.0, 200.0]
    row_heights = [48.0, 44.0, 44.0]
    cells: list[list[TextElement]] = []
    top = y
    for r, values in enumerate([header, *rows]):
        left = x
        row: list[TextElement] = []
        for c, value in enumerate(values):
            row.append(
                text(
                    "cell",
                    [value],
                    (left + 12, top + 8, col_widths[c] - 24, row_heights[r] - 16),
                    size=18,
                    bold=r == 0,
                    valign="middle",
                    color="#ffffff" if r == 0 else INK,
                )
            )
            left += col_widths[c]
        cells.append(row)
        top += row_heights[r]
    return TableElement(
        x=x,
        y=y,
        w=sum(col_widths),
        h=sum(row_heights),
        header=header,
        rows=rows,
        col_widths=col_widths,
        row_heights=row_heights,
        font="Inter",
        font_size=18,
        text_color=INK,
        header_fill=PRIMARY,
        header_color="#ffffff",
        row_fills=["#f3f4f6", "#ffffff"],
        border="#d1d5db",
        cells=cells,
    )


def image(
    src: str,
    x: float = 700,
    y: float = 160,
    fit: Literal["cover", "contain"] = "cover",
    radius: float = 12,
) -> ImageElement:
    return ImageElement(
        x=x,
        y=y,
        w=480,
        h=320,
        src=src,
        fit=fit,
        radius=radius,
        alt="A photo",
    )


def sample_deck(image_src: str = "/app_data/images/photo.png") -> DeckGeometry:
    """Four slides covering every element kind."""
    title_slide = SlideGeometry(
        background="#ffffff",
        layout="title",
        notes="Welcome everyone & thank <you>.",
        elements=[
            ShapeElement(x=0, y=0, w=1280, h=12, shape="rect", fill=PRIMARY),
            text("title", ["Quarterly review"], (80, 200, 1120, 80), size=56, bold=True),
            text(
                "subtitle",
                ["Where we are, where we go next, and what it takes to get there."],
                (80, 300, 700, 120),
                size=28,
                italic=True,
                color="#4b5563",
            ),
            ShapeElement(x=80, y=460, w=300, h=4, shape="line", stroke=PRIMARY, stroke_width=2),
            ShapeElement(x=900, y=420, w=200, h=200, shape="ellipse", fill="#dbeafe"),
            ShapeElement(
                x=860,
                y=80,
                w=300,
                h=200,
                shape="rounded",
                fill="#eff6ff",
                stroke=PRIMARY,
                stroke_width=2,
                radius=16,
            ),
        ],
    )
    bullets_slide = SlideGeometry(
        background="#f9fafb",
        layout="bullets",
        notes="Speak to each point.",
        elements=[
            text("title", ["Highlights"], (80, 60, 1120, 70), size=44, bold=True),
            text(
                "body",
                [
                    "Revenue grew faster than planned in every region we serve",
                    "Two new products shipped",
                    "Hiring is on track for the second half of the year and beyond",
                ],
                (80, 160, 560, 420),
                bullets=True,
                size=26,
            ),
            image(image_src),
        ],
    )
    chart_slide = SlideGeometry(
        background="#ffffff",
        layout="chart",
        elements=[
            text("title", ["Growth"], (80, 60, 1120, 70), size=44, bold=True, align="center"),
            line_chart(),
            bar_chart(),
        ],
    )
    table_slide = SlideGeometry(
        background="#ffffff",
        layout="table",
        elements=[
            text("title", ["Pricing"], (80, 60, 1120, 70), size=44, bold=True, align="right"),
            table(),
            pie_chart(),
        ],
    )
    return DeckGeometry(
        title="Quarterly review & <plans>",
        slides=[title_slide, bullets_slide, chart_slide, table_slide],
        fonts=["Inter"],
    )


def scripts_deck() -> DeckGeometry:
    """Right-to-left, CJK and emoji text, and hostile text, in every kind of element."""
    chart = bar_chart()
    chart.categories = [ARABIC[:6], CJK[:2], "🚀"]
    chart.parts.append(
        ChartPart(kind="label", color=INK, text=HEBREW, size=14, center=(900, 150), align="center")
    )
    tbl = table()
    tbl.cells[1][0] = text("cell", [CJK], (92, 216, 276, 28), size=18)
    tbl.cells[2][0] = text("cell", [ARABIC], (92, 260, 276, 28), size=18, align="right")
    slide = SlideGeometry(
        background="#ffffff",
        notes=f"{ARABIC}\n{HEBREW}\n{CJK}\n{EMOJI}\n{EVIL}",
        elements=[
            text("title", [ARABIC], (80, 40, 1120, 60), size=40, align="right"),
            text("body", [HEBREW], (80, 110, 560, 40), size=24, align="right"),
            text("body", [CJK], (80, 160, 560, 40), size=24),
            text("body", [EMOJI], (80, 210, 560, 40), size=24),
            text("body", [EVIL], (80, 260, 1120, 40), size=20, font="Lora"),
            text("body", ["Привет мир — Ελληνικά"], (80, 310, 560, 40), size=24, font="Montserrat"),
            text(
                "body",
                [ARABIC, HEBREW, "Mixed: " + ARABIC[:5] + " and " + HEBREW[:4]],
                (80, 360, 560, 200),
                bullets=True,
                size=22,
            ),
            chart,
        ],
    )
    table_slide = SlideGeometry(background="#ffffff", elements=[tbl])
    return DeckGeometry(
        title=f"{ARABIC} {CJK} {EMOJI}",
        slides=[slide, table_slide],
        fonts=["Inter", "Lora", "Montserrat"],
    )


def write_png(path: Path, size: tuple[int, int] = (64, 48), color: str = "#3366cc") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def resolver_with_photo(tmp_path: Path) -> AssetResolver:
    images = tmp_path / "images"
    write_png(images / "photo.png", (200, 100))
    return AssetResolver(package_static_dir(), images)


def kind_contents(
    image_src: str = "/app_data/images/photo.png",
) -> list[tuple[dict[str, Any], str]]:
    """Slide content for every layout kind (and one unknown layout), hostile text included."""
    return [
        ({"title": "Quarterly review", "subtitle": EVIL}, "title"),
        ({"title": "Agenda", "items": ["Intro", "Numbers", ARABIC, "Next steps"]}, "agenda"),
        ({"title": "Highlights", "bullets": ["Revenue up", HEBREW, CJK, EMOJI]}, "bullets"),
        (
            {
                "title": "With a picture",
                "bullets": ["One", "Two"],
                "image": {"__image_prompt__": "x", "__image_url__": image_src},
            },
            "bullets-image",
        ),
        (
            {
                "title": "Two sides",
                "left": {"heading": "Before", "body": "Slow & manual"},
                "right": {"heading": "After", "body": "Fast <b>and</b> automatic"},
            },
            "two-columns",
        ),
        (
            {
                "title": "Pillars",
                "cards": [
                    {
                        "icon": {
                            "__icon_query__": "acorn",
                            "__icon_url__": "/static/icons/bold/acorn.svg",
                        },
                        "heading": "Grow",
                        "text": "Small seeds",
                    },
                    {
                        "icon": {
                            "__icon_query__": "x",
                            "__icon_url__": "https://evil.example/x.svg",
                        },
                        "heading": "Remote",
                        "text": "Not fetched",
                    },
                    {"icon": {}, "heading": "Missing", "text": "Placeholder"},
                ],
            },
            "icon-cards",
        ),
        ({"title": "Metrics", "metrics": [{"value": "42%", "label": "Growth"}]}, "metrics"),
        ({"quote": "Simplicity is the soul of efficiency.", "author": "Austin Freeman"}, "quote"),
        (
            {"title": "Plan", "steps": [{"label": "Q1", "description": "Build"}, {"label": "Q2"}]},
            "timeline",
        ),
        (
            {
                "title": "Pricing",
                "columns": ["Plan", "Price"],
                "rows": [["Starter", "$10"], [CJK, ARABIC]],
            },
            "table",
        ),
        (
            {
                "title": "Growth",
                "chart_type": "bar",
                "categories": ["Q1", "Q2", "Q3"],
                "series": [
                    {"name": "Revenue", "values": [1, 3, 2]},
                    {"name": "Cost", "values": [1, 1, 1]},
                ],
            },
            "chart",
        ),
        (
            {
                "title": "Share",
                "chart_type": "pie",
                "categories": ["A", "B"],
                "series": [{"name": "S", "values": [2, 1]}],
            },
            "chart",
        ),
        (
            {
                "title": "Trend",
                "chart_type": "line",
                "categories": ["J", "F", "M"],
                "series": [{"name": "U", "values": [1, 4, 2]}],
            },
            "chart",
        ),
        ({"title": "Empty chart", "chart_type": "pie", "categories": [], "series": []}, "chart"),
        ({"title": "Thanks", "message": "Questions?"}, "closing"),
        ({"headline": "Custom layout", "text": "Anything goes"}, "no-such-kind"),
    ]


def geometry_deck(
    group: str = "general", image_src: str = "/app_data/images/photo.png"
) -> DeckGeometry:
    """A deck laid out by the real geometry (`render.geometry.deck_geometry`)."""
    from slidestream.render.geometry import deck_geometry
    from slidestream.templates.registry import get_theme

    slides = [
        (content, f"{group}:{kind}", kind, f"Notes for {kind} & <co>")
        for content, kind in kind_contents(image_src)
    ]
    return deck_geometry(f"Deck {group} & <friends>", slides, get_theme(group))


BROKEN = "bad\x00\x1b\ud800\ufffe\x0b end"
"""Controls, a lone surrogate and a non-character: what no file format can carry."""


def broken_text_deck() -> DeckGeometry:
    """Text that did not go through the geometry's cleaning, in every place text goes."""
    style = TextStyle(font="Inter", size=20, color="#000000")
    element = TextElement(
        x=10,
        y=10,
        w=500,
        h=100,
        role=BROKEN,
        paragraphs=[BROKEN],
        style=style,
        lines=[TextLine(text=BROKEN, x=10, y=10, width=100)],
    )
    chart = bar_chart()
    chart.categories = [BROKEN, "b", "c"]
    chart.series[0].name = BROKEN
    chart.parts.append(ChartPart(kind="label", color=INK, text=BROKEN, box=Box(x=0, y=0, w=9, h=9)))
    tbl = table()
    tbl.cells[1][0] = element.model_copy(update={"x": 92, "y": 216})
    slide = SlideGeometry(
        background="#ffffff",
        notes=BROKEN,
        layout=BROKEN,
        elements=[element, chart, tbl, image(BROKEN)],
    )
    return DeckGeometry(title=BROKEN, slides=[slide], fonts=["Inter"])
