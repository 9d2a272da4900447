"""Text extraction per format (documents built at test time), and `load_documents`."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from slidestream.documents import (
    DocumentKind,
    UploadStore,
    decompose,
    extract_text,
    load_documents,
)
from slidestream.errors import InvalidInput
from tests.conftest import make_settings
from tests.documents.samples import (
    HTML,
    MARKDOWN,
    TEXT,
    docx_bytes,
    pdf_bytes,
    pptx_bytes,
    zip_bytes,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_docx_keeps_heading_levels_lists_and_tables(tmp_path: Path) -> None:
    document = extract_text(write(tmp_path, "report.docx", docx_bytes()))
    assert document.kind is DocumentKind.DOCX
    assert document.name == "report.docx"
    lines = document.text.splitlines()
    assert "# Solar Report" in lines  # the Title style
    assert "# Introduction" in lines
    assert "## Costs" in lines
    assert "Panels convert sunlight into electricity." in lines
    assert "- Installation\n- Maintenance" in document.text
    assert "| Item | Price |\n| Panel | 300 |" in document.text
    # Document order is kept.
    assert document.text.index("# Introduction") < document.text.index("## Costs")


def test_pptx_slide_titles_become_headings(tmp_path: Path) -> None:
    document = extract_text(write(tmp_path, "deck.pptx", pptx_bytes()))
    assert document.kind is DocumentKind.PPTX
    lines = document.text.splitlines()
    assert lines[0] == "# Wind Power"
    assert "- Turbines spin" in lines
    assert "  - Offshore farms" in lines
    assert "Speaker notes: Mention the North Sea" in lines
    assert "# Costs Fall" in lines
    assert document.text.index("# Wind Power") < document.text.index("# Costs Fall")


def test_pdf_text_keeps_page_breaks(tmp_path: Path) -> None:
    path = write(tmp_path, "paper.pdf", pdf_bytes("First page words", "Second page words"))
    document = extract_text(path)
    assert document.kind is DocumentKind.PDF
    first, second = document.text.split("\f")
    assert "First page words" in first
    assert "Second page words" in second


def test_html_headings_lists_and_no_scripts(tmp_path: Path) -> None:
    document = extract_text(write(tmp_path, "page.html", HTML.encode()))
    assert document.kind is DocumentKind.HTML
    lines = document.text.splitlines()
    assert "# Ocean Currents" in lines
    assert "## Gulf Stream" in lines
    assert "Warm water moves north." in lines
    assert "- Fast" in lines and "- Deep and wide" in lines
    assert "| Gulf | 2 m/s |" in lines
    for hidden in ("stealCookies", "color: red", "hidden comment", "Menu"):
        assert hidden not in document.text


def test_html_without_h1_uses_its_title(tmp_path: Path) -> None:
    page = b"<html><head><title>Just a title</title></head><body><p>Body</p></body></html>"
    document = extract_text(write(tmp_path, "t.html", page))
    assert document.text == "# Just a title\n\nBody"


def test_markdown_and_text_come_back_as_they_are(tmp_path: Path) -> None:
    markdown = extract_text(write(tmp_path, "notes.md", MARKDOWN.encode()))
    assert markdown.kind is DocumentKind.MARKDOWN
    assert markdown.text == MARKDOWN.strip()
    utf16 = codecs.BOM_UTF16_LE + TEXT.replace("\n", "\r\n").encode("utf-16-le")
    text = extract_text(write(tmp_path, "notes.txt", utf16))
    assert text.kind is DocumentKind.TXT
    assert text.text == TEXT.strip()


def test_max_chars_cuts_the_text(tmp_path: Path) -> None:
    document = extract_text(write(tmp_path, "notes.md", MARKDOWN.encode()), max_chars=13)
    assert document.text == "# Field Notes"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("broken.pdf", b"%PDF-1.7\n" + b"garbage " * 200, DocumentKind.PDF),
        (
            "broken.docx",
            zip_bytes({"[Content_Types].xml": b"not xml", "word/document.xml": b"<<<"}),
            DocumentKind.DOCX,
        ),
        ("broken.pptx", zip_bytes({"ppt/presentation.xml": b"<x/>"}), DocumentKind.PPTX),
        ("truncated.docx", docx_bytes()[:300], DocumentKind.DOCX),
    ],
)
def test_a_damaged_file_is_a_plain_400(
    tmp_path: Path, name: str, data: bytes, kind: DocumentKind
) -> None:
    with pytest.raises(InvalidInput) as caught:
        extract_text(write(tmp_path, name, data), kind)
    assert caught.value.status_code == 400
    assert name in caught.value.detail
    assert "damaged" in caught.value.detail


def test_a_document_without_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="No text found"):
        extract_text(write(tmp_path, "blank.pdf", pdf_bytes("   ")))


def test_extract_text_sniffs_when_no_kind_is_given(tmp_path: Path) -> None:
    # Named .txt, really a Word file.
    document = extract_text(write(tmp_path, "looks-like.txt", docx_bytes()))
    assert document.kind is DocumentKind.DOCX
    assert "## Costs" in document.text


async def test_load_documents_checks_paths_and_caps_text(tmp_path: Path) -> None:
    store = UploadStore(make_settings(tmp_path / "data", None, max_document_chars=20))
    paths = [
        store.save("report.docx", docx_bytes()),
        store.save("notes.md", MARKDOWN.encode()),
    ]
    documents = await load_documents(paths, store)
    assert [d.name for d in documents] == ["report.docx", "notes.md"]
    assert [d.kind for d in documents] == [DocumentKind.DOCX, DocumentKind.MARKDOWN]
    assert documents[0].text == "# Solar Report\n\n# In"
    assert all(len(d.text) <= 20 for d in documents)
    with pytest.raises(InvalidInput):
        await load_documents([*paths, "/etc/passwd"], store)


async def test_decompose_writes_text_next_to_the_upload(tmp_path: Path) -> None:
    store = UploadStore(make_settings(tmp_path / "data", None))
    pdf = store.save("paper.pdf", pdf_bytes("Alpha page", "Beta page"))
    txt = store.save("notes.txt", TEXT.encode())
    results = await decompose([pdf, txt], store)
    assert results[1].file_path == txt and results[1].name == "notes.txt"
    derived = Path(results[0].file_path)
    assert results[0].name == "paper.pdf.txt"
    assert derived.parent == Path(pdf).parent
    text = read_text(derived)
    assert "Alpha page" in text and "\f" in text
    # The derived file is accepted from then on, and decomposes to itself.
    assert store.resolve(str(derived)) == derived
    again = await decompose([str(derived)], store)
    assert again[0].file_path == str(derived)
    (loaded,) = await load_documents([str(derived)], store)
    assert loaded.name == "paper.pdf" and loaded.kind is DocumentKind.TXT
    assert "Beta page" in loaded.text
