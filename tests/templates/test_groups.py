"""The four built-in template groups: one layout per kind, schemas that keep text inside its
box, descriptions an LLM can choose by, and the themes that draw them."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from slidestream.domain.layouts import SlideLayoutModel
from slidestream.generation.schema_fit import content_schema_for, llm_schema_for
from slidestream.generation.structure import heuristic_structure, layout_roles
from slidestream.generation.toc import ENTRIES_PER_TOC_SLIDE, find_toc_layout_index
from slidestream.templates.kinds import KIND_FIELDS, KINDS
from slidestream.templates.registry import (
    LayoutGroupNotFound,
    get_layout_group,
    get_theme,
    layout_kind,
    list_layout_groups,
)
from slidestream.templates.themes import Theme
from tests.support.flows import API
from tests.templates.schema_instances import instance

GROUPS = ("general", "modern", "standard", "swift")
BUNDLED_FONTS = {"Inter", "Montserrat", "Lora", "IBM Plex Sans", "Noto Sans"}
# The patterns from the brief, deliberately without word boundaries: stricter than
# Presenton's own (which has them), so passing these passes Presenton's too.
TOC = re.compile(r"table of contents|agenda|contents|outline|index|toc", re.IGNORECASE)
LIST = re.compile(r"bullet|list", re.IGNORECASE)
URL_KEYS = {"__image_url__", "__icon_url__"}

ALL = [layout for group in GROUPS for layout in get_layout_group(group).slides]
BY_LAYOUT = pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.id)
BY_GROUP = pytest.mark.parametrize("group", GROUPS)

# The shape of each kind's content, as `kinds.KIND_FIELDS` describes it in words:
# "string"/"number" leaves, [item] for arrays, {key: shape} for objects.
S = "string"
IMAGE = {"__image_prompt__": S, "__image_url__": S}
ICON = {"__icon_query__": S, "__icon_url__": S}
BLOCK = {"heading": S, "body": S}
SHAPES: dict[str, dict[str, Any]] = {
    "title": {"title": S, "subtitle": S},
    "agenda": {"title": S, "items": [S]},
    "bullets": {"title": S, "bullets": [S]},
    "bullets-image": {"title": S, "bullets": [S], "image": IMAGE},
    "two-columns": {"title": S, "left": BLOCK, "right": BLOCK},
    "icon-cards": {"title": S, "cards": [{"icon": ICON, "heading": S, "text": S}]},
    "metrics": {"title": S, "metrics": [{"value": S, "label": S}]},
    "quote": {"quote": S, "author": S},
    "timeline": {"title": S, "steps": [{"label": S, "description": S}]},
    "table": {"title": S, "columns": [S], "rows": [[S]]},
    "chart": {
        "title": S,
        "chart_type": S,
        "categories": [S],
        "series": [{"name": S, "values": ["number"]}],
    },
    "closing": {"title": S, "message": S},
}
# What `generation.structure` should make of each layout (by its slug, in every group):
# table and chart are kept out of the rotation of plain text slides.
ROLES = {
    "title-slide": "title",
    "agenda": "toc",
    "bullet-list": "content",
    "bullets-with-image": "content",
    "two-columns": "comparison",
    "icon-cards": "content",
    "metrics": "metrics",
    "quote": "quote",
    "timeline": "timeline",
    "table": "comparison",
    "chart": "metrics",
    "closing": "closing",
}


def nodes(schema: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    """Every sub-schema with a readable path to it."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        found.append((path, schema))
        for key, sub in schema.get("properties", {}).items():
            found.extend(nodes(sub, f"{path}.{key}"))
        if "items" in schema:
            found.extend(nodes(schema["items"], f"{path}[]"))
    return found


def shape(schema: dict[str, Any]) -> Any:
    if schema["type"] == "object":
        return {key: shape(sub) for key, sub in schema["properties"].items()}
    if schema["type"] == "array":
        return [shape(schema["items"])]
    return schema["type"]


def searchable(layout: SlideLayoutModel) -> list[str]:
    return [
        layout.id,
        layout.name or "",
        layout.description or "",
        str(layout.json_schema.get("title", "")),
    ]


def by_kind(group: str) -> dict[str, SlideLayoutModel]:
    return {str(layout.kind): layout for layout in get_layout_group(group).slides}


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours."""

    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- groups and kinds ----------------------------------------------------------------------


def test_the_four_groups_are_listed_default_first() -> None:
    summaries = list_layout_groups()
    assert [s.name for s in summaries] == list(GROUPS)
    assert [s.default for s in summaries] == [True, False, False, False]
    for summary in summaries:
        assert summary.layouts == len(KINDS)
        assert len(summary.description) >= 60
        assert summary.theme_description == get_theme(summary.name).description
        assert summary.colors == get_theme(summary.name).colors
        assert summary.fonts == get_theme(summary.name).fonts


@BY_GROUP
def test_every_group_has_one_layout_per_kind_in_kind_order(group: str) -> None:
    layouts = get_layout_group(group)
    assert layouts.name == group and layouts.ordered is False
    assert [layout.kind for layout in layouts.slides] == list(KINDS)
    ids = [layout.id for layout in layouts.slides]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(rf"{group}:[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


def test_ids_are_unique_across_groups() -> None:
    ids = [layout.id for layout in ALL]
    assert len(ids) == len(set(ids)) == len(GROUPS) * len(KINDS)


def test_the_shapes_here_are_the_contract_in_kinds() -> None:
    assert {kind: set(fields) for kind, fields in SHAPES.items()} == {
        kind: set(fields) for kind, fields in KIND_FIELDS.items()
    }


@BY_LAYOUT
def test_schema_matches_its_kinds_contract(layout: SlideLayoutModel) -> None:
    assert layout.kind is not None
    assert shape(layout.json_schema) == SHAPES[layout.kind]
    assert list(layout.json_schema["properties"]) == list(KIND_FIELDS[layout.kind])
    if layout.kind == "chart":
        assert layout.json_schema["properties"]["chart_type"]["enum"] == ["bar", "line", "pie"]


# --- schemas -------------------------------------------------------------------------------


@BY_LAYOUT
def test_schema_is_a_valid_closed_draft_2020_12_object(layout: SlideLayoutModel) -> None:
    Draft202012Validator.check_schema(layout.json_schema)
    assert layout.json_schema["type"] == "object"
    for path, node in nodes(layout.json_schema):
        if node.get("type") == "object":
            assert node["additionalProperties"] is False, path
            assert node["required"] == list(node["properties"]), path


@BY_LAYOUT
def test_every_string_and_array_is_bounded_to_fit_a_slide(layout: SlideLayoutModel) -> None:
    for path, node in nodes(layout.json_schema):
        key = path.rsplit(".", 1)[-1]
        if node.get("type") == "string" and "enum" not in node:
            assert 0 < node["minLength"] <= node["maxLength"], path
            if key not in URL_KEYS:
                assert node["maxLength"] <= 300, path
            if key == "title":
                assert node["maxLength"] <= 60, path
        if node.get("type") == "array":
            assert 0 < node["minItems"] <= node["maxItems"] <= 10, path
            if node["items"].get("type") == "string":
                assert node["items"]["maxLength"] <= 110, path


@BY_LAYOUT
def test_kind_specific_limits(layout: SlideLayoutModel) -> None:
    props = layout.json_schema["properties"]
    if layout.kind in ("bullets", "bullets-image"):
        assert props["bullets"]["maxItems"] <= 6
        assert props["bullets"]["items"]["maxLength"] <= 110
    if layout.kind == "agenda":
        # One table-of-contents slide lists up to this many entries (`generation.toc`).
        assert props["items"]["maxItems"] >= ENTRIES_PER_TOC_SLIDE
    if layout.kind == "table":
        columns, rows = props["columns"], props["rows"]
        assert columns["maxItems"] <= 6 and rows["maxItems"] <= 8
        assert (rows["items"]["minItems"], rows["items"]["maxItems"]) == (
            columns["minItems"],
            columns["maxItems"],
        )
        assert columns["items"]["maxLength"] <= 24 and rows["items"]["items"]["maxLength"] <= 40
    if layout.kind == "chart":
        categories, series = props["categories"], props["series"]
        values = series["items"]["properties"]["values"]
        assert categories["maxItems"] <= 8 and series["maxItems"] <= 3
        assert values["items"]["type"] == "number"
        assert (values["minItems"], values["maxItems"]) == (
            categories["minItems"],
            categories["maxItems"],
        )


def limits(group: str) -> dict[str, dict[str, int]]:
    """Every maxLength and maxItems by kind and path."""
    found: dict[str, dict[str, int]] = {}
    for kind, layout in by_kind(group).items():
        for path, node in nodes(layout.json_schema):
            for keyword in ("maxLength", "maxItems"):
                if keyword in node:
                    found.setdefault(kind, {})[f"{path}/{keyword}"] = node[keyword]
    return found


def test_groups_differ_in_wordiness_as_their_look_asks() -> None:
    # swift is punchy, modern sleek, general in between, standard classic with more text.
    order = [limits(group) for group in ("swift", "modern", "general", "standard")]
    for smaller, larger in itertools.pairwise(order):
        for kind in KINDS:
            assert smaller[kind].keys() == larger[kind].keys()
            for path, limit in smaller[kind].items():
                assert limit <= larger[kind][path], (kind, path)
    swift, general, standard = order[0], order[2], order[3]
    assert swift["bullets"]["$.bullets/maxItems"] < general["bullets"]["$.bullets/maxItems"]
    assert swift["bullets"]["$.bullets[]/maxLength"] < general["bullets"]["$.bullets[]/maxLength"]
    assert standard["quote"]["$.quote/maxLength"] > general["quote"]["$.quote/maxLength"]


@BY_LAYOUT
def test_images_and_icons_follow_presentons_convention(layout: SlideLayoutModel) -> None:
    for path, node in nodes(layout.json_schema):
        properties = node.get("properties", {})
        if "__image_prompt__" in properties or "__image_url__" in properties:
            assert set(properties) == {"__image_prompt__", "__image_url__"}, path
            prompt = properties["__image_prompt__"]
            assert (prompt["minLength"], prompt["maxLength"]) == (10, 150)
        if "__icon_query__" in properties or "__icon_url__" in properties:
            assert set(properties) == {"__icon_query__", "__icon_url__"}, path
            query = properties["__icon_query__"]
            assert (query["minLength"], query["maxLength"]) == (2, 30)


@BY_LAYOUT
@pytest.mark.parametrize("size", ["min", "max"])
def test_smallest_and_largest_content_validate(layout: SlideLayoutModel, size: Any) -> None:
    content = instance(layout.json_schema, size)
    Draft202012Validator(layout.json_schema).validate(content)
    note = {"__speaker_note__": "Walk the audience through the key point on this slide."}
    Draft202012Validator(content_schema_for(layout.json_schema)).validate({**content, **note})
    llm_schema = llm_schema_for(layout.json_schema)
    Draft202012Validator(llm_schema).validate({**instance(llm_schema, size), **note})


def test_a_real_chart_and_table_validate() -> None:
    chart = {
        "title": "Revenue by region",
        "chart_type": "line",
        "categories": ["2022", "2023", "2024"],
        "series": [
            {"name": "Europe ($M)", "values": [1.5, 2, 3.25]},
            {"name": "Asia ($M)", "values": [-0.5, 1, 4]},
        ],
    }
    table = {
        "title": "Plans",
        "columns": ["Plan", "Price", "Seats"],
        "rows": [["Basic", "$9", "1"], ["Team", "$29", "10"]],
    }
    for group in GROUPS:
        layouts = by_kind(group)
        Draft202012Validator(layouts["chart"].json_schema).validate(chart)
        Draft202012Validator(layouts["table"].json_schema).validate(table)
        wrong = {**chart, "chart_type": "scatter"}
        assert list(Draft202012Validator(layouts["chart"].json_schema).iter_errors(wrong))
        text = {**chart, "series": [{"name": "x", "values": ["12%", "3"]}]}
        assert list(Draft202012Validator(layouts["chart"].json_schema).iter_errors(text))


# --- choosing layouts ----------------------------------------------------------------------


@BY_LAYOUT
def test_names_and_descriptions_are_good_enough_to_choose_by(layout: SlideLayoutModel) -> None:
    assert layout.name and layout.name == layout.json_schema["title"]
    assert layout.description and len(layout.description) >= 60
    assert "use it" in layout.description.lower()  # says when to pick it
    for path, node in nodes(layout.json_schema):
        if path != "$":
            assert node.get("description"), path


@BY_GROUP
def test_descriptions_differ_between_groups(group: str) -> None:
    if group == "general":
        return
    general = by_kind("general")
    for kind, layout in by_kind(group).items():
        if kind != "agenda":  # a table of contents is a table of contents
            assert layout.description != general[kind].description, kind


@BY_GROUP
def test_only_the_agenda_looks_like_a_table_of_contents(group: str) -> None:
    layouts = get_layout_group(group)
    for layout in layouts.slides:
        matches = any(TOC.search(text) for text in searchable(layout))
        assert matches == (layout.kind == "agenda"), layout.id
    index = find_toc_layout_index(layouts)
    assert index is not None and layouts.slides[index].id == f"{group}:agenda"


@BY_GROUP
def test_title_and_bullet_layouts_match_the_list_patterns_as_needed(group: str) -> None:
    layouts = by_kind(group)
    assert not any(TOC.search(t) or LIST.search(t) for t in searchable(layouts["title"]))
    assert any(LIST.search(text) for text in searchable(layouts["bullets"]))


@BY_GROUP
def test_structure_recognises_each_layouts_role(group: str) -> None:
    layouts = get_layout_group(group)
    roles = dict(zip([s.id for s in layouts.slides], layout_roles(layouts), strict=True))
    assert roles == {f"{group}:{slug}": role for slug, role in ROLES.items()}


@BY_GROUP
def test_heuristic_opens_and_closes_with_the_groups_layouts(group: str) -> None:
    layouts = get_layout_group(group)
    outlines = [
        "# Solar Energy in 2025\n\nWhy rooftop solar pays off now",
        *[f"# Part {i}\n\n- first point\n- second point\n- third point" for i in range(3)],
        "# Thank You\n\nQuestions and next steps",
    ]
    chosen = [layouts.slides[i].kind for i in heuristic_structure(layouts, outlines)]
    assert chosen == ["title", "bullets", "bullets-image", "icon-cards", "closing"]


# --- layout_kind ---------------------------------------------------------------------------


@BY_LAYOUT
def test_layout_kind_answers_for_every_built_in_id(layout: SlideLayoutModel) -> None:
    assert layout_kind(layout.id) == layout.kind


@pytest.mark.parametrize(
    "layout_id", ["", "custom:title-slide", "general:nope", "GENERAL:agenda", "agenda", "general"]
)
def test_layout_kind_is_none_for_other_ids(layout_id: str) -> None:
    assert layout_kind(layout_id) is None


# --- themes --------------------------------------------------------------------------------


@BY_GROUP
def test_theme_loads_with_bundled_fonts_and_sane_sizes(group: str) -> None:
    theme = get_theme(group)
    assert isinstance(theme, Theme)
    assert theme.name == group and theme.description
    assert {theme.fonts.heading, theme.fonts.body} <= BUNDLED_FONTS
    sizes = theme.sizes
    assert sizes.minimum < sizes.small < sizes.body < sizes.heading < sizes.title < sizes.hero
    assert sizes.body < sizes.figure
    assert 32 <= theme.margin <= 96 and theme.gap <= theme.margin


@BY_GROUP
def test_theme_colours_have_enough_contrast(group: str) -> None:
    colors = get_theme(group).colors
    # Body text (WCAG AA, 4.5:1) ...
    for text, ground in [
        ("text", "background"),
        ("text", "surface"),
        ("muted", "background"),
        ("muted", "surface"),
        ("on_primary", "primary"),
    ]:
        ratio = contrast(getattr(colors, text), getattr(colors, ground))
        assert ratio >= 4.5, (text, ground, round(ratio, 2))
    # ... and large text and graphics (3:1).
    for color in ("primary", "accent"):
        for ground in ("background", "surface"):
            ratio = contrast(getattr(colors, color), getattr(colors, ground))
            assert ratio >= 3, (color, ground, round(ratio, 2))


@BY_GROUP
def test_chart_colours_stand_out_and_differ(group: str) -> None:
    theme = get_theme(group)
    assert len(set(theme.chart_colors)) == len(theme.chart_colors) >= 3
    for color in theme.chart_colors:
        assert contrast(color, theme.colors.background) >= 3, color


def test_each_group_has_its_own_look() -> None:
    themes = {group: get_theme(group) for group in GROUPS}
    fonts = {group: (t.fonts.heading, t.fonts.body) for group, t in themes.items()}
    assert fonts == {
        "general": ("Inter", "Inter"),
        "modern": ("Montserrat", "Inter"),
        "standard": ("Lora", "Noto Sans"),
        "swift": ("IBM Plex Sans", "IBM Plex Sans"),
    }
    decorations = {group: t.decoration for group, t in themes.items()}
    assert decorations == {
        "general": "none",
        "modern": "band",
        "standard": "bar",
        "swift": "corner",
    }
    assert contrast(themes["modern"].colors.background, "#000000") < 2  # dark
    assert contrast(themes["standard"].colors.background, "#FFFFFF") < 1.1  # light
    assert themes["swift"].sizes.body > themes["general"].sizes.body  # large type
    assert themes["swift"].sizes.title > themes["general"].sizes.title
    assert len({t.colors.primary for t in themes.values()}) == len(GROUPS)


def test_callers_get_a_copy_of_the_cached_theme() -> None:
    theme = get_theme("modern")
    theme.colors.primary = "#000000"
    theme.chart_colors.clear()
    theme.sizes.title = 1
    fresh = get_theme("modern")
    assert fresh.colors.primary != "#000000"
    assert fresh.chart_colors and fresh.sizes.title > 1


@pytest.mark.parametrize("name", ["nope", "", "../general", "general/theme.json", "GENERAL"])
def test_unknown_group_has_no_theme(name: str) -> None:
    with pytest.raises(LayoutGroupNotFound):
        get_theme(name)


# --- the HTTP API --------------------------------------------------------------------------


async def test_layouts_endpoint_lists_the_four_groups(client: httpx.AsyncClient) -> None:
    groups = (await client.get(f"{API}/layouts")).json()
    assert [g["name"] for g in groups] == list(GROUPS)
    for listed in groups:
        assert listed["layouts"] == len(KINDS)
        assert listed["colors"]["background"].startswith("#")
        assert listed["fonts"]["heading"] in BUNDLED_FONTS
        group = (await client.get(f"{API}/layouts/{listed['name']}")).json()
        assert group["name"] == listed["name"]
        assert [slide["kind"] for slide in group["slides"]] == list(KINDS)
        assert group == get_layout_group(listed["name"]).model_dump(mode="json")
