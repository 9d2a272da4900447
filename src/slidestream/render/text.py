"""Fitting text into a box with the bundled fonts' real metrics.

`fit_text` word-wraps paragraphs into lines, shrinks the font size step by step until the
lines fit the box's height, and when even the smallest size is too large cuts the last
visible line with an ellipsis. Every line it returns fits the box: its width (measured with
`render.fonts.text_width`) fits the width left after the bullet indent, and the line boxes
(count x pitch, plus paragraph gaps) fit the height.

Bulleted paragraphs: the bullet glyph (`BULLET`) is drawn at the box's left edge on the
paragraph's first line; every line of the paragraph starts at `box.x + bullet_indent(size)`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from slidestream.render.fonts import font_metrics, measurer, resolve_family, text_width
from slidestream.render.model import Box, TextElement, TextLine, TextStyle

BULLET = "\u2022"
ELLIPSIS = "\u2026"
BULLET_INDENT_EM = 1.1
BULLET_PARAGRAPH_GAP_EM = 0.45
_EPS = 1e-6

VAlign = Literal["top", "middle", "bottom"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


# Invisible format characters that shape text (joiners for Arabic and emoji, direction
# marks and isolates) are kept; the others (soft hyphen, word joiner, zero-width space,
# invisible operators, BOM, ...) are measured as nothing but some fonts draw them.
_KEPT_FORMAT = frozenset(
    "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u061c"
) | frozenset("\u2066\u2067\u2068\u2069")


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" and char not in _KEPT_FORMAT


def clean_text(value: str) -> str:
    """Text safe for every renderer: newlines unified, controls, stray format characters
    and lone surrogates gone."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = _CONTROL.sub("", text)
    if any(_invisible(c) for c in text):
        text = "".join(c for c in text if not _invisible(c))
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def bullet_indent(size: float) -> float:
    """How far right of the box's left edge the text of a bulleted paragraph starts."""
    return BULLET_INDENT_EM * size


def _is_cjk(char: str) -> bool:
    cp = ord(char)
    return (
        0x2E80 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
    )


def iter_graphemes(text: str) -> Iterator[str]:
    """Approximate grapheme clusters: a base character with its marks, joiners and modifiers."""
    cluster = ""
    join_next = False
    for char in text:
        cp = ord(char)
        attach = cluster and (
            join_next
            or unicodedata.category(char) in ("Mn", "Me", "Mc")
            or cp == 0x200D
            or 0xFE00 <= cp <= 0xFE0F
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
        )
        if attach:
            cluster += char
        else:
            if cluster:
                yield cluster
            cluster = char
        join_next = cp == 0x200D
    if cluster:
        yield cluster


def graphemes(text: str) -> list[str]:
    return list(iter_graphemes(text))


@dataclass
class _Token:
    text: str
    em: float
    space_before: bool


def _tokens(line: str, em_of: dict[str, float], measure: _Em) -> list[_Token]:
    """Words of one hard line; CJK ideographs are separate tokens joined without a space."""
    tokens: list[_Token] = []
    for word in _SPACES.split(line.strip()):
        if not word:
            continue
        parts = [word]
        if any(_is_cjk(c) for c in word):
            parts = []
            for cluster in graphemes(word):
                if parts and not _is_cjk(cluster[0]) and not _is_cjk(parts[-1][-1]):
                    parts[-1] += cluster
                else:
                    parts.append(cluster)
        for i, part in enumerate(parts):
            em = em_of.get(part)
            if em is None:
                em = em_of[part] = measure(part)
            tokens.append(_Token(part, em, i == 0))
    return tokens


class _Em:
    def __init__(self, font: str, bold: bool, italic: bool) -> None:
        self._m = measurer(font, bold, italic)

    def __call__(self, text: str) -> float:
        return self._m.text_em(text)


@dataclass
class _Line:
    text: str
    paragraph: int
    first: bool


def _wrap_hard_line(
    tokens: list[_Token], avail_em: float, space_em: float, measure: _Em, max_lines: int
) -> tuple[list[str], bool]:
    """Greedy word wrap of one hard line (in em units); overlong words break by grapheme.

    Returns the lines and whether the whole hard line was placed (False when a single
    grapheme is wider than the box, or after `max_lines` lines).
    """
    lines: list[str] = []
    current: list[_Token] = []
    width = 0.0
    pending: _Token | None = None
    index = 0
    while pending is not None or index < len(tokens):
        if len(lines) >= max_lines:
            return lines, False
        if pending is not None:
            tok, pending = pending, None
        else:
            tok = tokens[index]
            index += 1
        add = (space_em if current and tok.space_before else 0.0) + tok.em
        if width + add <= avail_em + _EPS:
            current.append(tok)
            width += add
            continue
        if current:
            lines.append(_join(current))
            current, width = [], 0.0
            pending = tok
            continue
        # The token alone is too wide: break it between graphemes, in one pass.
        piece, used = "", 0.0
        for cluster in iter_graphemes(tok.text):
            em = measure(cluster)
            if used + em > avail_em + _EPS:
                if not piece:
                    return lines, False
                lines.append(piece)
                if len(lines) >= max_lines:
                    return lines, False
                piece, used = "", 0.0
                if em > avail_em + _EPS:
                    return lines, False
            piece += cluster
            used += em
        current, width = [_Token(piece, used, False)], used
    if current:
        lines.append(_join(current))
    return lines, True


def _join(tokens: list[_Token]) -> str:
    out = ""
    for i, tok in enumerate(tokens):
        out += (" " if i and tok.space_before else "") + tok.text
    return out


@dataclass(frozen=True)
class FittedText:
    """Text fitted into a box: what a `TextElement` needs besides its role."""

    paragraphs: list[str]
    box: Box
    style: TextStyle
    bullets: bool
    valign: VAlign
    lines: list[TextLine]
    truncated: bool
    height: float

    def element(self, role: str) -> TextElement:
        return TextElement(
            x=self.box.x,
            y=self.box.y,
            w=self.box.w,
            h=self.box.h,
            role=role,
            paragraphs=self.paragraphs,
            bullets=self.bullets,
            style=self.style,
            valign=self.valign,
            lines=self.lines,
            truncated=self.truncated,
        )


def _sizes(start: float, minimum: float) -> Iterator[float]:
    size = start
    while True:
        yield size
        if size <= minimum:
            return
        step = max(0.5, size * 0.06)
        size = max(minimum, round((size - step) * 2) / 2)


class _Paragraphs:
    """The paragraphs' tokens (one list per hard line), computed on first use."""

    def __init__(self, paragraphs: list[str], measure: _Em) -> None:
        self._paragraphs = paragraphs
        self._measure = measure
        self._em: dict[str, float] = {}
        self._tokens: dict[int, list[list[_Token]]] = {}

    def __len__(self) -> int:
        return len(self._paragraphs)

    def hard_lines(self, index: int) -> list[list[_Token]]:
        found = self._tokens.get(index)
        if found is None:
            text = self._paragraphs[index]
            found = [_tokens(hard, self._em, self._measure) for hard in text.split("\n")]
            self._tokens[index] = found
        return found


def _layout(
    paragraphs: _Paragraphs,
    box: Box,
    size: float,
    style: TextStyle,
    bullets: bool,
    gap_em: float,
    measure: _Em,
) -> tuple[list[_Line], bool]:
    """Wrap at one size; stop as soon as the box's height is exceeded (-> overflow True)."""
    pitch = size * style.line_height
    tail = text_tail(style, size)
    gap = gap_em * size
    indent = bullet_indent(size) if bullets else 0.0
    avail_em = max(0.0, box.w - indent) / size
    space_em = measure(" ")
    lines: list[_Line] = []
    height = 0.0
    for p in range(len(paragraphs)):
        first = True
        for tokens in paragraphs.hard_lines(p):
            room = int(max(0.0, box.h - height) / pitch) + 1
            wrapped, complete = _wrap_hard_line(tokens, avail_em, space_em, measure, room)
            for text in wrapped or ([""] if complete else []):
                extra = pitch + (gap if first and lines else 0.0)
                if height + extra + tail > box.h + _EPS:
                    return lines, True
                height += extra
                lines.append(_Line(text, p, first))
                first = False
            if not complete:
                return lines, True
    return lines, False


def _truncate(text: str, avail: float, style: TextStyle, size: float) -> str:
    """`text` shortened (by words, then graphemes) so that it plus an ellipsis fits `avail`."""
    font, bold, italic = style.font, style.bold, style.italic
    candidate = text.rstrip()
    while candidate:
        if text_width(candidate + ELLIPSIS, font, size, bold, italic) <= avail + _EPS:
            return candidate + ELLIPSIS
        cut = candidate.rsplit(" ", 1)[0] if " " in candidate else ""
        if not cut or text_width(cut + ELLIPSIS, font, size, bold, italic) > avail + _EPS:
            clusters = graphemes(candidate)
            cut = "".join(clusters[:-1])
        candidate = cut.rstrip()
    return ELLIPSIS if text_width(ELLIPSIS, font, size, bold, italic) <= avail + _EPS else ""


def fit_text(
    paragraphs: Sequence[str],
    box: Box,
    style: TextStyle,
    *,
    bullets: bool = False,
    valign: VAlign = "top",
    min_size: float,
    paragraph_gap: float | None = None,
) -> FittedText:
    """Fit paragraphs into `box`, shrinking from `style.size` down to `min_size`.

    `paragraph_gap` is the extra space between paragraphs in em (default: 0.45 em between
    bulleted paragraphs, none otherwise). Explicit newlines inside a paragraph are kept.
    """
    paras = [clean_text(p) for p in paragraphs if isinstance(p, str)]
    style = style.model_copy(update={"font": resolve_family(style.font)})
    if paragraph_gap is None:
        paragraph_gap = BULLET_PARAGRAPH_GAP_EM if bullets else 0.0
    gap_em = max(0.0, paragraph_gap)
    box = Box(x=box.x, y=box.y, w=max(0.0, box.w), h=max(0.0, box.h))
    measure = _Em(style.font, style.bold, style.italic)
    tokens = _Paragraphs(paras, measure)
    has_text = any(p.strip() for p in paras)
    minimum = max(0.5, min(min_size, style.size))
    lines: list[_Line] = []
    overflow = False
    size = style.size
    for size in _sizes(style.size, minimum):
        lines, overflow = _layout(tokens, box, size, style, bullets, gap_em, measure)
        if not overflow:
            break
    tiny = 0.5 <= box.h / style.line_height < minimum
    if overflow and not lines and has_text and tiny:
        # Not even one line fits at the minimum size: use the size whose line fills the box.
        size = box.h / style.line_height
        lines, overflow = _layout(tokens, box, size, style, bullets, gap_em, measure)
    truncated = overflow and has_text
    fitted_style = style.model_copy(update={"size": size})
    indent = bullet_indent(size) if bullets else 0.0
    avail = max(0.0, box.w - indent)
    if truncated and lines:
        last = lines[-1]
        cut = _truncate(last.text, avail, fitted_style, size)
        lines[-1] = _Line(cut, last.paragraph, last.first)
    return _place(paras, box, fitted_style, bullets, valign, gap_em, lines, truncated)


def text_tail(style: TextStyle, size: float) -> float:
    """How far the last line's glyphs reach below its line box: a pitch tighter than the
    font's ascent + descent (large titles) would let descenders out of the text box."""
    metrics = font_metrics(style.font, style.bold, style.italic)
    return max(0.0, (metrics.ascent_em + metrics.descent_em - style.line_height) * size)


def _place(
    paras: list[str],
    box: Box,
    style: TextStyle,
    bullets: bool,
    valign: VAlign,
    gap_em: float,
    lines: list[_Line],
    truncated: bool,
) -> FittedText:
    size = style.size
    pitch = size * style.line_height
    gap = gap_em * size
    height = sum(pitch + (gap if line.first and i else 0.0) for i, line in enumerate(lines))
    if lines:
        height += text_tail(style, size)
    if valign == "middle":
        y = box.y + (box.h - height) / 2
    elif valign == "bottom":
        y = box.y + box.h - height
    else:
        y = box.y
    y = max(box.y, y)
    placed: list[TextLine] = []
    for i, line in enumerate(lines):
        if line.first and i:
            y += gap
        bulleted = bullets and bool(paras[line.paragraph].strip())
        left = box.x + (bullet_indent(size) if bulleted else 0.0)
        avail = box.x + box.w - left
        width = text_width(line.text, style.font, size, style.bold, style.italic)
        if style.align == "center":
            x = left + (avail - width) / 2
        elif style.align == "right":
            x = left + avail - width
        else:
            x = left
        placed.append(
            TextLine(
                text=line.text, x=max(left, x), y=y, width=width, bullet=bulleted and line.first
            )
        )
        y += pitch
    return FittedText(
        paragraphs=paras,
        box=box,
        style=style,
        bullets=bullets,
        valign=valign,
        lines=placed,
        truncated=truncated,
        height=height,
    )


def text_element(
    role: str,
    paragraphs: Sequence[str],
    box: Box,
    style: TextStyle,
    *,
    bullets: bool = False,
    valign: VAlign = "top",
    min_size: float,
    paragraph_gap: float | None = None,
) -> TextElement:
    """`fit_text` straight into a `TextElement`."""
    return fit_text(
        paragraphs,
        box,
        style,
        bullets=bullets,
        valign=valign,
        min_size=min_size,
        paragraph_gap=paragraph_gap,
    ).element(role)
