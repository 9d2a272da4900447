"""Presenton's layout model as slidestream accepts it from front ends."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel


def group(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "custom-1",
        "slides": [{"id": "custom-1:a", "name": "A", "json_schema": {"type": "object"}}],
    }
    return {**body, **overrides}


def test_minimal_group_gets_defaults() -> None:
    model = PresentationLayoutModel.model_validate(group())
    assert model.ordered is False
    assert model.slides[0].description is None
    assert model.slides[0].json_schema == {"type": "object"}


def test_unknown_fields_from_newer_front_ends_are_ignored() -> None:
    body = group(icon_weight="bold")
    body["slides"][0]["icon_weight"] = "thin"
    model = PresentationLayoutModel.model_validate(body)
    assert "icon_weight" not in model.model_dump()
    assert "icon_weight" not in model.slides[0].model_dump()


@pytest.mark.parametrize(
    "body",
    [
        group(slides=[]),
        group(slides=[{"id": "", "json_schema": {}}]),
        group(slides=[{"id": "   ", "json_schema": {}}]),
        group(slides=[{"id": "x"}]),
        group(slides=[{"id": "x", "json_schema": "not an object"}]),
        {"slides": [{"id": "x", "json_schema": {}}]},
    ],
)
def test_invalid_groups_are_rejected(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PresentationLayoutModel.model_validate(body)


def test_round_trip_is_the_wire_shape() -> None:
    layout = SlideLayoutModel(id="g:x", name="X", description="d", json_schema={"a": 1})
    dumped = PresentationLayoutModel(name="g", slides=[layout]).model_dump(mode="json")
    assert dumped == {
        "name": "g",
        "ordered": False,
        "slides": [{"id": "g:x", "name": "X", "description": "d", "json_schema": {"a": 1}}],
    }


def test_kind_is_read_and_written_only_when_present() -> None:
    body = group()
    body["slides"].append(
        {"id": "general:quote", "kind": "quote", "json_schema": {"type": "object"}}
    )
    model = PresentationLayoutModel.model_validate(body)
    assert [slide.kind for slide in model.slides] == [None, "quote"]
    dumped = model.model_dump(mode="json")
    assert "kind" not in dumped["slides"][0]
    assert dumped["slides"][1]["kind"] == "quote"
    assert PresentationLayoutModel.model_validate(dumped) == model
