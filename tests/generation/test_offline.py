"""The offline engine: extractive outlines from documents, schema-valid slide content for
every layout, deterministic, in the documents' own language, no invented figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slidestream.generation.engines import OfflineEngine
from slidestream.generation.offline.content import fill_schema
from slidestream.generation.offline.outline import Source, draft_outline
from slidestream.generation.offline.text import figures, sections_of, shorten, split_sentences
from slidestream.generation.schema_fit import fit_to_schema, llm_schema_for, validation_errors
from slidestream.generation.slides import SlideRequest
from slidestream.llm.holder import ProviderHolder
from slidestream.settings import Settings
from slidestream.templates.registry import get_layout_group, list_layout_groups

REPORT = """# Urban Beekeeping Report 2025

## Growth
Urban beekeeping has grown quickly in European cities. Berlin counted 1,200 registered
hives in 2024, up 35% from 2020. Most hives are kept on rooftops and in allotments.

## Benefits
Bees pollinate urban gardens and parks. A single hive produces 15 kg of honey per year on
average. Community hives bring neighbours together and teach children about ecology.

## Risks
Too many hives compete with wild pollinators for forage. Varroa mites caused 20% winter
losses in 2023. Swarms in dense streets worry residents.

## Regulation
Cities require registration of each hive. Beekeepers must keep hives 10 m from public
paths. Inspections happen twice a year.
"""

BERICHT = """# Stadtimkerei in Berlin

## Wachstum
Die Stadtimkerei wächst in Berlin seit Jahren. Im Jahr 2024 waren 1.200 Bienenvölker
gemeldet, das sind 35 Prozent mehr als 2020. Die meisten Völker stehen auf Dächern.

## Risiken
Zu viele Völker konkurrieren mit Wildbienen um Nahrung. Die Varroamilbe verursachte 2023
Winterverluste von 20 Prozent. Schwärme in engen Straßen beunruhigen Anwohner.

## Regeln
Jedes Bienenvolk muss beim Veterinäramt gemeldet werden. Kontrollen finden zweimal im
Jahr statt.
"""


def document_sentences(text: str) -> set[str]:
    return {s for section in sections_of(text) for s in section.sentences}


def points_of(item: str) -> list[str]:
    return [line[2:] for line in item.splitlines() if line.startswith("- ")]


def test_outline_takes_sections_and_key_sentences_from_the_document() -> None:
    items = draft_outline("", [Source("report.md", REPORT)], 5)
    assert len(items) == 5
    assert items[0].startswith("# Urban Beekeeping Report 2025")
    assert [item.splitlines()[0] for item in items[1:]] == [
        "## Growth",
        "## Benefits",
        "## Risks",
        "## Regulation",
    ]
    source = document_sentences(REPORT)
    for item in items[1:]:
        points = points_of(item)
        assert points, item
        assert all(point in source for point in points), item  # extractive: nothing invented
    assert "Berlin counted 1,200 registered hives in 2024, up 35% from 2020." in items[1]


def test_outline_is_deterministic_and_within_limits() -> None:
    sources = [Source("report.md", REPORT), Source("bericht.md", BERICHT)]
    first = draft_outline("Bees", sources, 9, verbosity="text-heavy")
    assert first == draft_outline("Bees", sources, 9, verbosity="text-heavy")
    assert len(first) == 9
    assert all(50 <= len(item) <= 600 or item.startswith("# ") for item in first)


def test_more_slides_than_sections_splits_sections_and_fewer_keeps_the_weightiest() -> None:
    many = draft_outline("", [Source("r.md", REPORT)], 8, include_title_slide=False)
    assert len(many) == 8
    assert any("(1/2)" in item for item in many)
    few = draft_outline("", [Source("r.md", REPORT)], 2, include_title_slide=False)
    assert len(few) == 2
    headings = [item.splitlines()[0] for item in few]
    assert headings == sorted(headings, key=lambda h: REPORT.index(h[3:].split(" (")[0]))


def test_outline_keeps_the_documents_language() -> None:
    items = draft_outline("", [Source("bericht.md", BERICHT)], 4)
    text = "\n".join(items)
    assert items[0].startswith("# Stadtimkerei in Berlin")
    assert "## Wachstum" in text and "## Risiken" in text
    for english in ("the", "and", "Why", "matters", "Overview"):
        assert not re.search(rf"\b{english}\b", text), english


def test_a_short_prompt_without_documents_gives_an_editable_skeleton() -> None:
    items = draft_outline("Urban beekeeping", [], 6)
    assert items[0] == "# Urban beekeeping"
    assert len(items) == 6
    assert all("Urban beekeeping" in item for item in items)


def test_a_long_prompt_is_its_own_source() -> None:
    prompt = REPORT.replace("#", "").replace("\n\n", " ")
    items = draft_outline(prompt, [], 4, include_title_slide=False)
    assert len(items) == 4
    sentences = set(split_sentences(" ".join(prompt.split())))
    assert any(point in sentences for item in items for point in points_of(item))


@pytest.mark.parametrize("group", [g.name for g in list_layout_groups()])
def test_every_layout_is_filled_validly_from_every_kind_of_outline(group: str) -> None:
    items = draft_outline("", [Source("report.md", REPORT)], 6)
    outlines = [
        *items,
        "# Only a heading",
        "",
        "x",
        "- one point only",
        "# 漢字のタイトル\n- 東京は大きい。",
    ]
    for layout in get_layout_group(group).slides:
        schema = llm_schema_for(layout.json_schema)
        for outline in outlines:
            content = fill_schema(schema, outline)
            fitted = fit_to_schema(content, schema)
            assert validation_errors(fitted, schema) == [], (layout.id, outline)


def test_figures_come_from_the_text_and_are_never_invented() -> None:
    metrics = next(s for s in get_layout_group("general").slides if s.id.endswith("metrics"))
    schema = llm_schema_for(metrics.json_schema)
    with_numbers = fill_schema(schema, "## Growth\n- 1,200 hives in 2024\n- up 35% since 2020")
    values = [m["value"] for m in with_numbers["metrics"]]
    assert values[0] == "1,200"
    assert set(values) <= {"1,200", "2024", "35%", "2020"}
    without = fill_schema(schema, "## Benefits\n- Bees pollinate gardens\n- Honey tastes good")
    assert not any(any(c.isdigit() for c in m["value"]) for m in without["metrics"])


async def test_engine_streams_the_outline_and_fills_images_and_icons_with_placeholders() -> None:
    from slidestream.storage.models import PresentationRow

    row = PresentationRow(content="", n_slides=4, include_title_slide=True, verbosity="standard")
    engine = OfflineEngine()
    chunks = [c async for c in engine.stream_outline(row, 4, [Source("r.md", REPORT)])]
    assert len(chunks) > 1  # streamed in pieces, as an LLM would
    parsed = json.loads("".join(chunks))
    assert len(parsed["slides"]) == 4
    layout = next(s for s in get_layout_group("general").slides if "image" in s.id)
    result = await engine.slide_content(
        SlideRequest(
            outline=parsed["slides"][1]["content"],
            layout=layout,
            language="",
            tone="default",
            verbosity="standard",
        )
    )
    assert result.content["image"]["__image_url__"].startswith("/static/")
    assert result.content["image"]["__image_prompt__"]
    assert result.speaker_note


def test_text_helpers() -> None:
    assert figures("Revenue rose 12% to $3.4B in 2024, 1,200 staff") == [
        "12%",
        "$3.4B",
        "2024",
        "1,200",
    ]
    assert shorten("one two three four five", 12) == "one two…"
    assert len(shorten("x" * 50, 10)) == 10
    assert split_sentences("Erster Satz. Zweiter Satz! 東京は大きい。大阪も。") == [
        "Erster Satz.",
        "Zweiter Satz!",
        "東京は大きい。",
        "大阪も。",
    ]


def test_the_offline_engine_is_chosen_without_a_provider_or_by_name(tmp_path: Path) -> None:
    assert ProviderHolder(Settings(data_dir=tmp_path, llm=None)).engine().mode == "offline"
    chosen = Settings(data_dir=tmp_path, llm="offline", openai_api_key="sk-unused")
    assert ProviderHolder(chosen).engine().mode == "offline"
    configured = Settings(data_dir=tmp_path, llm="openai", openai_api_key="sk-test")
    assert ProviderHolder(configured).engine().mode == "llm"


def test_table_of_contents_slides_list_page_and_heading() -> None:
    agenda = next(s for s in get_layout_group("general").slides if s.id == "general:agenda")
    outline = (
        "Table of Contents\n"
        "Slide page number: 3 / Slide Content: ## Growth - Urban beekeeping has grown\n"
        "Slide page number: 4 / Slide Content: ## Risks - Too many hives compete"
    )
    content = fill_schema(llm_schema_for(agenda.json_schema), outline)
    assert content["title"] == "Table of Contents"
    assert content["items"] == ["3 · Growth", "4 · Risks"]
