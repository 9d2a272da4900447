"""What the web app asks the server for beyond Presenton's routes (`/api/web/...`), and
the page at `/`. The geometry the browser draws must be the geometry the exports draw."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from slidestream.render import fonts
from slidestream.render.html import font_face_css, render_deck_html
from slidestream.render.model import DeckGeometry, SlideGeometry
from slidestream.templates.registry import list_layout_groups
from tests.e2e.test_web_support import finished_deck, prepared_deck
from tests.support.flows import API
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser
WEB = "/api/web"


@pytest.fixture
def http(server: ThreadedServer) -> Iterator[httpx.Client]:
    # Sync on purpose: async tests cannot run once the session's sync Playwright is up.
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_the_page_is_the_app_shell_under_a_strict_policy(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/web/app/main.js"></script>' in page.text
    assert http.head("/").status_code == 200
    module = http.get("/web/app/main.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    assert (http.get("/web/slidestream.js")).status_code == 200


def test_font_faces_and_metrics_are_the_geometrys(http: httpx.Client) -> None:
    css = http.get(f"{WEB}/fonts.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.text.strip() == font_face_css(fonts.FONT_FAMILIES).strip()
    assert "ascent-override" in css.text and "/static/fonts/Inter/" in css.text
    table = (http.get(f"{WEB}/fonts")).json()
    assert table["default"] == fonts.DEFAULT_FAMILY
    assert list(table["families"]) == list(fonts.FONT_FAMILIES)
    bold = fonts.font_metrics("Montserrat", bold=True)
    montserrat = table["families"]["Montserrat"]
    assert montserrat["styles"]["bold"] == {"ascent": bold.ascent_em, "descent": bold.descent_em}
    assert montserrat["stack"].startswith("'Montserrat','Noto Sans'")
    # Every font file the rules name is served.
    first = css.text.split("url('")[1].split("'")[0]
    assert (http.get(first)).status_code == 200


def test_templates_come_with_sample_slides(http: httpx.Client) -> None:
    templates = (http.get(f"{WEB}/templates")).json()
    assert [t["name"] for t in templates] == [g.name for g in list_layout_groups()]
    for template in templates:
        kinds = [SlideGeometry.model_validate(s).kind for s in template["samples"]]
        assert kinds == ["title", "bullets", "chart"]
        assert template["colors"] and template["fonts"]


def test_deck_geometry_is_what_the_exports_draw(http: httpx.Client) -> None:
    pid = finished_deck(str(http.base_url), 3)
    response = http.get(f"{WEB}/presentations/{pid}/geometry")
    assert response.status_code == 200
    deck = DeckGeometry.model_validate(response.json())
    assert len(deck.slides) == 3
    preview = http.get(f"{API}/presentation/preview/{pid}")
    assert render_deck_html(deck) == preview.text
    for index in range(3):
        one = http.get(f"{WEB}/presentations/{pid}/geometry/{index}")
        assert one.status_code == 200
        assert SlideGeometry.model_validate(one.json()) == deck.slides[index]


def test_geometry_of_what_does_not_exist_is_a_json_404(http: httpx.Client) -> None:
    pid = prepared_deck(str(http.base_url), 2)
    missing_slide = http.get(f"{WEB}/presentations/{pid}/geometry/0")
    assert missing_slide.status_code == 404
    assert missing_slide.json() == {"detail": "Slide not found"}
    empty = http.get(f"{WEB}/presentations/{pid}/geometry")
    assert empty.status_code == 200 and empty.json()["slides"] == []
    unknown = "00000000-0000-4000-8000-000000000000"
    gone = http.get(f"{WEB}/presentations/{unknown}/geometry")
    assert gone.status_code == 404 and gone.json() == {"detail": "Presentation not found"}
    assert (http.get(f"{WEB}/presentations/{unknown}/geometry/0")).status_code == 404
    assert (http.get(f"{WEB}/presentations/not-an-id/geometry")).status_code == 422
    assert (http.get(f"{WEB}/presentations/{pid}/geometry/x")).status_code == 422


def test_the_library_lists_every_deck_with_its_first_slide(
    http: httpx.Client, server: ThreadedServer
) -> None:
    finished = finished_deck(server.url, 2)
    created = http.post(
        f"{API}/presentation/create",
        json={"content": "Rain gardens", "n_slides": 4, "language": "English"},
    )
    assert created.status_code == 200
    outline_only = created.json()["id"]
    library = http.get(f"{WEB}/presentations")
    assert library.status_code == 200
    decks = {deck["id"]: deck for deck in library.json()}
    assert [deck["id"] for deck in library.json()] == [outline_only, finished]
    assert [slide["index"] for slide in decks[finished]["slides"]] == [0]
    assert decks[outline_only]["slides"] == []
    assert decks[outline_only]["generation"]["deck_status"] == "none"
    # Presenton's listing keeps its meaning: decks with a first slide only.
    assert [deck["id"] for deck in http.get(f"{API}/presentation/all").json()] == [finished]
