"""Structure choice and repair, and Presenton's table-of-contents rules."""

from __future__ import annotations

import random
from typing import Any

import pytest

from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.generation.structure import (
    heuristic_structure,
    layout_roles,
    ordered_structure,
    repair_structure,
    structure_prompt,
    structure_schema,
)
from slidestream.generation.toc import find_toc_layout_index, insert_toc, outline_count_for
from slidestream.templates.registry import get_layout_group

GENERAL = get_layout_group("general")
IDS = [s.id for s in GENERAL.slides]
INDEX = {layout_id.removeprefix("general:"): i for i, layout_id in enumerate(IDS)}
TITLE = "# Solar Energy in 2025\n\nWhy rooftop solar pays off now"
CLOSING = "# Thank You\n\nQuestions and next steps"


def outlines(n: int) -> list[str]:
    return [f"# Part {i}\n\n- first point\n- second point\n- third point" for i in range(n)]


def group(*names: str, ordered: bool = False) -> PresentationLayoutModel:
    return PresentationLayoutModel.model_validate(
        {
            "name": "custom",
            "ordered": ordered,
            "slides": [{"id": f"custom:{n}", "name": n, "json_schema": {}} for n in names],
        }
    )


# --- structure_schema / structure_prompt --------------------------------------------------


def test_structure_schema_is_exact() -> None:
    assert structure_schema(3, 9) == {
        "type": "object",
        "properties": {
            "slides": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 8},
                "minItems": 3,
                "maxItems": 3,
            }
        },
        "required": ["slides"],
        "additionalProperties": False,
    }


def test_structure_prompt_lists_layouts_outlines_and_rules() -> None:
    system, user = structure_prompt(GENERAL, [TITLE, "# Market\n\n- a", CLOSING])
    for i, layout in enumerate(GENERAL.slides):
        assert f"index {i}: {layout.name} — {layout.description}" in system
    assert "exactly 3 integers" in system
    assert f"between 0 and {len(IDS) - 1}" in system
    assert f"title layout (index {INDEX['title-slide']})" in system
    assert f"table-of-contents layout (index {INDEX['agenda']})" in system
    assert "## Slide 1\n# Solar Energy in 2025" in user
    assert "## Slide 3\n# Thank You" in user


def test_structure_prompt_skips_rules_for_roles_the_group_lacks() -> None:
    system, _ = structure_prompt(group("alpha", "beta"), ["# A", "# B"])
    assert "- index 1: beta\n" in system
    assert "title layout" not in system and "table-of-contents layout" not in system


# --- ordered_structure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"), [(0, []), (2, [0, 1]), (3, [0, 1, 2]), (7, [0, 1, 2, 0, 1, 2, 0])]
)
def test_ordered_structure_truncates_and_cycles(n: int, expected: list[int]) -> None:
    assert ordered_structure(group("a", "b", "c", ordered=True), n) == expected


# --- heuristic_structure -------------------------------------------------------------------


def test_general_layout_roles() -> None:
    roles = dict(zip(IDS, layout_roles(GENERAL), strict=True))
    assert roles == {
        "general:title-slide": "title",
        "general:agenda": "toc",
        "general:bullet-list": "content",
        "general:bullets-with-image": "content",
        "general:two-columns": "comparison",
        "general:icon-cards": "content",
        "general:metrics": "metrics",
        "general:quote": "quote",
        "general:timeline": "timeline",
        "general:table": "comparison",
        "general:chart": "metrics",
        "general:closing": "closing",
    }


def test_heuristic_title_first_closing_last_content_rotating() -> None:
    chosen = heuristic_structure(GENERAL, [TITLE, *outlines(5), CLOSING])
    names = [IDS[i].removeprefix("general:") for i in chosen]
    assert names == [
        "title-slide",
        "bullet-list",
        "bullets-with-image",
        "icon-cards",
        "bullet-list",
        "bullets-with-image",
        "closing",
    ]


def test_heuristic_uses_content_layouts_when_the_ends_are_ordinary_slides() -> None:
    chosen = heuristic_structure(GENERAL, outlines(4))
    assert [IDS[i] for i in chosen] == [
        "general:bullet-list",
        "general:bullets-with-image",
        "general:icon-cards",
        "general:bullet-list",
    ]


def test_heuristic_never_makes_a_single_slide_a_title_slide() -> None:
    assert IDS[heuristic_structure(GENERAL, [TITLE])[0]] == "general:bullet-list"


@pytest.mark.parametrize(
    ("outline", "layout"),
    [
        ("# Results\n\n- Revenue up 42%\n- Costs down $3M\n- 7x more users", "metrics"),
        ('# Voice\n\n"Solar changed how our whole town thinks about power"', "quote"),
        ("# History\n\n- 1954 first cell\n- 1970 oil crisis\n- 2010 price drop", "timeline"),
        ("# Roof vs ground\n\n- roof: cheap\n- ground: efficient", "two-columns"),
    ],
)
def test_heuristic_picks_special_layouts_when_the_outline_asks(outline: str, layout: str) -> None:
    chosen = heuristic_structure(GENERAL, [TITLE, outline, *outlines(2)])
    assert IDS[chosen[1]] == f"general:{layout}"


def test_heuristic_does_not_repeat_a_special_layout_back_to_back() -> None:
    numbers = "# N\n\n- 10% growth\n- 20% margin"
    chosen = heuristic_structure(GENERAL, [TITLE, numbers, numbers])
    assert IDS[chosen[1]] == "general:metrics" and IDS[chosen[2]] != "general:metrics"


@pytest.mark.parametrize("seed", range(30))
def test_heuristic_never_picks_the_toc_and_is_deterministic(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [TITLE, CLOSING, "# Agenda\n\n- a", "42% and $3B", '"a quote of twenty chars+"', ""]
    texts = [rng.choice([*pieces, *outlines(3)]) for _ in range(rng.randint(1, 25))]
    chosen = heuristic_structure(GENERAL, texts)
    assert len(chosen) == len(texts)
    assert INDEX["agenda"] not in chosen
    assert chosen == heuristic_structure(GENERAL, texts)


def test_heuristic_with_unrecognisable_or_all_toc_layouts() -> None:
    assert heuristic_structure(group("a", "b"), outlines(3)) == [0, 1, 0]
    assert heuristic_structure(group("agenda", "index"), outlines(3)) == [0, 1, 0]


# --- repair_structure ----------------------------------------------------------------------


def garbage(rng: random.Random, depth: int = 0) -> Any:
    atoms: list[Any] = [-1, -7, 99, 10, "3", " 4 ", "x", "", None, True, False, 2.5, 4.0]
    atoms += [float("nan"), float("inf"), 0, 9, "general:quote", "Quote", object()]
    if depth < 2:
        atoms += [{"index": rng.randint(-3, 12)}, [1, 2], {"slides": [garbage(rng, depth + 1)]}]
    return rng.choice(atoms)


@pytest.mark.parametrize("seed", range(200))
def test_repair_always_gives_exactly_one_valid_index_per_outline(seed: int) -> None:
    rng = random.Random(seed)
    texts = outlines(rng.randint(0, 20))
    answers = [garbage(rng) for _ in range(rng.randint(0, 30))]
    raw = rng.choice(
        [answers, {"slides": answers}, {"other": answers}, "nonsense", "[1, 2", None, 42, {}]
    )
    repaired = repair_structure(raw, GENERAL, texts)
    assert len(repaired) == len(texts)
    assert all(type(i) is int and 0 <= i < len(IDS) for i in repaired)
    assert INDEX["agenda"] not in repaired


def test_repair_keeps_valid_answers() -> None:
    answer = {"slides": [0, 2, 6, 7, 9]}
    assert repair_structure(answer, GENERAL, outlines(5)) == [0, 2, 6, 7, 9]


def test_repair_reads_the_forms_models_actually_send() -> None:
    texts = outlines(6)
    raw = ["2", 3.0, " 4 ", "general:quote", "Big numbers", {"index": 8}]
    assert repair_structure(raw, GENERAL, texts) == [2, 3, 4, 7, 6, 8]
    assert repair_structure('{"slides": [2, 3]}', GENERAL, texts[:2]) == [2, 3]
    assert repair_structure({"layouts": [5, 5]}, GENERAL, texts[:2]) == [5, 5]


def test_repair_replaces_invalid_entries_with_the_heuristic_choice() -> None:
    texts = [TITLE, *outlines(4), CLOSING]
    fallback = heuristic_structure(GENERAL, texts)
    raw = [True, -1, len(IDS), 2.5, None, "x"]
    assert repair_structure(raw, GENERAL, texts) == fallback


def test_repair_truncates_long_answers_and_pads_short_ones() -> None:
    texts = [TITLE, *outlines(3), CLOSING]
    fallback = heuristic_structure(GENERAL, texts)
    assert repair_structure([2] * 50, GENERAL, texts) == [2] * 5
    assert repair_structure([5, 5], GENERAL, texts) == [5, 5, *fallback[2:]]


def test_repair_keeps_the_toc_layout_only_for_a_toc_outline() -> None:
    toc = INDEX["agenda"]
    texts = [TITLE, "# Agenda\n\n- Market\n- Costs", "# Market\n\n- a"]
    assert repair_structure([0, toc, toc], GENERAL, texts)[:2] == [0, toc]
    assert repair_structure([0, toc, toc], GENERAL, texts)[2] != toc


# --- table of contents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "include_toc", "expected"),
    [
        (10, True, 9),
        (3, True, 2),
        (1, True, 1),
        (2, True, 1),
        (11, True, 10),
        (12, True, 11),
        (20, True, 18),
        (21, True, 19),
        (25, True, 22),
        (50, True, 45),
        (0, True, 0),
        (10, False, 10),
        (1, False, 1),
    ],
)
def test_outline_count_for(n: int, include_toc: bool, expected: int) -> None:
    assert outline_count_for(n, include_toc) == expected


@pytest.mark.parametrize("include_title_slide", [True, False])
def test_requested_outlines_plus_inserted_toc_slides_make_the_deck(
    include_title_slide: bool,
) -> None:
    for n in range(3, 51):
        texts = outlines(outline_count_for(n, include_toc=True))
        structure = [2] * len(texts)
        new_texts, new_structure = insert_toc(texts, structure, GENERAL, n, include_title_slide)
        assert len(new_texts) == len(new_structure) == n, n


def test_toc_layout_search_follows_presentons_pattern_order() -> None:
    assert find_toc_layout_index(GENERAL) == INDEX["agenda"]
    # Every layout is tried with the first pattern before the next pattern is tried.
    assert find_toc_layout_index(group("agenda", "table of contents")) == 1
    assert find_toc_layout_index(group("photos", "bullet list", "agenda")) == 2
    assert find_toc_layout_index(group("photos", "numbered list")) == 1
    # Word boundaries: "stock" is not "toc", "indexed" is not "index".
    assert find_toc_layout_index(group("stock photos", "indexed")) is None


def test_toc_layout_is_found_by_description_or_schema_title() -> None:
    by_description = group("a", "b")
    by_description.slides[1].description = "Shows the outline of the talk"
    assert find_toc_layout_index(by_description) == 1
    by_title = group("a", "b")
    by_title.slides[0].json_schema = {"title": "TOC"}
    assert find_toc_layout_index(by_title) == 0


def test_insert_toc_after_the_title_with_shifted_page_numbers() -> None:
    texts = ["# Title", "# One", "# Two", "# Three"]
    structure = [0, 2, 3, 9]
    new_texts, new_structure = insert_toc(texts, structure, GENERAL, 5, include_title_slide=True)
    assert new_texts[0] == "# Title" and new_texts[2:] == texts[1:]
    assert new_texts[1].splitlines() == [
        "Table of Contents",
        "Slide page number: 3 / Slide Content: # One",
        "Slide page number: 4 / Slide Content: # Two",
        "Slide page number: 5 / Slide Content: # Three",
    ]
    assert new_structure == [0, INDEX["agenda"], 2, 3, 9]
    assert texts == ["# Title", "# One", "# Two", "# Three"]  # inputs untouched
    assert structure == [0, 2, 3, 9]


def test_insert_toc_without_a_title_slide_goes_first_and_lists_everything() -> None:
    texts = ["# One", "# Two"]
    new_texts, new_structure = insert_toc(texts, [2, 3], GENERAL, 3, include_title_slide=False)
    assert new_texts[1:] == texts and new_structure == [INDEX["agenda"], 2, 3]
    assert new_texts[0].splitlines()[1:] == [
        "Slide page number: 2 / Slide Content: # One",
        "Slide page number: 3 / Slide Content: # Two",
    ]


def test_several_toc_slides_split_the_entries_evenly_with_contiguous_pages() -> None:
    texts = [TITLE, *[f"# Topic {i}" for i in range(22)]]
    new_texts, new_structure = insert_toc(texts, [2] * 23, GENERAL, 26, include_title_slide=True)
    assert new_structure[:5] == [2, INDEX["agenda"], INDEX["agenda"], INDEX["agenda"], 2]
    tocs = [text.splitlines()[1:] for text in new_texts[1:4]]
    assert [len(entries) for entries in tocs] == [8, 7, 7]
    pages = [int(line.split(":")[1].split("/")[0]) for entries in tocs for line in entries]
    assert pages == list(range(5, 27))
    assert tocs[0][0] == "Slide page number: 5 / Slide Content: # Topic 0"
    assert new_texts[4 + 21] == "# Topic 21"  # the page number of the last entry is right


def test_toc_preview_is_one_line_of_at_most_100_characters() -> None:
    long_outline = "# Heading\n\n- " + "word " * 60
    new_texts, _ = insert_toc(["# T", long_outline], [0, 2], GENERAL, 3, True)
    entry = new_texts[1].splitlines()[1]
    content = entry.split("Slide Content: ", 1)[1]
    assert content == " ".join(long_outline.split())[:100]
    assert len(content) == 100


def test_insert_toc_changes_nothing_without_room_or_a_usable_layout() -> None:
    texts, structure = outlines(3), [0, 1, 2]
    assert insert_toc(texts, structure, GENERAL, 3, True) == (texts, structure)
    assert insert_toc(texts, structure, GENERAL, 2, True) == (texts, structure)
    assert insert_toc(texts, structure, group("a", "b"), 5, True) == (texts, structure)
    # Only a title outline left: there is nothing to list.
    assert insert_toc(["# T"], [0], GENERAL, 3, True) == (["# T"], [0])


def test_insert_toc_never_inserts_a_toc_slide_without_entries() -> None:
    # Presenton would insert 7 TOC slides here (10 requested, 3 outlines left).
    new_texts, new_structure = insert_toc([TITLE, "# A", "# B"], [0, 2, 2], GENERAL, 10, True)
    assert len(new_texts) == 5
    assert new_structure == [0, INDEX["agenda"], INDEX["agenda"], 2, 2]
    assert new_texts[1].splitlines()[1:] == ["Slide page number: 4 / Slide Content: # A"]
    assert new_texts[2].splitlines()[1:] == ["Slide page number: 5 / Slide Content: # B"]
