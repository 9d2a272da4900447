"""Log hygiene: API keys, bearer tokens and credential query parameters never reach a log,
from the filter on its own up to a real `slidestream serve` and its outbound calls."""

from __future__ import annotations

import io
import logging
import logging.config
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from slidestream import logsafety
from slidestream.logsafety import RedactingFilter, redact, register_secret
from slidestream.settings import GatewaySettings, Settings
from tests.assets.fakes import FakeWorldServer
from tests.support.servers import ServerProcess


def long_random() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(autouse=True)
def no_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secrets, and leaves none behind."""
    monkeypatch.setattr(logsafety, "_secrets", [])


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own, writing through a filtered handler into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"tests.log_hygiene.{long_random()}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


# --- query parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["key", "api_key", "APIKEY", "Token", "access_token", "secret", "password", "sig"]
)
def test_secret_query_parameters_are_masked(name: str) -> None:
    value = long_random()
    url = "https://pixabay.com/api/?q=lake&{}&per_page=3"
    masked = url.format(f"{name}=***")
    assert redact(f"GET {url.format(f'{name}={value}')} 200") == f"GET {masked} 200"


def test_signature_and_first_parameter_are_masked() -> None:
    text = "GET /x?signature=abc123def456&token=zzz9 HTTP/1.1"
    assert redact(text) == "GET /x?signature=***&token=*** HTTP/1.1"


def test_other_parameters_and_words_stay() -> None:
    text = "job.done keyword=lake monkey=banana q=token_count prompt='a key idea'"
    assert redact(text) == text


# --- bearer tokens -------------------------------------------------------------------


def test_bearer_tokens_are_masked() -> None:
    token = long_random()
    assert redact(f"Authorization: Bearer {token}") == "Authorization: Bearer ***"
    assert redact(f"{{'authorization': 'bearer {token}'}}") == "{'authorization': 'bearer ***'}"


# --- registered secrets --------------------------------------------------------------


def test_registered_secrets_are_masked_anywhere() -> None:
    key = long_random()
    register_secret(key)
    assert redact(f"upstream refused {key}!") == "upstream refused ***!"
    assert redact(f"x{key}x") == "x***x"


def test_short_and_empty_values_are_not_registered() -> None:
    register_secret("null")
    register_secret("")
    register_secret(None)
    assert redact("the value is null") == "the value is null"


def test_settings_secrets_lists_provider_keys_but_not_the_null_default() -> None:
    openai, pixabay = long_random(), long_random()
    settings = Settings(openai_api_key=openai, pixabay_api_key=pixabay, custom_llm_api_key="null")
    found = logsafety.settings_secrets(settings)
    assert openai in found and pixabay in found
    assert "null" not in found


def test_settings_secrets_lists_the_gateways_caller_and_upstream_keys() -> None:
    caller, upstream, per_caller = long_random(), long_random(), long_random()
    settings = GatewaySettings(
        api_keys={"acme": caller}, upstream_api_key=upstream, upstream_keys={"acme": per_caller}
    )
    assert set(logsafety.settings_secrets(settings)) == {caller, upstream, per_caller}


# --- whole records -------------------------------------------------------------------


def test_percent_args_are_formatted_then_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = captured
    key = long_random()
    logger.info("HTTP Request: %s %s %d", "GET", httpx.URL(f"https://h/api/?key={key}&q=a"), 200)
    assert buffer.getvalue() == "INFO HTTP Request: GET https://h/api/?key=***&q=a 200\n"


def test_a_message_with_a_bad_format_is_still_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = captured
    token = long_random()
    logger.warning("%d broken", f"?token={token}")
    assert token not in buffer.getvalue()
    assert "token=***" in buffer.getvalue()


def test_exception_text_is_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = captured
    key = long_random()
    register_secret(key)
    try:
        raise RuntimeError(f"upstream said no to Bearer {key} at https://h/?api_key={key}")
    except RuntimeError:
        logger.exception("call.failed provider=%s", "pixabay")
    output = buffer.getvalue()
    assert key not in output
    assert "RuntimeError: upstream said no to Bearer *** at https://h/?api_key=***" in output
    assert output.startswith("ERROR call.failed provider=pixabay\nTraceback")


def test_uvicorn_access_records_keep_their_shape() -> None:
    """uvicorn's access formatter unpacks `record.args`: masking must keep them."""
    token = long_random()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/stream?token={token}", "1.1", 200),
        None,
    )
    assert RedactingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert line == '127.0.0.1:5000 - "GET /stream?token=*** HTTP/1.1" 200 OK'


def test_clean_records_are_left_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "job.done slides=%d", (3,), None)
    assert RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("job.done slides=%d", (3,))


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root and uvicorn loggers back as they were after a test reconfigures them."""
    names = ["", "uvicorn", "uvicorn.access", "uvicorn.error", "httpx"]
    saved = {
        name: (logger.handlers[:], logger.filters[:], logger.level, logger.propagate)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, filters, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.usefixtures("restored_logging")
def test_the_uvicorn_log_config_filters_every_handler_and_carries_the_secrets() -> None:
    key = long_random()
    logging.config.dictConfig(logsafety.uvicorn_log_config("info", [key]))
    for name in ["", "uvicorn", "uvicorn.access"]:
        handlers = logging.getLogger(name).handlers
        assert handlers and all(
            any(isinstance(f, RedactingFilter) for f in handler.filters) for handler in handlers
        ), name
    assert redact(f"/x/{key}") == "/x/***"  # registered by the filter the config built


# --- end to end: `slidestream serve` -------------------------------------------------


def test_serve_logs_requests_and_outbound_calls_without_secrets(tmp_path: Path) -> None:
    pixabay_key, openai_key, token, bearer = (long_random() for _ in range(4))
    world = FakeWorldServer().start()
    env = {
        "APP_DATA_DIRECTORY": str(tmp_path / "data"),
        "IMAGE_PROVIDER": "pixabay",
        "PIXABAY_API_KEY": pixabay_key,
        "SLIDESTREAM_PIXABAY_URL": f"{world.url}/pixabay/api/",
        "SLIDESTREAM_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "OPENAI_API_KEY": openai_key,
        "SLIDESTREAM_LOG_LEVEL": "info",
    }
    log_path = tmp_path / "server.log"
    server = ServerProcess(env, log_path)
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            auth = {"Authorization": f"Bearer {bearer}"}
            assert http.get("/health", params={"token": token}, headers=auth).status_code == 200
            image = http.get(
                "/api/v1/ppt/images/generate", params={"prompt": "mountain lake", "token": token}
            )
            assert image.status_code == 200
            http.get(f"/no-such-page/{openai_key}", headers=auth)
    finally:
        server.stop()  # flushes the log
        world.stop()
    # The Pixabay key really went out in the URL (so an unfiltered httpx line shows it).
    assert [call["query"]["key"] for call in world.world.calls("/pixabay/")] == [pixabay_key]
    log = log_path.read_text()
    for secret in (pixabay_key, openai_key, token, bearer):
        assert secret not in log
    assert "GET /health?token=*** HTTP/1.1" in log  # uvicorn's access log
    assert "/pixabay/api/?key=***&q=mountain" in log  # httpx's request log
    assert "GET /no-such-page/*** HTTP/1.1" in log  # a registered key, wherever it is
