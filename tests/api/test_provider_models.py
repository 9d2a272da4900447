"""`/api/v1/ppt/{provider}/models/available`, against the simulated LLM's OpenAI, Anthropic
and Gemini wires over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from slidestream.app import create_app
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.support.apps import in_process
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API
from tests.support.servers import free_port

ANTHROPIC_MODELS = ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "slidestream-fake"]
# The simulated Gemini also lists an embedding model, which cannot write slides.
GOOGLE_MODELS = ["models/gemini-2.5-flash", "models/gemini-2.5-pro", "models/slidestream-fake"]


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeLLMHandle) -> Settings:
    return make_settings(
        tmp_path / "data",
        fake_llm.api_url,
        openai_api_key="server-openai-key",
        openai_base_url=fake_llm.api_url,
        anthropic_api_key="server-anthropic-key",
        anthropic_base_url=fake_llm.url,
        google_api_key="server-google-key",
        google_base_url=fake_llm.url,
        ollama_url=fake_llm.url,
    )


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app configured with providers on a port nobody listens on, and no OpenAI key."""
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(
        make_settings(
            tmp_path / "dead",
            f"{dead}/v1",
            anthropic_api_key="k",
            anthropic_base_url=dead,
            google_api_key="k",
            google_base_url=dead,
            ollama_url=dead,
        )
    )
    async with in_process(app) as http:
        yield http


async def test_openai_models_for_a_url_and_key(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    response = await client.post(
        f"{API}/openai/models/available", json={"url": fake_llm.api_url, "api_key": "k"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == ["slidestream-fake"]


async def test_anthropic_models_for_a_key(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/anthropic/models/available", json={"api_key": "k"})
    assert response.status_code == 200, response.text
    assert response.json() == ANTHROPIC_MODELS


async def test_google_models_for_a_key_are_the_text_models(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/google/models/available", json={"api_key": "k"})
    assert response.status_code == 200, response.text
    assert response.json() == GOOGLE_MODELS


@pytest.mark.parametrize(
    ("provider", "models"),
    [
        ("openai", ["slidestream-fake"]),
        ("custom", ["slidestream-fake"]),
        ("ollama", ["slidestream-fake"]),
        ("anthropic", ANTHROPIC_MODELS),
        ("google", GOOGLE_MODELS),
    ],
)
async def test_models_with_the_servers_own_credentials(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle, provider: str, models: list[str]
) -> None:
    # The configured key is the one used: a fault for any other key would not fire.
    fake_llm.add_faults({"kind": "401", "match": "someone-elses-key"})
    response = await client.get(f"{API}/{provider}/models/available")
    assert response.status_code == 200, response.text
    assert response.json() == models


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        (
            "/openai/models/available",
            {"api_key": "bad-key", "url": None},
            "OpenAI rejected the API key (401)",
        ),
        ("/anthropic/models/available", {"api_key": "bad-key"}, "Anthropic rejected the API key"),
        ("/google/models/available", {"api_key": "bad-key"}, "Google Gemini rejected the API key"),
    ],
)
async def test_a_rejected_key_is_a_400_in_plain_words(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle, path: str, body: dict[str, str], detail: str
) -> None:
    fake_llm.add_faults({"kind": "401", "match": "bad-key", "times": 5})
    response = await client.post(API + path, json=body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    good = await client.post(API + path, json={**body, "api_key": "good-key"})
    assert good.status_code == 200, good.text


async def test_a_failing_provider_is_a_502(
    client: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "503", "times": 2})
    response = await client.get(f"{API}/anthropic/models/available")
    assert response.status_code == 502
    assert response.json()["detail"].startswith("Anthropic server error (503)")
    response = await client.get(f"{API}/google/models/available")
    assert response.status_code == 502
    assert response.json()["detail"].startswith("Google Gemini server error (503)")


@pytest.mark.parametrize(
    ("method", "path", "body", "provider"),
    [
        ("GET", "/custom/models/available", None, "Custom LLM"),
        ("GET", "/ollama/models/available", None, "Ollama"),
        ("POST", "/anthropic/models/available", {"api_key": "k"}, "Anthropic"),
        ("GET", "/google/models/available", None, "Google Gemini"),
    ],
)
async def test_an_unreachable_provider_is_a_502(
    unreachable: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, str] | None,
    provider: str,
) -> None:
    response = await unreachable.request(method, API + path, json=body)
    assert response.status_code == 502
    assert response.json()["detail"].startswith(f"{provider} could not be reached")


@pytest.fixture
async def allowing_loopback(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app with loopback exempted from the public-address rule (as for a LAN server)."""
    app = create_app(make_settings(tmp_path / "lan", None, fetch_allow_hosts=["127.0.0.1"]))
    async with in_process(app) as http:
        yield http


async def test_an_unreachable_openai_url_is_a_502(allowing_loopback: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    response = await allowing_loopback.post(
        f"{API}/openai/models/available", json={"url": url, "api_key": "k"}
    )
    assert response.status_code == 502
    assert "could not be reached" in response.json()["detail"]


async def test_a_url_the_server_does_not_know_is_listed_through_the_safe_fetcher(
    allowing_loopback: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    body = {"url": fake_llm.api_url, "api_key": "k"}
    response = await allowing_loopback.post(f"{API}/openai/models/available", json=body)
    assert response.status_code == 200, response.text
    assert "slidestream-fake" in response.json()
    fake_llm.add_faults({"kind": "401", "match": "bad-key"})
    body = {"url": fake_llm.api_url, "api_key": "bad-key"}
    response = await allowing_loopback.post(f"{API}/openai/models/available", json=body)
    assert response.status_code == 400
    assert "rejected the API key (401)" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8080/v1",
        "http://169.254.169.254/latest",
        "http://localhost:11434/v1",
        "file:///etc/passwd",
    ],
)
async def test_private_urls_are_refused_without_a_connection(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.post(
        f"{API}/openai/models/available", json={"url": url, "api_key": "k"}
    )
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], str)


async def test_missing_server_credentials_are_a_400(unreachable: httpx.AsyncClient) -> None:
    response = await unreachable.get(f"{API}/openai/models/available")
    assert response.status_code == 400
    assert response.json() == {"detail": "OPENAI_API_KEY on the server is required"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/mistral/models/available", None),
        ("POST", "/anthropic/models/available", {}),
        ("POST", "/openai/models/available", {"url": "http://x/v1"}),
    ],
)
async def test_bad_requests_are_422(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, API + path, json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_a_blank_key_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/google/models/available", json={"api_key": "  "})
    assert response.status_code == 400
    assert response.json() == {"detail": "api_key is required"}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
@pytest.mark.parametrize("key", ["sk-clé", "sk-€", "sk\nX-Injected: 1", "sk\x00"])
async def test_a_key_that_cannot_be_a_header_is_a_400(
    client: httpx.AsyncClient, provider: str, key: str
) -> None:
    # Found by tests/api/test_fuzz.py: the key went into an HTTP header as it was, and a
    # character outside printable ASCII failed to encode there: a 500.
    response = await client.post(f"{API}/{provider}/models/available", json={"api_key": key})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "api_key may only contain printable ASCII characters"}
