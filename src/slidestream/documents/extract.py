"""Plain text (with markdown `#` headings where the format has them) from each format.

`extract_text` blocks (parsing a large PDF takes a while): async code calls it through
`asyncio.to_thread`. A damaged file is an `InvalidInput` (400) in plain words, never a 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from slidestream.documents.models import Document, DocumentKind
from slidestream.documents.sniff import decode_text, sniff_file
from slidestream.errors import InvalidInput, SlidestreamError

log = logging.getLogger(__name__)

PAGE_BREAK = "\f"
# How a block joins the one before it (see `_join_blocks`).
_PARAGRAPH, _LIST, _TABLE = "paragraph", "list", "table"
_KIND_LABELS = {
    DocumentKind.PDF: "PDF",
    DocumentKind.DOCX: "Word",
    DocumentKind.PPTX: "PowerPoint",
    DocumentKind.TXT: "text",
    DocumentKind.MARKDOWN: "Markdown",
    DocumentKind.HTML: "HTML",
}


def extract_text(
    path: Path,
    kind: DocumentKind | None = None,
    *,
    name: str | None = None,
    max_chars: int | None = None,
) -> Document:
    """The text of the document at `path` (blocking).

    `kind` defaults to sniffing the file; `name` (default: the file name) is what error
    messages and the result call it; `max_chars` stops reading once that much text is in
    hand and cuts the result to it.
    """
    name = name if name is not None else path.name
    if kind is None:
        kind = sniff_file(path, filename=name)
    try:
        raw = _EXTRACTORS[kind](path, max_chars)
    except SlidestreamError:
        raise
    except Exception as error:  # parsers raise anything at all on damaged input
        log.info("document.unreadable name=%r kind=%s error=%r", name, kind, error)
        raise InvalidInput(
            f"Could not read {name[:120]!r}: the {_KIND_LABELS[kind]} file is damaged "
            "or not what its content claims to be"
        ) from None
    text = tidy(raw)
    if not text:
        raise InvalidInput(
            f"No text found in {name[:120]!r} (scanned or image-only documents are not supported)"
        )
    if max_chars is not None:
        text = text[:max_chars]
    return Document(name=name, kind=kind, text=text)


def tidy(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" \t\u00a0") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- text formats ---------------------------------------------------------------------


def _plain(path: Path, _max_chars: int | None) -> str:
    return decode_text(path.read_bytes())


# --- PDF --------------------------------------------------------------------------------


def _pdf(path: Path, max_chars: int | None) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            raise InvalidInput(f"{path.name[:120]!r} is password-protected; upload it unlocked")
    pages: list[str] = []
    total = 0
    for page in reader.pages:
        text = (page.extract_text() or "").strip()
        pages.append(text)
        total += len(text)
        if max_chars is not None and total >= max_chars:
            break
    return f"\n{PAGE_BREAK}\n".join(pages)


# --- Word -------------------------------------------------------------------------------


def _docx(path: Path, max_chars: int | None) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    # `paragraph.style` searches every style per call (quadratic on long documents): map
    # style ids to names once and read each paragraph's id directly.
    style_names = {style.style_id: style.name or "" for style in document.styles}
    blocks: list[tuple[str, str]] = []
    total = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            blocks.append(_docx_paragraph(block, style_names))
        elif isinstance(block, Table):
            blocks.extend((row, _TABLE) for row in _table_rows(_docx_cells(block)))
        total += len(blocks[-1][0]) if blocks else 0
        if max_chars is not None and total >= max_chars:
            break  # the rest would be cut off anyway: do not parse it
    return _join_blocks(blocks)


def _docx_paragraph(paragraph: Any, style_names: dict[str, str]) -> tuple[str, str]:
    text = _one_line(paragraph.text)
    if not text:
        return "", _PARAGRAPH
    style_id = paragraph._p.style  # the pStyle id, None for the default style
    style = style_names.get(style_id, "") if style_id else ""
    heading = re.fullmatch(r"[Hh]eading (\d)", style or "")
    if heading:
        return "#" * min(int(heading.group(1)), 6) + " " + text, _PARAGRAPH
    if style == "Title":
        return "# " + text, _PARAGRAPH
    if (style or "").startswith("List"):
        return "- " + text, _LIST
    return text, _PARAGRAPH


def _docx_cells(table: Any) -> Iterator[list[str]]:
    for row in table.rows:
        yield [_one_line(cell.text) for cell in row.cells]


# --- PowerPoint -------------------------------------------------------------------------


def _pptx(path: Path, max_chars: int | None) -> str:
    from pptx import Presentation

    presentation = Presentation(str(path))
    blocks: list[tuple[str, str]] = []
    for number, slide in enumerate(presentation.slides, start=1):
        if max_chars is not None and sum(len(text) for text, _ in blocks) >= max_chars:
            break  # the rest would be cut off anyway: do not parse it
        title_shape = slide.shapes.title
        title = ""
        if title_shape is not None and title_shape.has_text_frame:
            title = _one_line(title_shape.text_frame.text)
        blocks.append(("# " + (title or f"Slide {number}"), _PARAGRAPH))
        title_id = title_shape.shape_id if title_shape is not None else None
        shapes = [s for s in slide.shapes if s.shape_id != title_id]
        for shape in _reading_order(shapes):
            blocks.extend(_pptx_shape(shape))
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            notes = _one_line(frame.text) if frame is not None else ""
            if notes:
                blocks.append(("Speaker notes: " + notes, _PARAGRAPH))
    return _join_blocks(blocks)


def _reading_order(shapes: Iterable[Any]) -> list[Any]:
    return sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))


def _pptx_shape(shape: Any) -> Iterator[tuple[str, str]]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for inner in _reading_order(shape.shapes):
            yield from _pptx_shape(inner)
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = ([_one_line(cell.text) for cell in row.cells] for row in shape.table.rows)
        yield from ((row, _TABLE) for row in _table_rows(rows))
        return
    if not shape.has_text_frame:
        return
    paragraphs = [(p.level, _one_line(p.text)) for p in shape.text_frame.paragraphs]
    paragraphs = [(level, text) for level, text in paragraphs if text]
    if len(paragraphs) == 1 and paragraphs[0][0] == 0:
        yield paragraphs[0][1], _PARAGRAPH
        return
    for level, text in paragraphs:
        yield "  " * level + "- " + text, _LIST


# --- HTML -------------------------------------------------------------------------------

_SKIPPED_TAGS = {
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object",
    "embed", "canvas", "head", "nav", "button", "select", "input", "textarea",
}  # fmt: skip
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "header", "hgroup", "hr", "html", "main", "nav", "ol", "p", "section", "summary",
    "table", "tbody", "thead", "tfoot", "ul",
}  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def _html(path: Path, _max_chars: int | None) -> str:
    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    title = _one_line(soup.title.get_text(" ")) if soup.title is not None else ""
    writer = _HtmlWriter()
    writer.walk(soup)
    writer.flush()
    blocks = writer.blocks
    if title and not any(text.startswith("# ") for text, _ in blocks):
        blocks.insert(0, ("# " + title, _PARAGRAPH))
    return _join_blocks(blocks)


class _HtmlWriter:
    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self.prefix = ""
        self.list_depth = 0

    def flush(self) -> None:
        text = _one_line("".join(self.inline))
        self.inline.clear()
        if text:
            self.blocks.append((self.prefix + text, _LIST if self.prefix else _PARAGRAPH))
        self.prefix = ""

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, ...
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def element(self, tag: Tag) -> None:
        name = (tag.name or "").lower()
        if name in _SKIPPED_TAGS:
            return
        if name in _HEADINGS:
            self.flush()
            text = _one_line(tag.get_text(" "))
            if text:
                self.blocks.append(("#" * _HEADINGS[name] + " " + text, _PARAGRAPH))
        elif name == "br":
            self.inline.append(" ")
        elif name == "li":
            self.flush()
            self.prefix = "  " * max(self.list_depth - 1, 0) + "- "
            self.walk(tag)
            self.flush()
        elif name in ("ul", "ol"):
            self.flush()
            self.list_depth += 1
            self.walk(tag)
            self.flush()
            self.list_depth -= 1
        elif name == "tr":
            self.flush()
            cells = [
                _one_line(c.get_text(" ")) for c in tag.find_all(["td", "th"], recursive=False)
            ]
            self.blocks.extend((row, _TABLE) for row in _table_rows([cells]))
        elif name == "pre":
            self.flush()
            text = tag.get_text().strip("\n")
            if text.strip():
                self.blocks.append((text, _PARAGRAPH))
        elif name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)


# --- shared -----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _table_rows(rows: Iterable[list[str]]) -> Iterator[str]:
    for cells in rows:
        if any(cells):
            yield "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"


def _join_blocks(blocks: Iterable[tuple[str, str]]) -> str:
    """Blocks separated by a blank line; consecutive list items, or table rows, by a newline."""
    out: list[str] = []
    previous = _PARAGRAPH
    for text, group in blocks:
        if not text:
            continue
        if out:
            out.append("\n" if group != _PARAGRAPH and group == previous else "\n\n")
        out.append(text)
        previous = group
    return "".join(out)


_EXTRACTORS: dict[DocumentKind, Callable[[Path, int | None], str]] = {
    DocumentKind.PDF: _pdf,
    DocumentKind.DOCX: _docx,
    DocumentKind.PPTX: _pptx,
    DocumentKind.TXT: _plain,
    DocumentKind.MARKDOWN: _plain,
    DocumentKind.HTML: _html,
}
