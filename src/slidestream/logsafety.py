"""Log hygiene: a logging filter that masks secrets (credential query parameters, bearer
tokens, and the configured API keys) in every record before any handler writes it."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from slidestream.settings import GatewaySettings, Settings

MASK = "***"
MIN_SECRET_CHARS = 8
"""Shorter values are not registered: masking them would garble ordinary text."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

SECRET_PARAM_NAMES = (
    "key",
    "api_key",
    "apikey",
    "token",
    "access_token",
    "secret",
    "password",
    "signature",
    "sig",
)
# `name=value` where name is a whole word (so `?key=`, `&api_key=`, `x-api-key=` but not
# `monkey=`); the value runs to the next `&`, blank, quote, `#` or angle bracket.
_SECRET_PARAM = re.compile(
    rf"(?<!\w)((?:{'|'.join(SECRET_PARAM_NAMES)})=)[^&\s\"'#<>]+", re.IGNORECASE
)
_PARAM_HINTS = ("key=", "token=", "secret=", "password=", "sig=", "signature=")
"""Substrings of every secret `name=`, for the quick test before the regex."""
_BEARER = re.compile(r"\b(bearer)\s+[^\s\"',;]+", re.IGNORECASE)

# Loggers that write records themselves: a filter on a logger sees only its own records
# (not its children's), so the handlers carry the filter too (see `install`).
WATCHED_LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx")

_secrets: list[str] = []
_exception_formatter = logging.Formatter()


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it appears in a log record (values under 8 characters are
    ignored)."""
    if value and len(value) >= MIN_SECRET_CHARS and value not in _secrets:
        _secrets.append(value)
        _secrets.sort(key=len, reverse=True)  # a key containing another goes first


def settings_secrets(settings: Settings | GatewaySettings) -> list[str]:
    """The secret values a settings object holds: provider keys, the gateway's caller and
    upstream keys, a database password."""
    if isinstance(settings, GatewaySettings):
        values = [
            settings.upstream_api_key,
            *settings.upstream_keys.values(),
            *settings.api_keys.values(),
        ]
    else:
        custom = settings.custom_llm_api_key
        values = [
            settings.openai_api_key,
            settings.anthropic_api_key,
            settings.google_api_key,
            None if custom == "null" else custom,
            settings.pexels_api_key,
            settings.pixabay_api_key,
        ]
    if settings.database_url:
        values.append(urlsplit(settings.database_url).password)
    return [value for value in values if value]


def redact(text: str) -> str:
    """`text` with secret query parameters, bearer tokens and registered secrets masked."""
    # Substring tests first (cheap, unlike the regexes): most lines need no regex at all.
    lowered = text.lower()
    if any(hint in lowered for hint in _PARAM_HINTS):
        text = _SECRET_PARAM.sub(rf"\1{MASK}", text)
    if "bearer" in lowered:
        text = _BEARER.sub(rf"\1 {MASK}", text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: keep everything, for redaction to see
        return f"{record.msg} {record.args!r}"


def _redact_args(record: logging.LogRecord, clean: str) -> bool:
    """Mask the string args in place, keeping the record's shape (uvicorn's access
    formatter unpacks `record.args`); False when that does not clean the message."""
    if not isinstance(record.args, tuple) or not record.args or not isinstance(record.msg, str):
        return False
    msg = redact(record.msg)
    args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
    try:
        if msg % args != clean:
            return False
    except Exception:
        return False
    record.msg, record.args = msg, args
    return True


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and exception text with secrets masked; never
    drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Secrets come as an argument too, for processes that build the filter from a
        # logging config (uvicorn's worker processes) rather than through `install`.
        for secret in secrets:
            register_secret(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_secrets_masked", False):  # seen by another filter already
            return True
        message = _message(record)
        clean = redact(message)
        if clean != message and not _redact_args(record, clean):
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _exception_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.__dict__["_secrets_masked"] = True
        return True


def _add_once(target: logging.Filterer, redacting: RedactingFilter) -> None:
    if not any(isinstance(existing, RedactingFilter) for existing in target.filters):
        target.addFilter(redacting)


def install(secrets: Iterable[str] = ()) -> None:
    """Register `secrets` and put the filter on the root logger's handlers, on uvicorn's
    handlers and on the loggers that log URLs (call after the handlers exist)."""
    redacting = RedactingFilter(secrets)
    handlers = [*logging.getLogger().handlers]
    for name in ("uvicorn", *WATCHED_LOGGERS):
        handlers.extend(logging.getLogger(name).handlers)
    for target in [*handlers, *(logging.getLogger(name) for name in WATCHED_LOGGERS)]:
        _add_once(target, redacting)


def uvicorn_log_config(level: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """uvicorn's own logging config with the filter on every handler, plus the root
    handler in LOG_FORMAT: for `uvicorn.run(log_config=...)`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "redact": {"()": f"{__name__}.RedactingFilter", "secrets": sorted(set(secrets))}
    }
    config["formatters"]["plain"] = {"format": LOG_FORMAT}
    config["handlers"]["plain"] = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "plain",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["plain"], "level": level.upper()}
    return config
