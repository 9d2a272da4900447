"""Fitting text into boxes: wrapping, shrinking, truncating, placing lines."""

from __future__ import annotations

import json

import pytest

from slidestream.render.fonts import text_width
from slidestream.render.model import Box, TextStyle
from slidestream.render.text import (
    ELLIPSIS,
    FittedText,
    bullet_indent,
    clean_text,
    fit_text,
    text_element,
    text_tail,
)
from tests.render.geometry_checks import check_text

BOX = Box(x=100, y=50, w=400, h=200)
SENTENCE = "The quick brown fox jumps over the lazy dog while the cat watches."


def style(size: float = 24, **kw: object) -> TextStyle:
    return TextStyle(font="Inter", size=size, color="#000000", **kw)


def _check(fitted: FittedText, role: str = "body") -> None:
    check_text(fitted.element(role))


def _words(fitted: FittedText) -> list[str]:
    return " ".join(line.text for line in fitted.lines).split()


def test_wraps_words_within_the_width() -> None:
    fitted = fit_text([SENTENCE], BOX, style(), min_size=10)
    _check(fitted)
    assert len(fitted.lines) > 1 and not fitted.truncated
    assert fitted.style.size == 24
    assert _words(fitted) == SENTENCE.split()
    # Greedy: the next word would not have fitted on the line.
    first, second = fitted.lines[0].text, fitted.lines[1].text
    extended = f"{first} {second.split()[0]}"
    assert text_width(extended, "Inter", 24) > BOX.w


def test_shrinks_until_it_fits() -> None:
    text = " ".join([SENTENCE] * 4)
    fitted = fit_text([text], BOX, style(30), min_size=10)
    _check(fitted)
    assert 10 <= fitted.style.size < 30 and not fitted.truncated
    assert _words(fitted) == text.split()


def test_truncates_at_the_minimum_size_with_an_ellipsis() -> None:
    text = " ".join([SENTENCE] * 200)
    fitted = fit_text([text], BOX, style(30), min_size=12)
    _check(fitted)
    assert fitted.truncated and fitted.style.size == 12
    assert fitted.lines[-1].text.endswith(ELLIPSIS)
    assert len(fitted.lines) * 12 * 1.2 <= BOX.h


def test_explicit_newlines_and_paragraphs() -> None:
    fitted = fit_text(["one\ntwo\r\nthree", "four"], BOX, style(), min_size=10)
    assert [line.text for line in fitted.lines] == ["one", "two", "three", "four"]
    blank = fit_text(["a\n\nb"], BOX, style(), min_size=10)
    assert [line.text for line in blank.lines] == ["a", "", "b"]


def test_long_words_are_broken() -> None:
    word = "Supercalifragilisticexpialidocious" * 4
    fitted = fit_text([f"{word} end"], Box(x=0, y=0, w=150, h=300), style(20), min_size=20)
    _check(fitted)
    assert "".join(line.text for line in fitted.lines).replace(" ", "") == word + "end"
    assert len(fitted.lines) > 3


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_alignment(align: str) -> None:
    fitted = fit_text(["Short"], BOX, style(align=align), min_size=10)
    line = fitted.lines[0]
    expected = {
        "left": BOX.x,
        "center": BOX.x + (BOX.w - line.width) / 2,
        "right": BOX.x + BOX.w - line.width,
    }[align]
    assert line.x == pytest.approx(expected)


@pytest.mark.parametrize("valign", ["top", "middle", "bottom"])
def test_vertical_alignment(valign: str) -> None:
    fitted = fit_text(["one", "two"], BOX, style(20), valign=valign, min_size=10)  # type: ignore[arg-type]
    pitch = 20 * 1.2
    height = 2 * pitch + text_tail(style(20), 20)  # the last line's descenders count
    top = {
        "top": BOX.y,
        "middle": BOX.y + (BOX.h - height) / 2,
        "bottom": BOX.y + BOX.h - height,
    }
    assert fitted.lines[0].y == pytest.approx(top[valign])
    assert fitted.lines[1].y == pytest.approx(top[valign] + pitch)


def test_bullets_indent_every_line_and_mark_the_first() -> None:
    fitted = fit_text([SENTENCE, "Second point"], BOX, style(), bullets=True, min_size=10)
    _check(fitted)
    indent = bullet_indent(fitted.style.size)
    assert all(line.x == pytest.approx(BOX.x + indent) for line in fitted.lines)
    flags = [line.bullet for line in fitted.lines]
    assert flags.count(True) == 2 and flags[0] and flags[-1]
    # Paragraph gap between bulleted paragraphs.
    gap_line = next(i for i, line in enumerate(fitted.lines) if line.bullet and i)
    pitch = fitted.style.size * 1.2
    assert fitted.lines[gap_line].y - fitted.lines[gap_line - 1].y > pitch


def test_empty_input() -> None:
    for paragraphs in ([], [""], ["   "]):
        fitted = fit_text(paragraphs, BOX, style(), min_size=10)
        assert not fitted.truncated
        assert all(not line.text for line in fitted.lines)


@pytest.mark.parametrize(
    "box", [Box(x=0, y=0, w=5, h=5), Box(x=0, y=0, w=0, h=0), Box(x=0, y=0, w=400, h=8)]
)
def test_tiny_boxes_never_overflow(box: Box) -> None:
    fitted = fit_text([SENTENCE], box, style(), min_size=10)
    _check(fitted)
    if box.h < 10 * 1.2:  # not even one line at the minimum: one line as high as the box
        assert fitted.style.size <= max(box.h / 1.2, 10)
    assert fitted.truncated or _words(fitted) == SENTENCE.split()


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا بالعالم، هذا عرض تقديمي عن نتائج الربع الثالث " * 3,
        "שלום עולם, זו מצגת על תוצאות הרבעון השלישי " * 3,
        "你好\uff0c世界。这是一个关于第三季度业绩的演示文稿\uff0c内容很长。" * 3,
        "Launch 🚀🎉 with 👩‍💻 and 👍🏽 and flags 🇫🇷🇩🇪 " * 4,
        '<script>alert("x")</script> & <b>bold</b> ]]> &amp;',
    ],
)
def test_scripts_and_symbols(text: str) -> None:
    fitted = fit_text([text], Box(x=0, y=0, w=300, h=400), style(22), min_size=10)
    _check(fitted)
    assert not fitted.truncated
    joined = "".join(line.text for line in fitted.lines).replace(" ", "")
    assert joined == text.replace(" ", "")


def test_cjk_breaks_between_characters() -> None:
    fitted = fit_text(["中文" * 40], Box(x=0, y=0, w=200, h=400), style(20), min_size=20)
    assert all(len(line.text) == 10 for line in fitted.lines)  # 200 / 20 = 10 ideographs


def test_clean_text() -> None:
    cleaned = clean_text("a\x00b\x0bc\r\nd\re\ud800f\ttab")
    assert cleaned == "abc\nd\ne\ufffdf\ttab"
    json.dumps(cleaned).encode("utf-8")


def test_text_element_and_determinism() -> None:
    one = text_element("body", [SENTENCE] * 5, BOX, style(), bullets=True, min_size=10)
    two = text_element("body", [SENTENCE] * 5, BOX, style(), bullets=True, min_size=10)
    assert one == two and one.role == "body" and one.bullets
    check_text(one)


def test_huge_input_is_truncated_to_a_valid_fit() -> None:
    # How fast this is, is measured by bench/bench_export.py ("text fitting" table).
    fitted = fit_text(["word " * 200_000, "x" * 200_000] * 3, BOX, style(), min_size=10)
    assert fitted.truncated
    _check(fitted)


def test_unknown_font_is_measured_as_inter() -> None:
    fitted = fit_text([SENTENCE], BOX, style().model_copy(update={"font": "Nope"}), min_size=10)
    assert fitted.style.font == "Inter"
    _check(fitted)
