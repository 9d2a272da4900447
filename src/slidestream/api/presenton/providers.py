"""`/api/v1/ppt/{provider}/models/available`: which models a provider offers.

Presenton's settings screen posts a key (and, for OpenAI-compatible servers, a URL) to list
the models it may pick: `POST /openai/models/available` `{url, api_key}`,
`POST /anthropic/models/available` `{api_key}` and `POST /google/models/available`
`{api_key}`, each answering a JSON array of model names. `GET` on the same paths (also for
`custom` and `ollama`) lists with the credentials this server is configured with.

A key the provider rejects (or any other refusal of the request) is a 400 whose `detail`
says so in plain words; a provider that cannot be reached or fails is a 502.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends

from slidestream.api.deps import Services, services
from slidestream.assets.net import FetchFailed, FetchRefused, SafeFetcher
from slidestream.errors import InvalidInput, UpstreamFailed
from slidestream.llm.anthropic import list_anthropic_models
from slidestream.llm.base import LLMError
from slidestream.llm.google import list_google_models
from slidestream.llm.openai_compat import list_openai_models
from slidestream.settings import Settings

router = APIRouter(tags=["providers"])
ServicesDep = Annotated[Services, Depends(services)]
ProviderName = Literal["openai", "anthropic", "google", "custom", "ollama"]
LISTING_TIMEOUT_CAP = 30.0
ERRORS: dict[int | str, dict[str, object]] = {400: {}, 422: {}, 502: {}}


def _timeout(settings: Settings) -> float:
    return min(settings.llm_timeout_seconds, LISTING_TIMEOUT_CAP)


async def _listed(call: Awaitable[list[str]]) -> list[str]:
    try:
        return await call
    except LLMError as error:
        if error.retryable:  # unreachable, timed out, overloaded, failing
            raise UpstreamFailed(error.detail) from error
        raise InvalidInput(error.detail) from error


def _required(value: str | None, what: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(f"{what} is required")
    return value.strip()


def _api_key(value: str) -> str:
    """The key from the body: it travels in an HTTP header, which carries printable ASCII
    only (no real key has anything else), so any other character is the caller's error."""
    key = _required(value, "api_key")
    if not (key.isascii() and key.isprintable()):
        raise InvalidInput("api_key may only contain printable ASCII characters")
    return key


@router.post("/openai/models/available", response_model=list[str], responses=ERRORS)
async def openai_models(
    svc: ServicesDep,
    api_key: Annotated[str, Body()],
    url: Annotated[str | None, Body()] = None,
) -> list[str]:
    """Models of OpenAI, or of the OpenAI-compatible server at `url`, for `api_key`.

    A `url` the server is not configured with is fetched like any outbound request: only
    public addresses (or `SLIDESTREAM_FETCH_ALLOW_HOSTS`), no redirects, and nothing of
    the answer is echoed but the model ids, so the endpoint cannot probe a private network."""
    settings = svc.settings
    key = _api_key(api_key)
    base_url = url.strip().rstrip("/") if url and url.strip() else settings.openai_base_url
    if base_url is None or base_url.rstrip("/") in _configured_urls(settings):
        return await _listed(list_openai_models("OpenAI", base_url, key, _timeout(settings)))
    return await _list_at_untrusted_url(base_url, key, settings)


def _configured_urls(settings: Settings) -> set[str]:
    urls = {settings.openai_base_url, settings.custom_llm_url, settings.ollama_url + "/v1"}
    return {u.strip().rstrip("/") for u in urls if u}


async def _list_at_untrusted_url(base_url: str, key: str, settings: Settings) -> list[str]:
    fetcher = SafeFetcher(
        allow_hosts=settings.fetch_allow_hosts, timeout=_timeout(settings), max_bytes=2_000_000
    )
    try:
        result = await fetcher.request(
            "GET",
            f"{base_url}/models",
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            follow_redirects=False,
        )
    except FetchRefused:
        raise
    except FetchFailed as error:
        raise UpstreamFailed(f"The server at {base_url} could not be reached") from error
    finally:
        await fetcher.aclose()
    if result.status_code in (401, 403):
        raise InvalidInput(f"The server at {base_url} rejected the API key ({result.status_code})")
    if not 200 <= result.status_code < 300:
        raise UpstreamFailed(f"The server at {base_url} answered HTTP {result.status_code}")
    try:
        listed = json.loads(result.content)["data"]
        return [str(item["id"]) for item in listed]
    except (ValueError, KeyError, TypeError) as error:
        raise UpstreamFailed(
            f"The server at {base_url} did not answer with an OpenAI-compatible model list"
        ) from error


@router.post("/anthropic/models/available", response_model=list[str], responses=ERRORS)
async def anthropic_models(
    svc: ServicesDep, api_key: Annotated[str, Body(embed=True)]
) -> list[str]:
    """Anthropic models for `api_key` (at `ANTHROPIC_BASE_URL` when that is set)."""
    settings = svc.settings
    key = _api_key(api_key)
    return await _listed(
        list_anthropic_models(key, settings.anthropic_base_url, _timeout(settings))
    )


@router.post("/google/models/available", response_model=list[str], responses=ERRORS)
async def google_models(svc: ServicesDep, api_key: Annotated[str, Body(embed=True)]) -> list[str]:
    """Gemini models that generate text, for `api_key` (at `GOOGLE_BASE_URL` when set)."""
    settings = svc.settings
    key = _api_key(api_key)
    return await _listed(list_google_models(key, settings.google_base_url, _timeout(settings)))


@router.get("/{provider}/models/available", response_model=list[str], responses=ERRORS)
async def configured_models(provider: ProviderName, svc: ServicesDep) -> list[str]:
    """Models of `provider`, listed with the credentials this server is configured with."""
    settings = svc.settings
    timeout = _timeout(settings)
    if provider == "openai":
        key = _required(settings.openai_api_key, "OPENAI_API_KEY on the server")
        return await _listed(list_openai_models("OpenAI", settings.openai_base_url, key, timeout))
    if provider == "custom":
        url = _required(settings.custom_llm_url, "CUSTOM_LLM_URL on the server")
        return await _listed(
            list_openai_models("Custom LLM", url, settings.custom_llm_api_key, timeout)
        )
    if provider == "ollama":
        url = settings.ollama_url.rstrip("/") + "/v1"
        return await _listed(list_openai_models("Ollama", url, "ollama", timeout))
    if provider == "anthropic":
        key = _required(settings.anthropic_api_key, "ANTHROPIC_API_KEY on the server")
        return await _listed(list_anthropic_models(key, settings.anthropic_base_url, timeout))
    key = _required(settings.google_api_key, "GOOGLE_API_KEY on the server")
    return await _listed(list_google_models(key, settings.google_base_url, timeout))
