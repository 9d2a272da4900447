"""Typed results of the one-shot and export calls, and the retry policy.

Presentations are returned as the server's JSON (`JSONObject`): their fields differ between
Presenton versions and slidestream, and a client for both must not drop any of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

JSONObject = dict[str, Any]
ExportFormat = Literal["pptx", "pdf"]
TaskStatus = Literal["pending", "completed", "error"]


@dataclass(frozen=True)
class Task:
    """An async generation task (`POST /generate/async`, `GET /status/{id}`)."""

    id: str
    status: str
    message: str | None
    data: JSONObject | None
    error: JSONObject | None
    raw: JSONObject = field(repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "error")

    @property
    def presentation_id(self) -> str | None:
        """Known from the start on slidestream (and later Presenton), at the end otherwise."""
        value = (self.data or {}).get("presentation_id")
        return str(value) if value is not None else None

    @property
    def path(self) -> str | None:
        value = (self.data or {}).get("path")
        return str(value) if value is not None else None

    @classmethod
    def from_json(cls, body: JSONObject) -> Task:
        data, error = body.get("data"), body.get("error")
        return cls(
            id=str(body.get("id", "")),
            status=str(body.get("status", "")),
            message=body.get("message"),
            data=data if isinstance(data, dict) else None,
            error=error if isinstance(error, dict) else None,
            raw=body,
        )


@dataclass(frozen=True)
class GenerateResult:
    """`POST /generate`: where the finished deck is. `path` is the file on the server."""

    presentation_id: str
    path: str
    edit_path: str | None

    @classmethod
    def from_json(cls, body: JSONObject) -> GenerateResult:
        return cls(str(body["presentation_id"]), str(body["path"]), body.get("edit_path"))


@dataclass(frozen=True)
class ExportResult:
    """`POST /export`. `url` is what `download()` fetches: slidestream's `download_url`,
    or Presenton's `path` (its nginx serves the exports directory under that path)."""

    presentation_id: str
    path: str
    edit_path: str | None
    download_url: str | None

    @property
    def url(self) -> str:
        return self.download_url or self.path

    @classmethod
    def from_json(cls, body: JSONObject) -> ExportResult:
        return cls(
            str(body["presentation_id"]),
            str(body["path"]),
            body.get("edit_path"),
            body.get("download_url"),
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a broken stream (or a status poll) is retried.

    `max_retries` counts consecutive failures: a reconnection that delivers something
    new starts the count again, so a long deck over a flaky network still finishes."""

    max_retries: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 10.0

    def delay(self, attempt: int, server_hint: float | None = None) -> float:
        """Seconds before retry number `attempt` (1-based): exponential from the server's
        `retry:` hint (or `backoff_initial`), capped, with jitter against reconnect storms."""
        base = server_hint if server_hint is not None else self.backoff_initial
        ceiling = min(self.backoff_max, base * 2 ** max(0, attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
