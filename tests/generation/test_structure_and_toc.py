"""Structure choice and repair, and Presenton's table-of-contents rules."""

from __future__ import annotations

import random

import pytest

from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.generation.structure import (
    heuristic_structure,
    ordered_structure,
    repair_structure,
    structure_prompt,
    structure_schema,
)
from slidestream.generation.toc import find_toc_layout_index, insert_toc, outline_count_for
from slidestream.templates.registry import get_layout_group

GENERAL = get_layout_group("general")
IDS = [s.id for s in GENERAL.slides]


def outlines(n: int) -> list[str]:
    return [f"# Part {i}\n\n- point" for i in range(n)]


def test_heuristic_starts_with_the_title_and_avoids_the_agenda() -> None:
    chosen = heuristic_structure(GENERAL, [*outlines(6), "# Conclusion and next steps"])
    assert IDS[chosen[0]] == "general:title-slide"
    assert IDS[chosen[-1]] == "general:closing"
    assert "general:agenda" not in [IDS[i] for i in chosen]
    assert len(set(chosen[1:-1])) > 1  # content layouts rotate


@pytest.mark.parametrize("seed", range(40))
def test_repair_always_gives_one_valid_index_per_outline(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 20)
    garbage: list[object] = [
        rng.choice([-1, 99, "3", "x", None, True, 2.5, 4, {}]) for _ in range(rng.randint(0, 30))
    ]
    raw = rng.choice([garbage, {"slides": garbage}, "nonsense", None, 42])
    repaired = repair_structure(raw, GENERAL, outlines(n))
    assert len(repaired) == n
    assert all(isinstance(i, int) and 0 <= i < len(IDS) for i in repaired)


def test_repair_keeps_valid_answers_and_converts_numeric_strings() -> None:
    assert repair_structure({"slides": [2, "5", 1]}, GENERAL, outlines(3)) == [2, 5, 1]


def test_ordered_structure_cycles() -> None:
    small = PresentationLayoutModel.model_validate(
        {
            "name": "s",
            "ordered": True,
            "slides": [{"id": "a", "json_schema": {}}, {"id": "b", "json_schema": {}}],
        }
    )
    assert ordered_structure(small, 5) == [0, 1, 0, 1, 0]


def test_structure_schema_and_prompt() -> None:
    schema = structure_schema(3, 9)
    assert schema["properties"]["slides"]["minItems"] == 3
    assert schema["properties"]["slides"]["items"]["maximum"] == 8
    system, user = structure_prompt(GENERAL, ["# A", "# B"])
    assert "index 0" in system and "Slide 2" in user


@pytest.mark.parametrize(
    ("n", "with_toc", "expected"),
    [(10, True, 9), (3, True, 2), (1, True, 1), (25, True, 22), (10, False, 10)],
)
def test_outline_count_for_table_of_contents(n: int, with_toc: bool, expected: int) -> None:
    assert outline_count_for(n, with_toc) == expected


def test_toc_layout_is_found_by_name() -> None:
    index = find_toc_layout_index(GENERAL)
    assert index is not None and IDS[index] == "general:agenda"


def test_insert_toc_after_the_title_with_shifted_page_numbers() -> None:
    texts = ["# Title", "# One", "# Two", "# Three"]
    structure = [0, 2, 2, 2]
    new_texts, new_structure = insert_toc(texts, structure, GENERAL, 5, include_title_slide=True)
    assert len(new_texts) == len(new_structure) == 5
    assert new_texts[0] == "# Title" and new_texts[2] == "# One"
    toc = new_texts[1].splitlines()
    assert toc[0] == "Table of Contents"
    assert toc[1] == "Slide page number: 3 / Slide Content: # One"
    assert toc[-1] == "Slide page number: 5 / Slide Content: # Three"
    assert IDS[new_structure[1]] == "general:agenda"


def test_insert_toc_without_room_changes_nothing() -> None:
    texts, structure = outlines(3), [0, 1, 2]
    assert insert_toc(texts, structure, GENERAL, 3, include_title_slide=True) == (texts, structure)
