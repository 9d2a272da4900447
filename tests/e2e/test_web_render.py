"""The browser's slide renderer (web/app/render.js) against the server's HTML preview
(render/html.py): one slide of every layout kind, drawn both ways at full size in the
same Chromium, must give the same pixels."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser

from slidestream.render.samples import sample_content
from slidestream.templates.registry import get_layout_group
from tests.e2e.test_web_support import finished_deck
from tests.support.flows import API
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
# Antialiasing of a few edge pixels may differ between an element drawn in place and one
# drawn inside a transformed frame; anything more is a real difference.
MAX_DIFFERENT_PIXELS = 0.002

DRAW_WITH_THE_APP = """async ([pid, index]) => {
  const { loadFonts } = await import("/web/app/fonts.js");
  const { renderSlide } = await import("/web/app/render.js");
  await loadFonts();
  const geometry = await (await fetch(`/api/web/presentations/${pid}/geometry/${index}`)).json();
  const holder = document.createElement("div");
  holder.id = "under-test";
  Object.assign(holder.style, { position: "fixed", left: "0px", top: "0px", zIndex: "1000" });
  holder.append(renderSlide(geometry));
  document.getElementById("under-test")?.remove();
  document.body.append(holder);
  await document.fonts.ready;
}"""


def every_kind_deck(server: ThreadedServer, group: str) -> tuple[str, int]:
    """A deck whose slides are the sample content of each of the group's layouts."""
    pid = finished_deck(server.url, 1)
    layouts = get_layout_group(group).slides
    slides: list[dict[str, Any]] = [
        {
            "index": i,
            "layout_group": group,
            "layout": layout.id,
            "content": sample_content(layout.kind or ""),
            "speaker_note": "",
        }
        for i, layout in enumerate(layouts)
    ]
    update = {"id": pid, "slides": slides}
    response = httpx.patch(f"{server.url}{API}/presentation/update", json=update)
    assert response.status_code == 200, response.text
    return pid, len(slides)


def png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.mark.parametrize("group", ["general", "modern"])
def test_the_app_draws_every_layout_as_the_server_preview_does(
    browser: Browser, server: ThreadedServer, group: str
) -> None:
    pid, count = every_kind_deck(server, group)
    # 1280 px frames in the preview (24 px padding each side), no scrollbar in the way.
    context = browser.new_context(viewport={"width": 1328, "height": 800})
    try:
        preview = context.new_page()
        preview.goto(f"{server.url}{API}/presentation/preview/{pid}")
        preview.evaluate("() => document.fonts.ready.then(() => true)")
        app = context.new_page()
        app.goto(server.url + "/#/library")
        app.locator(".view-library").wait_for()
        different = {}
        for index in range(count):
            frame = preview.locator(".ss-frame").nth(index)
            frame.scroll_into_view_if_needed()
            preview.wait_for_function(
                "i => [...document.querySelectorAll('.ss-frame')[i].querySelectorAll('img')]"
                ".every(img => img.complete)",
                arg=index,
            )
            expected = png(frame.screenshot())
            app.evaluate(DRAW_WITH_THE_APP, [pid, index])
            app.wait_for_function(
                "() => [...document.querySelectorAll('#under-test img')].every(i => i.complete)"
            )
            drawn = png(app.locator("#under-test .ss-slide").screenshot())
            assert drawn.size == expected.size == (1280, 720)
            colors = expected.getcolors(maxcolors=1 << 20) or []
            assert len(colors) > 2, f"slide {index} of the preview is blank"
            diff = ImageChops.difference(drawn, expected).convert("L")
            share = diff.point(lambda v: 255 if v > 48 else 0).histogram()[255] / (1280 * 720)
            if share > MAX_DIFFERENT_PIXELS:
                different[index] = round(share, 4)
        assert different == {}
    finally:
        context.close()
