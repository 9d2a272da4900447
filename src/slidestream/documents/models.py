"""What the documents package hands out: the sniffed kind of a file and its extracted text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    """A document format slidestream reads, decided from the file's bytes."""

    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"
    TXT = "txt"
    MARKDOWN = "markdown"
    HTML = "html"


@dataclass(frozen=True)
class Document:
    """One document's text, ready for a prompt.

    `name` is the file name the user uploaded; `text` is plain text with the format's
    headings kept as markdown `#` lines (PDF pages are separated by a form feed line).
    """

    name: str
    kind: DocumentKind
    text: str
