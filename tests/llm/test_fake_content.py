"""The simulated LLM's schema-driven answers always validate."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest

from slidestream.generation.outline import outline_schema
from slidestream.generation.schema_fit import llm_schema_for
from slidestream.generation.structure import structure_schema
from slidestream.llm.fake.config import parse_fault_spec
from slidestream.llm.fake.content import ContentGenerator, topic_words
from slidestream.templates.registry import get_layout_group

SCHEMAS: list[dict[str, Any]] = [
    outline_schema(1),
    outline_schema(12),
    structure_schema(7, 9),
    *[llm_schema_for(s.json_schema) for s in get_layout_group("general").slides],
    {
        "type": "object",
        "$defs": {
            "item": {
                "type": "object",
                "properties": {"n": {"type": "number", "minimum": 2, "maximum": 3}},
            }
        },
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/$defs/item"},
                "minItems": 2,
                "maxItems": 2,
            },
            "choice": {"enum": ["a", "b"]},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5}]},
            "flag": {"type": "boolean"},
            "fixed": {"const": 3},
        },
    },
]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: str(sorted(s.get("properties", {})))[:40])
def test_answers_validate_against_the_schema(schema: dict[str, Any], seed: int) -> None:
    generator = ContentGenerator(random.Random(seed), "Urban beekeeping for city councils")
    jsonschema.validate(generator.value(schema, schema), schema)


def test_same_seed_same_answer() -> None:
    schema = SCHEMAS[3]
    first = ContentGenerator(random.Random(1), "topic words here").value(schema, schema)
    second = ContentGenerator(random.Random(1), "topic words here").value(schema, schema)
    assert first == second


def test_topic_words_skip_filler() -> None:
    assert topic_words("Write about the future of solar energy in Kenya") == [
        "future",
        "solar",
        "energy",
        "kenya",
    ]


def test_fault_specs() -> None:
    rule = parse_fault_spec("stall:3:MARK01X")
    assert (rule.kind, rule.times, rule.match) == ("stall", 3, "MARK01X")
    assert parse_fault_spec("429").times == 1
    with pytest.raises(ValueError):
        parse_fault_spec("explode")
