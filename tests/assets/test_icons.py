"""Icons: the bundled Phosphor set is complete and licensed, and offline keyword search
finds sensible icons, deterministically, never answering nothing."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from slidestream.assets.icons import (
    ICON_PLACEHOLDER,
    IconIndex,
    default_icon_index,
    tokenize,
)

ICONS_DIR = Path(str(files("slidestream").joinpath("static", "icons")))


def name_of(url: str) -> str:
    assert url.startswith("/static/icons/bold/") and url.endswith(".svg"), url
    return url.removeprefix("/static/icons/bold/").removesuffix(".svg")


def test_bundled_set_is_complete_and_licensed() -> None:
    index = json.loads((ICONS_DIR / "index.json").read_text())
    names = set(index["icons"])
    files_ = {path.stem for path in (ICONS_DIR / "bold").glob("*.svg")}
    assert len(names) > 1000
    assert names == files_
    assert "MIT License" in (ICONS_DIR / "LICENSE").read_text()
    assert (ICONS_DIR / "placeholder.svg").is_file()
    sample = (ICONS_DIR / "bold" / "chart-line-up.svg").read_text()
    assert sample.startswith("<svg") and "</svg>" in sample
    assert len(default_icon_index()) == len(names)


@pytest.mark.parametrize(
    ("query", "acceptable"),
    [
        ("growth chart", {"chart-line-up", "trend-up"}),
        ("money", {"money", "currency-dollar", "coins", "money-wavy"}),
        ("team", {"users-three", "users", "users-four"}),
        ("Revenue growth", {"chart-line-up", "trend-up", "currency-dollar"}),
        ("security", {"shield-check", "shield", "lock"}),
        ("new idea", {"lightbulb", "lightbulb-filament"}),
        ("rocket launch", {"rocket-launch", "rocket"}),
        ("solar energy", {"solar-panel", "sun", "lightning"}),
        ("global network", {"globe", "share-network", "network"}),
        ("calendar", {"calendar"}),
        ("goals and targets", {"target"}),
        ("artificial intelligence", {"robot", "brain", "head-circuit"}),
        ("customer support", {"headset", "lifebuoy", "user"}),
    ],
)
def test_finds_sensible_icons(query: str, acceptable: set[str]) -> None:
    index = default_icon_index()
    found = [name_of(url) for url in index.search(query, 5)]
    assert found[0] in acceptable, found
    assert index.find(query) == index.search(query, 1)[0]


def test_results_are_files_and_respect_the_limit() -> None:
    index = default_icon_index()
    urls = index.search("arrow", 20)
    assert len(urls) == 20
    assert len(set(urls)) == 20
    for url in urls:
        assert (ICONS_DIR / "bold" / f"{name_of(url)}.svg").is_file()
    assert len(index.search("arrow", 3)) == 3
    assert index.search("arrow", 3) == urls[:3]


def test_deterministic() -> None:
    fresh = IconIndex.from_file(ICONS_DIR / "index.json", ICONS_DIR / "bold")
    for query in ("growth chart", "money", "team", "data", "coffee", "a b c"):
        first = default_icon_index().search(query, 30)
        assert default_icon_index().search(query, 30) == first
        assert fresh.search(query, 30) == first


def test_ties_break_by_name() -> None:
    index = IconIndex(
        {
            "zebra-box": {"tags": ["thing"], "categories": []},
            "apple-box": {"tags": ["thing"], "categories": []},
            "mango-box": {"tags": ["thing"], "categories": []},
        }
    )
    assert [name_of(url) for url in index.search("thing")] == [
        "apple-box",
        "mango-box",
        "zebra-box",
    ]


def test_never_empty_for_a_non_empty_set() -> None:
    index = default_icon_index()
    for query in ("", "   ", "xyzzyplugh", "the of and", "!!!"):
        assert index.search(query) == ["/static/icons/bold/sparkle.svg"]
        assert index.find(query) == "/static/icons/bold/sparkle.svg"
    small = IconIndex({"only-one": {"tags": [], "categories": []}})
    assert small.search("nothing matches") == ["/static/icons/bold/only-one.svg"]
    empty = IconIndex({})
    assert empty.search("money") == []
    assert empty.find("money") == ICON_PLACEHOLDER


def test_tokenize() -> None:
    assert tokenize("Growing Charts of the Companies!") == ["grow", "chart", "company"]
    assert tokenize("business analysis") == ["business", "analysis"]
    assert tokenize("icon representing money") == ["money"]
