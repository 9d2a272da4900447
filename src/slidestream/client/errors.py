"""What the client raises. Everything derives from `ClientError`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slidestream.client.models import Task


class ClientError(Exception):
    """Base class of every error the client raises."""


class APIError(ClientError):
    """The server answered with an error status (before any streaming started).

    `detail` is the body's `detail` (a string, or pydantic's list for a 422), falling back
    to `message`, `error` or the body text, as Presenton's own front end does."""

    def __init__(self, status_code: int, detail: Any, body: Any = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.body = body
        super().__init__(f"HTTP {status_code}: {detail}")


class NetworkError(ClientError):
    """The server could not be reached, or the connection broke, and retrying did not help
    (or the call is not one the client retries)."""


class StreamInterrupted(ClientError):
    """A stream broke and every reconnection allowed by the retry policy failed too."""

    def __init__(self, message: str, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


class TaskFailed(ClientError):
    """An async generation ended in `error`; `detail` is the server's reason."""

    def __init__(self, task: Task) -> None:
        self.task = task
        error = task.error or {}
        self.detail: Any = error.get("detail") if isinstance(error, dict) else error
        super().__init__(f"Task {task.id} failed: {self.detail}")


class WaitTimeout(ClientError, TimeoutError):
    """`wait()` gave up before the task finished; `task` is the last status seen."""

    def __init__(self, task: Task | None, seconds: float) -> None:
        self.task = task
        super().__init__(f"Task did not finish within {seconds:g} s")
