"""Domain exceptions. Each carries the HTTP status it maps to, in one place (`api/errors.py`)."""

from __future__ import annotations

import math


class SlidestreamError(Exception):
    """Base class: `detail` is safe to show to the caller."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(SlidestreamError):
    status_code = 404


class InvalidInput(SlidestreamError):
    status_code = 400


class PayloadTooLarge(SlidestreamError):
    status_code = 413


class Conflict(SlidestreamError):
    status_code = 409


class PresentationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Presentation not found")


class SlideNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Slide not found")


class LLMNotConfigured(SlidestreamError):
    """No provider is configured; generation cannot start."""

    status_code = 503


class UpstreamFailed(SlidestreamError):
    """The LLM provider failed for good while serving this request."""

    status_code = 502


class StillRunning(SlidestreamError):
    """A synchronous wait reached its configured ceiling; the work goes on."""

    status_code = 504


class DatabaseUnavailable(SlidestreamError):
    """The database could not be reached (restarting, cut off, out of connections).
    Raised only at the repository boundary, so it never stands for anything else."""

    status_code = 503
    headers = {"Retry-After": "2"}  # noqa: RUF012 - read-only

    def __init__(self) -> None:
        super().__init__("The database is unavailable right now; try again shortly")


class Unauthorized(SlidestreamError):
    """No valid credentials (401, with a `WWW-Authenticate` challenge)."""

    status_code = 401

    def __init__(self, detail: str, *, error: str | None = None) -> None:
        super().__init__(detail)
        challenge = 'Bearer realm="slidestream"'
        if error is not None:
            challenge += f', error="{error}"'
        self.headers = {"WWW-Authenticate": challenge}


class LimitExceeded(SlidestreamError):
    """A per-key limit is reached (429); `Retry-After` says when to try again."""

    status_code = 429

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}
