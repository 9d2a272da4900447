"""Slide geometry for every layout kind, with normal, over-long, broken and exotic content."""

from __future__ import annotations

import copy
import logging
from importlib.resources import files
from typing import Any

import pytest

from slidestream.render.geometry import deck_geometry, slide_geometry
from slidestream.render.model import (
    ChartElement,
    ImageElement,
    ShapeElement,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.templates.kinds import KIND_FIELDS, KINDS
from slidestream.templates.themes import Theme
from tests.render.geometry_checks import check_deck, check_slide, make_theme, texts

THEME = make_theme()

NORMAL: dict[str, dict[str, Any]] = {
    "title": {"title": "Quarterly business review", "subtitle": "How Q3 went and what is next"},
    "agenda": {"title": "Agenda", "items": [f"{i} · Section about topic {i}" for i in range(7)]},
    "bullets": {
        "title": "Why it matters",
        "bullets": [
            "Customers adopt the product twice as fast as last year",
            "Support tickets dropped by a third after the redesign",
            "The team shipped every milestone on time",
        ],
    },
    "bullets-image": {
        "title": "The new device",
        "bullets": ["Weighs less than a paperback", "Runs all day on one charge"],
        "image": {"__image_prompt__": "a small device", "__image_url__": "/app_data/images/d.png"},
    },
    "two-columns": {
        "title": "Before and after",
        "left": {"heading": "Before", "body": "A manual process with many hand-offs and errors."},
        "right": {"heading": "After", "body": "One automated pipeline with checks at every step."},
    },
    "icon-cards": {
        "title": "Our pillars",
        "cards": [
            {
                "icon": {"__icon_query__": q, "__icon_url__": f"/static/icons/{q}.svg"},
                "heading": q.title(),
                "text": f"Everything about {q} in one short sentence.",
            }
            for q in ("shield", "rocket", "heart", "globe")
        ],
    },
    "metrics": {
        "title": "In numbers",
        "metrics": [
            {"value": "42%", "label": "Growth year over year"},
            {"value": "$3.4B", "label": "Revenue"},
            {"value": "7x", "label": "Faster onboarding"},
        ],
    },
    "quote": {"quote": "Simplicity is the ultimate sophistication.", "author": "Leonardo"},
    "timeline": {
        "title": "Roadmap",
        "steps": [{"label": f"Q{i} 2025", "description": "Ship the next step."} for i in range(4)],
    },
    "table": {
        "title": "Plans",
        "columns": ["Plan", "Price", "Seats", "Support"],
        "rows": [["Free", "$0", "1", "Community"], ["Pro", "$12", "5", "Email within a day"]],
    },
    "chart": {
        "title": "Revenue by quarter",
        "chart_type": "bar",
        "categories": ["Q1", "Q2", "Q3", "Q4"],
        "series": [
            {"name": "2024", "values": [1.5, 2, 2.5, 3]},
            {"name": "2025", "values": [2, 3, 4, 5]},
        ],
    },
    "closing": {"title": "Thank you", "message": "Questions? Write to team@example.com."},
}
assert set(NORMAL) == set(KINDS)

SPECIAL = "<script>alert(\"x\")</script> & <b>bold</b> 'quotes' ]]> &amp; <!-- c -->"
ARABIC = "مرحبا بالعالم، هذا عرض تقديمي عن نتائج الربع الثالث"
HEBREW = "שלום עולם, זו מצגת על תוצאות הרבעון השלישי"
CJK = "你好\uff0c世界。这是一个关于第三季度业绩的演示文稿\uff0c内容很长。"
EMOJI = "Launch day 🚀🎉 with 👩‍💻 teams and 👍🏽 results 🇫🇷"


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return value if value.startswith("/") else fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: v if k.startswith("__") else _map_strings(v, fn) for k, v in value.items()}
    return value


def _longer(value: Any, factor: int = 10) -> Any:
    """Every string `factor` times longer and every list `factor` times longer."""
    if isinstance(value, str):
        return value if value.startswith("/") else " ".join([value] * factor)
    if isinstance(value, list):
        return [_longer(v, factor) for v in value] * factor
    if isinstance(value, dict):
        return {k: _longer(v, factor) for k, v in value.items()}
    return value


def _variants() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for kind, content in NORMAL.items():
        out.append((kind, "normal", content))
        out.append((kind, "long", _longer(content)))
        out.append((kind, "empty", {}))
        out.append((kind, "special", _map_strings(content, lambda s: f"{s} {SPECIAL}")))
        out.append((kind, "arabic", _map_strings(content, lambda s: ARABIC)))
        out.append((kind, "hebrew", _map_strings(content, lambda s: HEBREW)))
        out.append((kind, "cjk", _map_strings(content, lambda s: CJK * 3)))
        out.append((kind, "emoji", _map_strings(content, lambda s: EMOJI)))
        for name, wrong in (
            ("none", None),
            ("int", 42),
            ("float", float("nan")),
            ("bool", True),
            ("list", [None, 1, {"x": 2}, ["a"]]),
            ("dict", {"nested": {"deep": 1}}),
            ("str", "just a string"),
        ):
            out.append((kind, f"wrong-{name}", {key: wrong for key in KIND_FIELDS[kind]}))
        items = copy.deepcopy(content)
        for key, value in items.items():
            if isinstance(value, list):
                items[key] = [None, 7, "", {"unexpected": True}, *value, ["x", 1]]
        out.append((kind, "mixed-items", items))
    return out


VARIANTS = _variants()


def _build(content: Any, kind: str | None, theme: Theme = THEME, **kw: Any) -> SlideGeometry:
    return slide_geometry(content, f"test:{kind}", kind, theme, **kw)


@pytest.mark.parametrize(
    ("kind", "variant", "content"), VARIANTS, ids=[f"{k}-{v}" for k, v, _ in VARIANTS]
)
def test_every_kind_gives_a_valid_geometry(
    kind: str, variant: str, content: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        slide = _build(content, kind)
    assert not caplog.records, "the placer failed and the fallback was used"
    assert slide.kind == kind and slide.layout == f"test:{kind}"
    check_slide(slide)
    if variant in ("normal", "special", "arabic", "hebrew", "emoji"):
        assert any(t.lines for t in texts(slide)) or isinstance(slide.elements[-1], ChartElement)


@pytest.mark.parametrize("kind", KINDS)
def test_normal_content_is_not_truncated(kind: str) -> None:
    slide = _build(NORMAL[kind], kind)
    assert not [t.role for t in texts(slide) if t.truncated]
    for t in texts(slide):
        assert " ".join(line.text for line in t.lines).split() == " ".join(t.paragraphs).split()


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "chart"])
def test_long_content_is_shrunk_or_truncated_and_marked(kind: str) -> None:
    normal, long = _build(NORMAL[kind], kind), _build(_longer(NORMAL[kind], 30), kind)
    normal_sizes = {t.role: t.style.size for t in texts(normal)}
    assert any(t.truncated for t in texts(long)) or any(
        t.style.size < normal_sizes.get(t.role, 0) for t in texts(long)
    )


def test_every_kind_places_its_elements() -> None:
    types = {kind: [type(e) for e in _build(NORMAL[kind], kind).elements] for kind in KINDS}
    assert types["bullets-image"].count(ImageElement) == 1
    assert types["icon-cards"].count(ImageElement) == 4
    assert TableElement in types["table"]
    assert ChartElement in types["chart"]
    assert types["metrics"].count(ShapeElement) >= 3
    image = next(
        e
        for e in _build(NORMAL["bullets-image"], "bullets-image").elements
        if isinstance(e, ImageElement)
    )
    assert image.src == "/app_data/images/d.png"
    icons = [
        e.src
        for e in _build(NORMAL["icon-cards"], "icon-cards").elements
        if isinstance(e, ImageElement)
    ]
    assert icons == [f"/static/icons/{q}.svg" for q in ("shield", "rocket", "heart", "globe")]


def test_missing_or_unsafe_image_uses_the_placeholder() -> None:
    for image in (None, {}, {"__image_url__": ""}, {"__image_url__": "javascript:alert(1)"}):
        content = {**NORMAL["bullets-image"], "image": image}
        slide = _build(content, "bullets-image")
        srcs = [e.src for e in slide.elements if isinstance(e, ImageElement)]
        assert srcs == ["/static/images/placeholder.svg"]


def test_table_fits_every_cell_and_truncates_rows() -> None:
    rows = [[f"row {r} cell {c} " * 3 for c in range(6)] for r in range(60)]
    slide = _build(
        {"title": "Big", "columns": [f"Col {c}" for c in range(6)], "rows": rows}, "table"
    )
    check_slide(slide)
    table = next(e for e in slide.elements if isinstance(e, TableElement))
    assert table.font_size == THEME.sizes.minimum
    assert len(table.rows) < 60
    assert table.rows[-1][0] == "\u2026"
    small = _build(NORMAL["table"], "table")
    small_table = next(e for e in small.elements if isinstance(e, TableElement))
    assert small_table.font_size > table.font_size
    assert [c.lines[0].text for c in small_table.cells[0]] == NORMAL["table"]["columns"]


@pytest.mark.parametrize("chart_type", ["bar", "line", "pie", "unknown", None])
def test_chart_kinds(chart_type: Any) -> None:
    slide = _build({**NORMAL["chart"], "chart_type": chart_type}, "chart")
    check_slide(slide)
    chart = next(e for e in slide.elements if isinstance(e, ChartElement))
    assert chart.chart == (chart_type if chart_type in ("line", "pie") else "bar")
    assert chart.parts


@pytest.mark.parametrize("decoration", ["none", "bar", "band", "corner"])
@pytest.mark.parametrize("kind", KINDS)
def test_decorations(decoration: str, kind: str) -> None:
    theme = make_theme(decoration=decoration, margin=40, gap=16, radius=0)
    check_slide(_build(NORMAL[kind], kind, theme))
    check_slide(_build(_longer(NORMAL[kind]), kind, theme))


def test_theme_colours_and_fonts_are_used() -> None:
    theme = make_theme(fonts={"heading": "Lora", "body": "IBM Plex Sans", "heading_bold": False})
    slide = _build(NORMAL["bullets"], "bullets", theme)
    assert slide.background == theme.colors.background
    title, body = (e for e in slide.elements if isinstance(e, TextElement))
    assert (title.style.font, title.style.bold, title.style.color) == ("Lora", False, "#1d4ed8")
    assert body.style.font == "IBM Plex Sans" and body.bullets
    unknown = make_theme(fonts={"heading": "Comic Sans", "body": "Nope"})
    assert {t.style.font for t in texts(_build(NORMAL["bullets"], "bullets", unknown))} == {"Inter"}


@pytest.mark.parametrize(
    "content",
    [
        {"headline": "A client layout", "points": ["one", "two"], "extra": "three"},
        {"x": 1, "nested": {"heading": "h", "body": "b"}, "pic": {"__image_url__": "/a.png"}},
        {"pic": {"__image_prompt__": "a cat", "__image_url__": ""}},
        {},
        None,
        [],
        "text",
        {"title": None, "items": [[["deep"]]], "__speaker_note__": "note"},
        _longer({"heading": "t", "body": "b", "list": ["x"] * 5}, 50),
    ],
)
def test_generic_arrangement(content: Any) -> None:
    for kind in (None, "unknown-kind"):
        slide = _build(content, kind)
        assert slide.kind == "generic"
        check_slide(slide)


def test_generic_uses_title_points_and_image() -> None:
    content = {"name": "Client title", "points": ["one", "two"], "pic": {"__image_url__": "/a.png"}}
    slide = _build(content, None)
    els = texts(slide)
    assert els[0].role == "title" and els[0].lines[0].text == "Client title"
    assert [line.text for line in els[1].lines] == ["one", "two"]
    assert [e.src for e in slide.elements if isinstance(e, ImageElement)] == ["/a.png"]


def test_notes() -> None:
    content = {**NORMAL["bullets"], "__speaker_note__": "From the content"}
    assert _build(content, "bullets").notes == "From the content"
    assert _build(content, "bullets", notes="Given").notes == "Given"
    assert _build({"__speaker_note__": 5}, "bullets").notes == "5"


def test_control_characters_and_lone_surrogates_are_cleaned() -> None:
    content = {"title": "Bad\x00\x0b chars \ud800 here", "bullets": ["tab\there\r\nnext"]}
    slide = _build(content, "bullets")
    check_slide(slide)
    dumped = slide.model_dump_json()
    assert "\\u0000" not in dumped and "\\ud800" not in dumped


def test_deterministic() -> None:
    for kind, variant, content in VARIANTS[::5]:
        a, b = _build(content, kind), _build(copy.deepcopy(content), kind)
        assert a.model_dump_json() == b.model_dump_json(), (kind, variant)


def test_deck_geometry_lists_fonts_and_fallbacks() -> None:
    slides: list[tuple[dict[str, Any], str, str | None, str]] = [
        (NORMAL["title"], "t:title", "title", "first"),
        ({**NORMAL["bullets"], "bullets": [ARABIC, HEBREW, CJK]}, "t:bullets", "bullets", ""),
        ({"anything": "goes"}, "client:own", None, ""),
    ]
    deck = deck_geometry("My deck", slides, THEME)
    check_deck(deck)
    assert deck.title == "My deck" and len(deck.slides) == 3
    assert deck.slides[0].notes == "first" and deck.slides[2].kind == "generic"
    assert deck.fonts == [
        "Inter",
        "Montserrat",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "Droid Sans Fallback",
    ]


def _group_themes() -> list[tuple[str, Theme]]:
    root = files("slidestream.templates")
    out = []
    for group in sorted(p.name for p in root.iterdir() if p.is_dir()):
        theme_file = root / group / "theme.json"
        if theme_file.is_file():
            out.append((group, Theme.model_validate_json(theme_file.read_text("utf-8"))))
    return out


GROUP_THEMES = _group_themes()


@pytest.mark.skipif(not GROUP_THEMES, reason="no template group ships a theme.json")
@pytest.mark.parametrize(("group", "theme"), GROUP_THEMES, ids=[g for g, _ in GROUP_THEMES])
def test_every_kind_with_every_group_theme(group: str, theme: Theme) -> None:
    for kind in KINDS:
        for content in (NORMAL[kind], _longer(NORMAL[kind]), {}):
            slide = _build(content, kind, theme)
            assert slide.kind == kind and slide.background == theme.colors.background
            check_slide(slide)
