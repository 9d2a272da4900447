"""The Python client against a server that requires API keys: `api_key` is all it needs,
streams included (a client sends headers, so it never needs a stream token)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slidestream.app import create_app
from slidestream.client import APIError, Client, Complete
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.keys import make_key
from tests.support.servers import threaded_server


async def test_a_keyed_server_serves_the_client_with_its_key_and_only_its_decks(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    settings = make_settings(tmp_path / "data", fake_llm.api_url, auth="keys")
    alice, bob = await make_key(settings, "alice"), await make_key(settings, "bob")
    with threaded_server(create_app(settings)) as server:
        with Client(server.url, api_key=alice) as client:
            pid = client.create("Solar energy in 2025", n_slides=2)["id"]
            assert isinstance(list(client.stream_outline(pid))[-1], Complete)
            client.prepare(pid)
            assert isinstance(list(client.stream_deck(pid))[-1], Complete)
            assert [deck["id"] for deck in client.list()] == [pid]
        with Client(server.url, api_key=bob) as client:
            assert client.list() == []
            with pytest.raises(APIError) as foreign:
                client.get(pid)
            assert foreign.value.status_code == 404
        with Client(server.url) as client, pytest.raises(APIError) as anonymous:
            client.list()
        assert anonymous.value.status_code == 401
