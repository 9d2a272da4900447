"""Property-based fuzzing of the whole HTTP API with schemathesis: every operation in the
app's own OpenAPI document gets valid and invalid requests, and every answer must be a
non-5xx, documented status with the documented content type and body schema, and invalid
input must be refused with a 4xx.

The app runs on the offline engine (no LLM), so a generated deck costs nothing and finishes
in moments, on a real loopback server (lifespan running, SSE served as in production). The
providers' model listings ask the simulated LLM, so nothing leaves the machine.
`run_fuzz` takes the headers to send so the same check can run with and without a key.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from slidestream.app import create_app
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.keys import make_key
from tests.support.servers import threaded_server

EXAMPLES_PER_OPERATION = 20
# No example can hang: an answer (or SSE frame) slower than this fails it. Nothing is
# excluded, the two SSE streams included: the fuzzer's ids are random UUIDs, so a stream
# answers 404 at once, and one that did attach to a deck would end with the deck's terminal
# frame (the offline engine finishes in moments). The synchronous `/presentation/generate`
# stays in for the same reason.
REQUEST_TIMEOUT = 30.0
Operation = APIOperation[Any, Any, Any, Any]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


# A schema-valid request may still break a rule JSON Schema cannot say ("content or files
# is required", "a path this server gave out", "a key the provider accepts"): the API
# refuses those with a documented 400 and a `detail`. A 422 stays a failure: it means the
# schema promised a request the validation then rejects.
CHECKS = {
    "positive_data_acceptance": {
        "expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 429, "5xx"]
    }
}


def fuzz_config(key: str | None) -> schemathesis.Config:
    """With `key`, schemathesis sends it through the schema's own `apiKey` scheme, so it
    knows the request is authenticated (and, for its auth checks, how to leave the key
    out)."""
    config: dict[str, Any] = {"checks": CHECKS}
    if key is not None:
        config["auth"] = {"openapi": {"apiKey": {"bearer": key}}}
    return schemathesis.Config.from_dict(config)


def offline_settings(data_dir: Path, fake_llm: FakeLLMHandle, **overrides: object) -> Settings:
    """No LLM: the offline engine drafts every deck. The model listings ask the simulated
    LLM (it speaks OpenAI, Anthropic and Gemini), so they answer for real, offline."""
    return make_settings(
        data_dir,
        None,
        llm="offline",
        openai_base_url=fake_llm.api_url,
        custom_llm_url=fake_llm.api_url,
        anthropic_base_url=fake_llm.url,
        google_base_url=fake_llm.url,
        ollama_url=fake_llm.url,
        **overrides,
    )


def _fuzz_operation(operation: Operation, mode: GenerationMode) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case[Operation]) -> None:
        case.call_and_validate(timeout=REQUEST_TIMEOUT)

    check()


def _modes(operation: Operation) -> list[GenerationMode]:
    """Valid requests always; invalid ones where the request has something to get wrong."""
    has_input = any(True for _ in operation.iter_parameters()) or len(operation.body) > 0
    return [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if has_input else [])]


def run_fuzz(app: FastAPI, key: str | None = None) -> None:
    """Fuzz every operation of `app`, sending API key `key` if given; fail listing every
    operation that misbehaved (not only the first)."""
    failures: list[str] = []
    with threaded_server(app) as server:
        schema = schemathesis.openapi.from_url(
            f"{server.url}/openapi.json", config=fuzz_config(key)
        )
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                failures.append(f"operation not in a form schemathesis reads: {result.err()}")
                continue
            operation = result.ok()
            for mode in _modes(operation):
                try:
                    _fuzz_operation(operation, mode)
                except Unsatisfiable:
                    # Every string is a valid value of an unconstrained parameter (a layout
                    # name, say), so there may be no invalid request to send at all.
                    assert mode is GenerationMode.NEGATIVE, operation.label
                except (Exception, BaseExceptionGroup) as error:  # one report for all
                    failures.append(f"{operation.label} [{mode.value}]\n{error}")
    assert not failures, "\n\n".join(failures)


def test_the_api_holds_up_to_fuzzing_without_credentials(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    run_fuzz(create_app(offline_settings(tmp_path / "data", fake_llm)))


async def test_the_api_holds_up_to_fuzzing_with_a_key(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    """The same with keys required and a valid key sent: the schema then declares the key
    and the 401/429 answers, and schemathesis also checks that leaving the key out is
    refused. The per-key limits are lifted so that they do not cut the run short (they are
    tested in tests/access)."""
    settings = offline_settings(
        tmp_path / "data",
        fake_llm,
        auth="keys",
        key_requests_per_minute=0,
        key_generations_per_hour=0,
        key_max_active_generations=0,
    )
    key = await make_key(settings, "fuzzer")
    await asyncio.to_thread(run_fuzz, create_app(settings), key)
