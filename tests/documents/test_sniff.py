"""Content sniffing: the bytes decide; names and declared types are only hints."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from slidestream.documents import DocumentKind, sniff_bytes, sniff_file
from slidestream.errors import InvalidInput
from tests.documents.samples import (
    ELF,
    EXE,
    HTML,
    JUNK,
    MARKDOWN,
    TEXT,
    docx_bytes,
    pdf_bytes,
    pptx_bytes,
    zip_bytes,
)


@pytest.mark.parametrize(
    ("build", "filename", "kind"),
    [
        (pdf_bytes, "report.pdf", DocumentKind.PDF),
        (docx_bytes, "report.docx", DocumentKind.DOCX),
        (pptx_bytes, "deck.pptx", DocumentKind.PPTX),
        (lambda: TEXT.encode(), "notes.txt", DocumentKind.TXT),
        (lambda: MARKDOWN.encode(), "notes.md", DocumentKind.MARKDOWN),
        (lambda: HTML.encode(), "page.html", DocumentKind.HTML),
    ],
)
def test_each_format_is_recognised(build: object, filename: str, kind: DocumentKind) -> None:
    assert callable(build)
    assert sniff_bytes(build(), filename=filename) is kind


@pytest.mark.parametrize(
    ("build", "filename", "kind"),
    [
        # The extension lies; the bytes win.
        (docx_bytes, "report.pdf", DocumentKind.DOCX),
        (pptx_bytes, "deck.docx", DocumentKind.PPTX),
        (pdf_bytes, "report.txt", DocumentKind.PDF),
        (lambda: TEXT.encode(), "notes.pdf", DocumentKind.TXT),
        # A full HTML page is HTML whatever it is called.
        (lambda: HTML.encode(), "page.txt", DocumentKind.HTML),
        # A fragment is HTML only when the name or type says so.
        (lambda: b"<p>Short <b>fragment</b></p>", "frag.htm", DocumentKind.HTML),
        (lambda: b"<p>Short <b>fragment</b></p>", "frag.txt", DocumentKind.TXT),
    ],
)
def test_the_bytes_decide_over_the_name(build: object, filename: str, kind: DocumentKind) -> None:
    assert callable(build)
    assert sniff_bytes(build(), filename=filename) is kind


def test_declared_content_type_is_a_hint_for_text_only() -> None:
    assert sniff_bytes(b"# Title\n", filename="x", content_type="text/markdown") is (
        DocumentKind.MARKDOWN
    )
    assert sniff_bytes(b"<p>x</p>", filename="x", content_type="text/html; charset=utf-8") is (
        DocumentKind.HTML
    )
    # Declaring a PDF does not make text one.
    assert sniff_bytes(b"plain", filename="x.pdf", content_type="application/pdf") is (
        DocumentKind.TXT
    )


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8-sig"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        "Café, naïve, 日本語\n".encode(),
    ],
)
def test_unicode_text_encodings_are_accepted(data: bytes) -> None:
    assert sniff_bytes(data, filename="notes.txt") is DocumentKind.TXT


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "empty.txt", "empty"),
        (EXE, "invoice.pdf", "executable"),
        (ELF, "report.docx", "executable"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt", "executable"),
        (zip_bytes({"readme.txt": b"hello"}), "report.docx", "zip archive"),
        (
            zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"}),
            "sheet.pptx",
            "zip archive",
        ),
        (b"PK\x03\x04 this is not really a zip", "report.docx", "damaged"),
        (JUNK, "notes.txt", "not a supported document"),
        (b"\x89PNG\r\n\x1a\n" + JUNK, "image.pdf", "not a supported document"),
        (TEXT.encode("utf-16-le"), "notes.txt", "not a supported document"),
        ("Café crème\n".encode("latin-1"), "notes.txt", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + JUNK, "old.doc", "legacy Office"),
        (b"{\\rtf1\\ansi Hello}", "letter.txt", "Rich Text"),
    ],
)
def test_refused_files_say_why(data: bytes, filename: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sniff_bytes(data, filename=filename)
    assert reason in caught.value.detail
    assert caught.value.status_code == 400


def test_macro_enabled_word_file_is_refused() -> None:
    # A real docx whose main part is re-declared as macro-enabled (.docm).
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    with pytest.raises(InvalidInput, match="zip archive"):
        sniff_bytes(zip_bytes(members), filename="macro.docm")


def test_sniff_file_reads_large_text_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    # Multi-byte characters straddle the 1 MiB read boundaries.
    path.write_text("é" * 1_500_000, encoding="utf-8")
    assert sniff_file(path) is DocumentKind.TXT
    path.write_bytes(("é" * 1_500_000).encode() + b"\xff")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        sniff_file(path)
