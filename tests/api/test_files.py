"""`/files/upload` and `/files/decompose`, and `file_paths` on create, over HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.app import create_app
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.documents.samples import (
    EXE,
    HTML,
    MARKDOWN,
    TEXT,
    docx_bytes,
    pdf_bytes,
    pptx_bytes,
)
from tests.support.apps import in_process
from tests.support.flows import API
from tests.support.servers import ThreadedServer

UPLOAD = f"{API}/files/upload"
DECOMPOSE = f"{API}/files/decompose"
CREATE = f"{API}/presentation/create"

FileTuple = tuple[str, tuple[str, bytes, str]]


def part(name: str, data: bytes, content_type: str = "application/octet-stream") -> FileTuple:
    return ("files", (name, data, content_type))


def uploads_in(settings: Settings) -> list[Path]:
    root = settings.uploads_dir
    return sorted(root.iterdir()) if root.exists() else []


# Blocking file helpers, kept out of the async tests' bodies.
def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def real_path(path: Path) -> str:
    return os.path.realpath(path)


def remove(path: str) -> None:
    Path(path).unlink()


def error_detail(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


@asynccontextmanager
async def client_with(tmp_path: Path, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with settings overrides (no LLM needed for these endpoints)."""
    settings = make_settings(tmp_path / "data", None, **overrides)
    app = create_app(settings)
    async with in_process(app) as http:
        yield http


async def test_every_format_uploads_decomposes_and_creates_over_real_http(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    files = [
        part("notes.txt", TEXT.encode(), "text/plain"),
        part("paper.pdf", pdf_bytes("Tidal energy basics", "Second page"), "application/pdf"),
        part("report.docx", docx_bytes()),
        part("deck.pptx", pptx_bytes()),
        part("field.md", MARKDOWN.encode(), "text/markdown"),
        part("page.html", HTML.encode(), "text/html"),
    ]
    response = await http.post(UPLOAD, files=files)
    assert response.status_code == 200, response.text
    paths = response.json()
    assert isinstance(paths, list) and len(paths) == 6
    root = real_path(settings.uploads_dir)
    for path, (_field, (name, data, _type)) in zip(paths, files, strict=True):
        assert os.path.isabs(path) and path.startswith(root + os.sep)
        assert Path(path).name == name
        assert read_bytes(path) == data

    response = await http.post(DECOMPOSE, json={"file_paths": paths})
    assert response.status_code == 200, response.text
    decomposed = response.json()
    assert decomposed[0] == {"name": "notes.txt", "file_path": paths[0]}
    for entry, original in zip(decomposed[1:], paths[1:], strict=True):
        assert entry["name"] == Path(original).name + ".txt"
        assert Path(entry["file_path"]).parent == Path(original).parent
    texts = [read_bytes(entry["file_path"]).decode() for entry in decomposed]
    assert "Tidal energy basics" in texts[1] and "\f" in texts[1]
    assert "## Costs" in texts[2]
    assert "# Wind Power" in texts[3]
    assert texts[4].startswith("# Field Notes")
    assert "# Ocean Currents" in texts[5] and "stealCookies" not in texts[5]

    file_paths = paths + [entry["file_path"] for entry in decomposed[1:]]
    response = await http.post(
        CREATE, json={"content": "", "n_slides": 3, "language": "English", "file_paths": file_paths}
    )
    assert response.status_code == 200, response.text
    assert response.json()["file_paths"] == file_paths


async def test_a_large_upload_streams_past_the_general_body_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", None, max_body_bytes=4096)
    big = b"Renewable energy keeps growing every year.\n" * 80_000  # ~3.5 MB
    with_server = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=with_server.url, timeout=30) as http:
            response = await http.post(UPLOAD, files=[part("big.txt", big, "text/plain")])
            assert response.status_code == 200, response.text
            (path,) = response.json()
            assert read_bytes(path) == big
            # Other endpoints keep the small limit.
            response = await http.post(
                CREATE, json={"content": "x" * 5000, "n_slides": 3, "language": "English"}
            )
            assert "larger than 4096 bytes" in error_detail(response, 413)
    finally:
        with_server.stop()


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ([part("empty.txt", b"", "text/plain")], "empty"),
        ([part("invoice.pdf", EXE, "application/pdf")], "executable"),
        ([part("report.docx", b"PK\x03\x04 not a zip at all", "application/zip")], "zip"),
        ([part("photo.pdf", bytes(range(256)) * 8, "application/pdf")], "not a supported"),
        ([part("../escape.txt", TEXT.encode(), "text/plain")], "without a path"),
        ([part("sub/dir.txt", TEXT.encode(), "text/plain")], "without a path"),
        ([part("C:\\x.txt", TEXT.encode(), "text/plain")], "without a path"),
        ([part(".env", TEXT.encode(), "text/plain")], "hidden"),
        # One bad file fails the request, and the good one before it is removed too.
        (
            [part("good.txt", TEXT.encode(), "text/plain"), part("bad.pdf", EXE)],
            "executable",
        ),
    ],
)
async def test_refused_uploads_are_400_and_leave_nothing(
    client: httpx.AsyncClient, settings: Settings, files: list[FileTuple], reason: str
) -> None:
    response = await client.post(UPLOAD, files=files)
    assert reason in error_detail(response, 400)
    assert uploads_in(settings) == []


async def test_a_file_over_the_size_limit_is_413(tmp_path: Path) -> None:
    async with client_with(tmp_path, max_upload_bytes=1000) as http:
        response = await http.post(UPLOAD, files=[part("ok.txt", b"a" * 1000, "text/plain")])
        assert response.status_code == 200, response.text
        ok = uploads_in(make_settings(tmp_path / "data", None))
        response = await http.post(
            UPLOAD,
            files=[part("small.txt", b"b" * 10), part("big.txt", b"a" * 50_000, "text/plain")],
        )
        detail = error_detail(response, 413)
        assert "big.txt" in detail and "1000 bytes" in detail
        assert uploads_in(make_settings(tmp_path / "data", None)) == ok


async def test_a_body_over_the_upload_route_limit_is_413_even_when_chunked(
    tmp_path: Path,
) -> None:
    # No file is over its limit, but the body is (an ignored field, sent chunked).
    boundary = "testboundary"

    async def body() -> AsyncIterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\n'.encode()
        for _ in range(40):
            yield b"x" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    async with client_with(tmp_path, max_upload_files=1, max_upload_bytes=1000) as http:
        response = await http.post(
            UPLOAD,
            content=body(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert "Request body is larger than" in error_detail(response, 413)


async def test_too_many_files_is_400(tmp_path: Path) -> None:
    async with client_with(tmp_path, max_upload_files=2) as http:
        files = [part(f"n{i}.txt", TEXT.encode(), "text/plain") for i in range(3)]
        response = await http.post(UPLOAD, files=files)
        assert "at most 2" in error_detail(response, 400)
        assert uploads_in(make_settings(tmp_path / "data", None)) == []
        response = await http.post(UPLOAD, files=files[:2])
        assert response.status_code == 200 and len(response.json()) == 2


async def test_no_files_is_422_like_a_missing_field(client: httpx.AsyncClient) -> None:
    for kwargs in (
        {"data": {"other": "value"}, "files": [("other_file", ("a.txt", b"x", "text/plain"))]},
        {"json": {"files": []}},
        {},
    ):
        response = await client.post(UPLOAD, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "files"]
        assert error["type"] == "missing"


async def test_the_upload_schema_asks_for_at_least_one_file(client: httpx.AsyncClient) -> None:
    # Found by tests/api/test_fuzz.py: the schema allowed `files: []`, which multipart cannot
    # carry, so a schema-valid request got the 422 above.
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"][UPLOAD]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["properties"]["files"]["minItems"] == 1


async def test_a_text_field_named_files_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        UPLOAD, data={"files": "not a file"}, files=[("other", ("a.txt", b"x", "text/plain"))]
    )
    assert "must carry files" in error_detail(response, 400)


async def test_create_refuses_paths_it_did_not_issue(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    (issued,) = (await client.post(UPLOAD, files=[part("n.txt", TEXT.encode())])).json()
    upload_dir = Path(issued).parent
    gone = (await client.post(UPLOAD, files=[part("gone.txt", TEXT.encode())])).json()[0]
    remove(gone)
    for bad in (
        "/etc/passwd",
        f"{upload_dir}/../../../../../../etc/passwd",
        f"{upload_dir}/../n.txt",
        "n.txt",
        gone,
    ):
        response = await client.post(
            CREATE, json={"content": "x", "n_slides": 3, "file_paths": [issued, bad]}
        )
        detail = error_detail(response, 400)
        assert bad[:50] in detail, detail


async def test_decompose_refuses_unissued_and_reports_gone_files(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(DECOMPOSE, json={"file_paths": ["/etc/passwd"]})
    assert "/etc/passwd" in error_detail(response, 400)
    response = await client.post(DECOMPOSE, json={"file_paths": ["../../etc/passwd"]})
    error_detail(response, 400)
    (issued,) = (await client.post(UPLOAD, files=[part("p.pdf", pdf_bytes("x"))])).json()
    remove(issued)
    response = await client.post(DECOMPOSE, json={"file_paths": [issued]})
    assert "not found" in error_detail(response, 404)
    response = await client.post(DECOMPOSE, json={})
    assert response.status_code == 422


async def test_decompose_of_a_damaged_document_is_400(client: httpx.AsyncClient) -> None:
    # A PDF header over garbage passes sniffing; parsing it fails in plain words.
    data = b"%PDF-1.4\n" + b"not really a pdf " * 100
    (issued,) = (await client.post(UPLOAD, files=[part("broken.pdf", data)])).json()
    response = await client.post(DECOMPOSE, json={"file_paths": [issued]})
    assert "broken.pdf" in error_detail(response, 400)


async def test_upload_is_documented_as_multipart(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"][UPLOAD]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["properties"]["files"]["type"] == "array"
    assert "/api/v1/ppt/files/decompose" in spec["paths"]
