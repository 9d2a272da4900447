"""Sample documents built at test time with the real libraries (nothing checked in)."""

from __future__ import annotations

import io
import zipfile

import docx
from fpdf import FPDF
from pptx import Presentation

HTML = (
    "<!DOCTYPE html><html><head><title>Page title</title>"
    "<script>stealCookies()</script><style>p { color: red }</style></head>"
    "<body><nav>Menu</nav><h1>Ocean Currents</h1><p>Warm water moves <b>north</b>.</p>"
    "<h2>Gulf Stream</h2><ul><li>Fast</li><li>Deep <i>and</i> wide</li></ul>"
    "<table><tr><th>Name</th><th>Speed</th></tr><tr><td>Gulf</td><td>2 m/s</td></tr></table>"
    "<!-- hidden comment --></body></html>"
)
MARKDOWN = "# Field Notes\n\nBirds seen at dawn.\n\n## Species\n\n- Robin\n- Wren\n"
TEXT = "Meeting notes\n\nBudget approved for the solar roof.\n"


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("Solar Report", level=0)
    document.add_heading("Introduction", level=1)
    document.add_paragraph("Panels convert sunlight into electricity.")
    document.add_heading("Costs", level=2)
    document.add_paragraph("Installation", style="List Bullet")
    document.add_paragraph("Maintenance", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Price"
    table.cell(1, 0).text = "Panel"
    table.cell(1, 1).text = "300"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx_bytes() -> bytes:
    presentation = Presentation()
    first = presentation.slides.add_slide(presentation.slide_layouts[1])
    assert first.shapes.title is not None
    first.shapes.title.text = "Wind Power"
    body = first.placeholders[1].text_frame
    body.text = "Turbines spin"
    point = body.add_paragraph()
    point.text = "Offshore farms"
    point.level = 1
    first.notes_slide.notes_text_frame.text = "Mention the North Sea"
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    assert second.shapes.title is not None
    second.shapes.title.text = "Costs Fall"
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def pdf_bytes(*pages: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages or ("Hello from a PDF",):
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
JUNK = bytes((i * 37 + 11) % 256 for i in range(4096))
