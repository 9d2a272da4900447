"""The gallery: every layout of every template rendered as a PNG, for a person to look at.

    python -m slidestream.render.gallery [OUT]        # default: ./gallery

Writes `OUT/<group>/<layout>.png` (rasterised from the PDF with poppler's `pdftoppm`),
`OUT/<group>.pptx` and `OUT/<group>.pdf`, and `OUT/index.html` showing them all.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from slidestream.render.assets import AssetResolver, package_static_dir
from slidestream.render.geometry import deck_geometry
from slidestream.render.model import DeckGeometry
from slidestream.render.pdf import render_pdf
from slidestream.render.pptx import render_pptx
from slidestream.render.samples import sample_content
from slidestream.templates.registry import get_layout_group, get_theme, list_layout_groups

DPI = 54  # 960 x 540 pixels per slide


def group_deck(group: str) -> tuple[DeckGeometry, list[str]]:
    """The group's sample deck (one slide per layout) and its layout ids, in order."""
    layouts = get_layout_group(group).slides
    slides = [
        (sample_content(layout.kind or ""), layout.id, layout.kind, "Sample speaker note.")
        for layout in layouts
    ]
    return deck_geometry(f"{group} gallery", slides, get_theme(group)), [s.id for s in layouts]


def write_gallery(out: Path) -> list[Path]:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm is needed (Debian: apt-get install poppler-utils)")
    resolver = AssetResolver(package_static_dir(), Path(tempfile.gettempdir()))
    written: list[Path] = []
    sections = []
    for summary in list_layout_groups():
        group = summary.name
        deck, ids = group_deck(group)
        folder = out / group
        folder.mkdir(parents=True, exist_ok=True)
        pdf = out / f"{group}.pdf"
        pdf.write_bytes(render_pdf(deck, resolver))
        (out / f"{group}.pptx").write_bytes(render_pptx(deck, resolver))
        with tempfile.TemporaryDirectory() as scratch:
            prefix = Path(scratch) / "page"
            subprocess.run([pdftoppm, "-r", str(DPI), "-png", str(pdf), str(prefix)], check=True)
            pages = sorted(Path(scratch).glob("page-*.png"))
            for layout_id, page in zip(ids, pages, strict=True):
                target = folder / f"{layout_id.split(':', 1)[-1]}.png"
                shutil.move(page, target)
                written.append(target)
        figures = "".join(
            f'<figure><img src="{group}/{html.escape(i.split(":", 1)[-1])}.png" '
            f'alt="{html.escape(i)}"><figcaption>{html.escape(i)}</figcaption></figure>'
            for i in ids
        )
        sections.append(f"<h2>{html.escape(group)}</h2><div class='grid'>{figures}</div>")
    (out / "index.html").write_text(
        "<!DOCTYPE html><meta charset='utf-8'><title>slidestream templates</title><style>"
        "body{font-family:sans-serif;margin:2rem}.grid{display:grid;gap:1rem;"
        "grid-template-columns:repeat(auto-fill,minmax(320px,1fr))}img{width:100%;"
        "border:1px solid #ccc}figure{margin:0}</style>" + "".join(sections),
        encoding="utf-8",
    )
    return written


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "gallery")
    written = write_gallery(out)
    print(f"Wrote {len(written)} layout images to {out}/ (open {out}/index.html)")


if __name__ == "__main__":
    main()
