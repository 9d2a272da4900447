"""The Presenton-compatible presentation endpoints, in-process over ASGI."""

from __future__ import annotations

import uuid

import httpx
import pytest

from slidestream.settings import Settings
from tests.support.flows import API, create, get_presentation, marked_outlines, prepare


async def test_create_returns_the_full_row_with_presenton_defaults(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        f"{API}/presentation/create",
        json={"content": "Solar energy in 2025", "n_slides": 3, "language": "English"},
    )
    assert response.status_code == 200
    body = response.json()
    uuid.UUID(body["id"])
    assert body["content"] == "Solar energy in 2025"
    assert body["n_slides"] == 3
    assert body["tone"] == "default"
    assert body["verbosity"] == "standard"
    assert body["include_title_slide"] is True
    assert body["include_table_of_contents"] is False
    assert body["web_search"] is False
    assert body["outlines"] is None and body["layout"] is None and body["structure"] is None
    assert body["created_at"].endswith("Z")
    assert body["generation"]["deck_status"] == "none"


async def test_create_then_get_round_trips(client: httpx.AsyncClient) -> None:
    created = await create(client, tone="professional", verbosity="concise")
    fetched = await get_presentation(client, created["id"])
    assert fetched["id"] == created["id"]
    assert fetched["tone"] == "professional"
    assert fetched["verbosity"] == "concise"
    assert fetched["slides"] == []
    # Re-read timestamps keep their UTC marker (Presenton loses it on SQLite).
    assert fetched["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("n_slides", "status", "detail"),
    [
        (0, 400, "Number of slides must be greater than 0"),
        (-1, 400, "Number of slides must be greater than 0"),
        (51, 400, "Number of slides cannot be greater than 50"),
        ("abc", 422, None),
        (None, 422, None),
    ],
)
async def test_create_rejects_bad_slide_counts(
    client: httpx.AsyncClient, n_slides: object, status: int, detail: str | None
) -> None:
    response = await client.post(
        f"{API}/presentation/create", json={"content": "x", "n_slides": n_slides}
    )
    assert response.status_code == status
    if detail is not None:
        assert response.json() == {"detail": detail}
    else:
        assert isinstance(response.json()["detail"], list)
    listing = await client.get(f"{API}/presentation/all")
    assert listing.json() == []


async def test_table_of_contents_needs_three_slides(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/presentation/create",
        json={"content": "x", "n_slides": 2, "include_table_of_contents": True},
    )
    assert response.status_code == 400
    assert "table of contents" in response.json()["detail"]


async def test_content_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/presentation/create", json={"content": "x" * 20_001, "n_slides": 3}
    )
    assert response.status_code == 413
    assert "20000" in response.json()["detail"]


async def test_body_over_the_limit_is_413_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/presentation/create",
        content=b'{"content": "' + b"x" * 2_100_000 + b'", "n_slides": 3}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "detail" in response.json()


async def test_unknown_tone_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/presentation/create", json={"content": "x", "n_slides": 3, "tone": "angry"}
    )
    assert response.status_code == 422


async def test_file_paths_the_server_did_not_issue_are_rejected(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/etc/passwd", "../../secret.txt"):
        response = await client.post(
            f"{API}/presentation/create",
            json={"content": "x", "n_slides": 3, "file_paths": [path]},
        )
        assert response.status_code == 400
        assert "is not a file uploaded to this server" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/presentation/{id}"),
        ("DELETE", "/presentation/{id}"),
        ("GET", "/outlines/{id}"),
        ("GET", "/outlines/stream/{id}"),
        ("GET", "/presentation/stream/{id}"),
        ("POST", "/presentation/cancel/{id}"),
        ("POST", "/presentation/regenerate/{id}"),
    ],
)
async def test_unknown_id_is_404_and_malformed_id_is_422(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    unknown = await client.request(method, API + path.format(id=uuid.uuid4()))
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Presentation not found"}
    malformed = await client.request(method, API + path.format(id="not-a-uuid"))
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "uuid_parsing"


async def test_prepare_unknown_presentation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/presentation/prepare",
        json={"presentation_id": str(uuid.uuid4()), "outlines": [{"content": "a"}]},
    )
    assert response.status_code == 404


async def test_prepare_with_empty_outlines_is_400_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)
    response = await client.post(
        f"{API}/presentation/prepare", json={"presentation_id": created["id"], "outlines": []}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Outlines are required"}
    after = await client.get(f"{API}/presentation/{created['id']}")
    assert after.json()["generation"] == created["generation"]


async def test_stream_before_prepare_is_400(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.get(f"{API}/presentation/stream/{created['id']}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Presentation not prepared for stream"}


@pytest.mark.parametrize("path", ["/presentation/stream/{id}", "/outlines/stream/{id}"])
async def test_post_to_a_stream_endpoint_is_405(client: httpx.AsyncClient, path: str) -> None:
    created = await create(client)
    response = await client.post(API + path.format(id=created["id"]))
    assert response.status_code == 405
    assert "detail" in response.json()


async def test_prepare_with_the_default_layout_picks_a_valid_structure(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, n_slides=5)
    prepared = await prepare(client, created["id"], marked_outlines(5))
    layouts = prepared["layout"]["slides"]
    assert prepared["layout"]["name"] == "general"
    assert len(prepared["structure"]["slides"]) == 5
    assert all(0 <= i < len(layouts) for i in prepared["structure"]["slides"])


async def test_prepare_pads_a_short_ordered_layout(client: httpx.AsyncClient) -> None:
    """Presenton era A answers 500 when an ordered group has fewer layouts than outlines."""
    created = await create(client, n_slides=5)
    layout = {
        "name": "mine",
        "ordered": True,
        "slides": [
            {"id": "mine:a", "json_schema": {"type": "object", "properties": {}}},
            {"id": "mine:b", "json_schema": {"type": "object", "properties": {}}},
        ],
    }
    prepared = await prepare(client, created["id"], marked_outlines(5), layout=layout)
    assert len(prepared["structure"]["slides"]) == 5
    assert set(prepared["structure"]["slides"]) <= {0, 1}


async def test_prepare_inserts_table_of_contents_slides(client: httpx.AsyncClient) -> None:
    created = await create(client, n_slides=6, include_table_of_contents=True)
    prepared = await prepare(client, created["id"], marked_outlines(5))
    contents = [s["content"] for s in prepared["outlines"]["slides"]]
    assert len(contents) == 6
    assert contents[1].startswith("Table of Contents")


async def test_outline_get_and_put(client: httpx.AsyncClient) -> None:
    created = await create(client, n_slides=3)
    empty = await client.get(f"{API}/outlines/{created['id']}")
    assert empty.json() == {"slides": []}
    put = await client.put(
        f"{API}/outlines/{created['id']}",
        json={"slides": [{"content": "# Intro\n\nhello"}, {"content": "# Two"}]},
    )
    assert put.status_code == 200
    assert put.json()["n_slides"] == 2
    assert put.json()["title"] == "Intro"
    got = await client.get(f"{API}/outlines/{created['id']}")
    assert [s["content"] for s in got.json()["slides"]] == ["# Intro\n\nhello", "# Two"]
    rejected = await client.put(f"{API}/outlines/{created['id']}", json={"slides": []})
    assert rejected.status_code == 400


async def test_update_title_and_slides(client: httpx.AsyncClient) -> None:
    created = await create(client)
    slide = {"layout_group": "g", "layout": "g:a", "index": 0, "content": {"title": "Hi"}}
    response = await client.patch(
        f"{API}/presentation/update",
        json={"id": created["id"], "title": "New title", "slides": [slide]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "New title"
    assert [s["content"] for s in body["slides"]] == [{"title": "Hi"}]
    duplicate = await client.patch(
        f"{API}/presentation/update", json={"id": created["id"], "slides": [slide, slide]}
    )
    assert duplicate.status_code == 400
    still = await get_presentation(client, created["id"])
    assert len(still["slides"]) == 1


async def test_update_rejects_bad_slide_count(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.patch(
        f"{API}/presentation/update", json={"id": created["id"], "n_slides": 0}
    )
    assert response.status_code == 400


async def test_delete_removes_presentation_and_listing(client: httpx.AsyncClient) -> None:
    created = await create(client)
    deleted = await client.delete(f"{API}/presentation/{created['id']}")
    assert deleted.status_code == 204
    assert (await client.get(f"{API}/presentation/{created['id']}")).status_code == 404
    assert (await client.delete(f"{API}/presentation/{created['id']}")).status_code == 404


async def test_cancel_when_nothing_runs_is_409(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.post(f"{API}/presentation/cancel/{created['id']}")
    assert response.status_code == 409


async def test_layouts_endpoint_serves_the_default_group(client: httpx.AsyncClient) -> None:
    groups = (await client.get(f"{API}/layouts")).json()
    assert any(g["name"] == "general" for g in groups)
    general = (await client.get(f"{API}/layouts/general")).json()
    assert general["name"] == "general"
    assert len(general["slides"]) >= 8
    assert (await client.get(f"{API}/layouts/nope")).status_code == 404


async def test_regenerate_slide_of_unknown_slide_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/slide/regenerate", json={"id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert response.json() == {"detail": "Slide not found"}


async def test_openapi_documents_the_additions(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert "post" in paths[f"{API}/presentation/cancel/{{id}}"]
    assert "post" in paths[f"{API}/presentation/regenerate/{{id}}"]
    assert "post" in paths[f"{API}/slide/regenerate"]
    stream = paths[f"{API}/presentation/stream/{{id}}"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]


async def test_a_body_that_is_not_utf8_is_a_documented_400(client: httpx.AsyncClient) -> None:
    # Found by tests/api/test_fuzz.py: FastAPI answers an undecodable body with 400 before
    # the route runs, and no operation declared it.
    response = await client.post(
        f"{API}/presentation/create",
        content=b'{"content": "\xff\xfe", "n_slides": 3}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    schema = (await client.get("/openapi.json")).json()
    taking_a_body = [
        (path, method, operation["responses"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(taking_a_body) > 10
    assert [
        (path, method) for path, method, responses in taking_a_body if "400" not in responses
    ] == []


async def test_delete_removes_the_presentations_files(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = await create(client)
    folder = settings.presentations_dir / created["id"]
    folder.mkdir(parents=True)
    (folder / "export.pptx").write_bytes(b"x")
    other = await create(client)
    other_folder = settings.presentations_dir / other["id"]
    other_folder.mkdir(parents=True)
    assert (await client.delete(f"{API}/presentation/{created['id']}")).status_code == 204
    assert not folder.exists()
    assert other_folder.exists()


@pytest.mark.parametrize("bad", ["nonsense", "d1:2", "o" + "1" * 80 + ":0"])
async def test_outline_stream_rejects_bad_last_event_ids(
    client: httpx.AsyncClient, bad: str
) -> None:
    created = await create(client)
    response = await client.get(
        f"{API}/outlines/stream/{created['id']}", headers={"Last-Event-ID": bad}
    )
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    after = await get_presentation(client, created["id"])
    assert after["generation"]["outline_status"] == "none"


async def test_patch_with_a_slide_id_of_another_deck_gives_the_slide_a_new_id(
    client: httpx.AsyncClient,
) -> None:
    """Answered as for an id nobody has, so ids of other decks cannot be probed; the other
    deck's slide is untouched."""
    first, second = await create(client), await create(client)
    slide = {"layout_group": "g", "layout": "g:a", "index": 0, "content": {}}
    made = await client.patch(
        f"{API}/presentation/update", json={"id": first["id"], "slides": [slide]}
    )
    taken = made.json()["slides"][0]["id"]
    response = await client.patch(
        f"{API}/presentation/update",
        json={"id": second["id"], "slides": [{**slide, "id": taken}]},
    )
    assert response.status_code == 200
    assert response.json()["slides"][0]["id"] != taken
    assert (await get_presentation(client, first["id"]))["slides"][0]["id"] == taken


async def test_patch_with_one_slide_id_twice_is_400(client: httpx.AsyncClient) -> None:
    deck = await create(client)
    slide = {"layout_group": "g", "layout": "g:a", "content": {}, "id": str(uuid.uuid4())}
    response = await client.patch(
        f"{API}/presentation/update",
        json={"id": deck["id"], "slides": [{**slide, "index": 0}, {**slide, "index": 1}]},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Two slides have the same id"


async def test_replacing_the_outline_asks_for_prepare_again(client: httpx.AsyncClient) -> None:
    created = await create(client, n_slides=3)
    await prepare(client, created["id"], marked_outlines(3))
    put = await client.put(
        f"{API}/outlines/{created['id']}", json={"slides": [{"content": "# Only one"}]}
    )
    assert put.status_code == 200
    assert put.json()["structure"] is None
    stream = await client.get(f"{API}/presentation/stream/{created['id']}")
    assert stream.status_code == 400
    assert stream.json() == {"detail": "Presentation not prepared for stream"}


@pytest.mark.parametrize("blank", [" ", "\x1d", " \u00a0\t"])
async def test_a_blank_layout_id_is_refused_and_the_schema_says_so(
    client: httpx.AsyncClient, blank: str
) -> None:
    """Found by the fuzz run: a control-character id passed the schema but was refused by
    a validator. The rule is now a pattern, in the schema as well."""
    pid = (await create(client))["id"]
    layout = {"name": "mine", "slides": [{"id": blank, "json_schema": {"type": "object"}}]}
    response = await client.post(
        f"{API}/presentation/prepare",
        json={"presentation_id": pid, "outlines": marked_outlines(1), "layout": layout},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "id"
    schema = (await client.get("/openapi.json")).json()
    layout_id = schema["components"]["schemas"]["SlideLayoutModel"]["properties"]["id"]
    assert "pattern" in layout_id
