"""Export over the API: PPTX and PDF files per deck, downloads, the HTML preview, and
content the layouts never promised to hold (long, hostile, any script, broken images)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from pptx import Presentation
from pypdf import PdfReader

from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, get_presentation, marker, prepared
from tests.support.sse import read_all
from tests.support.waiting import wait_for

EXPORT = f"{API}/presentation/export"


async def generated_deck(http: httpx.AsyncClient, n: int = 3) -> str:
    pid = await prepared(http, n=n)
    frames = await read_all(http, deck_url(pid))
    assert frames[-1].type == "complete"
    return pid


def all_pptx_text(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    return "\n".join(
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )


@pytest.mark.parametrize("export_as", ["pptx", "pdf"])
async def test_export_writes_a_file_per_deck_and_format(
    http: httpx.AsyncClient, export_as: str
) -> None:
    pid = await generated_deck(http)
    response = await http.post(EXPORT, json={"id": pid, "export_as": export_as})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["presentation_id"] == pid
    assert body["edit_path"] == f"/presentation?id={pid}"
    path = Path(body["path"])
    assert path.suffix == f".{export_as}" and path.exists()
    assert pid in path.parts  # a folder per deck: same-title decks never collide
    download = await http.get(body["download_url"])
    assert download.status_code == 200
    assert f'filename="{path.name}"' in download.headers["content-disposition"]
    if export_as == "pptx":
        assert len(Presentation(io.BytesIO(download.content)).slides) == 3
    else:
        assert download.headers["content-type"] == "application/pdf"
        assert len(PdfReader(io.BytesIO(download.content)).pages) == 3


async def test_two_decks_with_one_title_get_two_files(http: httpx.AsyncClient) -> None:
    paths = set()
    for _ in range(2):
        pid = await generated_deck(http, n=1)
        await http.patch(f"{API}/presentation/update", json={"id": pid, "title": "Same"})
        paths.add((await http.post(EXPORT, json={"id": pid})).json()["path"])
    assert len(paths) == 2


async def test_unknown_and_unfinished_decks_are_refused(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    missing = await http.post(EXPORT, json={"id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Presentation not found"
    not_started = await prepared(http, n=2)
    response = await http.post(EXPORT, json={"id": not_started})
    assert response.status_code == 409
    assert "no finished deck" in response.json()["detail"]
    busy = await prepared(http, n=2)
    fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(1)})
    async with http.stream("GET", deck_url(busy)):
        await wait_for(lambda: fake_llm.waiting_on(marker(1)), bool, "slide 1 to stall")
        response = await http.post(EXPORT, json={"id": busy, "export_as": "pdf"})
        assert response.status_code == 409
        download = await http.get(f"{API}/presentation/download/{busy}?format=pdf")
        assert download.status_code == 409
        await http.post(f"{API}/presentation/cancel/{busy}")
    bad = await http.post(EXPORT, json={"id": not_started, "export_as": "docx"})
    assert bad.status_code == 422


HOSTILE = [
    '<script>alert(1)</script> & "quotes" <img src=x onerror=alert(2)> ]]> &amp;',
    "مرحبا بكم في العرض التقديمي عن الطاقة الشمسية",
    "ברוכים הבאים למצגת על אנרגיה סולארית",
    "太陽エネルギーについてのプレゼンテーションへようこそ",
    "Solar 🌞 power ⚡ for everyone 🎉",
    "W" * 5000,
]


async def edit_first_slide(http: httpx.AsyncClient, pid: str, content: dict[str, Any]) -> None:
    deck = await get_presentation(http, pid)
    slides = deck["slides"]
    slides[0] = {**slides[0], "layout": "general:bullets-with-image", "content": content}
    response = await http.patch(f"{API}/presentation/update", json={"id": pid, "slides": slides})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "text", HOSTILE, ids=["markup", "arabic", "hebrew", "cjk", "emoji", "long"]
)
async def test_any_text_and_broken_images_export_to_every_format(
    http: httpx.AsyncClient, text: str
) -> None:
    pid = await generated_deck(http, n=2)
    await edit_first_slide(
        http,
        pid,
        {
            "title": text,
            "bullets": [text, text[:40], "short"] * 4,  # more and longer than the schema allows
            "image": {"__image_prompt__": "x", "__image_url__": "/app_data/images/missing.png"},
        },
    )
    pptx = await http.get(f"{API}/presentation/download/{pid}?format=pptx")
    pdf = await http.get(f"{API}/presentation/download/{pid}?format=pdf")
    preview = await http.get(f"{API}/presentation/preview/{pid}")
    assert (pptx.status_code, pdf.status_code, preview.status_code) == (200, 200, 200)
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    if text.startswith("<script>"):
        assert "<script>alert(1)</script>" in all_pptx_text(pptx.content)
        assert "<script>alert" not in preview.text
        assert "<img src=x" not in preview.text  # shown as text, never as a tag
    if text.startswith("W"):
        assert "…" in all_pptx_text(pptx.content)  # cut to fit its box, with an ellipsis


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "/app_data/images/../../etc/passwd",
        "javascript:alert(1)",
        "",
        "/app_data/images/" + "a" * 300 + ".png",  # longer than any file name may be
        "/static/" + "b/" * 200 + "c.svg",
    ],
)
async def test_foreign_or_unsafe_image_urls_become_placeholders(
    http: httpx.AsyncClient, url: str
) -> None:
    pid = await generated_deck(http, n=1)
    await edit_first_slide(
        http,
        pid,
        {
            "title": "Pictures",
            "bullets": ["one point", "two points"],
            "image": {"__image_prompt__": "x", "__image_url__": url},
        },
    )
    for fmt in ("pptx", "pdf"):
        assert (
            await http.get(f"{API}/presentation/download/{pid}?format={fmt}")
        ).status_code == 200
    preview = (await http.get(f"{API}/presentation/preview/{pid}")).text
    assert "javascript:" not in preview and "etc/passwd" not in preview


async def test_preview_is_html_of_every_slide(http: httpx.AsyncClient) -> None:
    pid = await generated_deck(http, n=3)
    response = await http.get(f"{API}/presentation/preview/{pid}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.count('class="ss-slide"') == 3
    assert "/static/fonts/" in response.text
    font = response.text.split("/static/fonts/")[1].split(")")[0].strip("\"'")
    assert (await http.get("/static/fonts/" + font)).status_code == 200


async def test_concurrent_exports_of_one_deck_all_succeed(http: httpx.AsyncClient) -> None:
    import asyncio

    pid = await generated_deck(http, n=2)
    responses = await asyncio.gather(
        *(
            http.post(EXPORT, json={"id": pid, "export_as": fmt})
            for fmt in ["pdf"] * 3 + ["pptx"] * 3
        )
    )
    assert [r.status_code for r in responses] == [200] * 6
    folder = Path(responses[0].json()["path"]).parent
    assert sorted(p.suffix for p in folder.iterdir()) == [".pdf", ".pptx"]  # no leftovers
