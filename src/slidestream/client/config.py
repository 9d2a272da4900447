"""Settings shared by `Client` and `AsyncClient`: URLs, auth, timeouts, retry policy."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from slidestream.client.models import RetryPolicy
from slidestream.client.protocol import TimeoutKind

DEFAULT_TIMEOUT = 30.0
# One-shot generation and exports take minutes; Presenton's own nginx allows 30.
DEFAULT_GENERATE_TIMEOUT = 1800.0
# Silence after which a stream is taken for dead and resumed. slidestream pings every
# 15 s; Presenton (and strict mode) send nothing while a slide is being written.
DEFAULT_STREAM_TIMEOUT = 300.0
USER_AGENT = "slidestream-client"
# Outlines remembered per client. A long-lived client (a backend's) streams outlines for
# ever more presentations; only recent ones are prepared next.
REMEMBERED_OUTLINES = 256


class RecentOutlines(OrderedDict[str, list[str]]):
    """The outlines streamed last, at most `limit`; storing one drops the oldest."""

    def __init__(self, limit: int = REMEMBERED_OUTLINES) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: list[str]) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class ClientConfig:
    """Where the server is and how to talk to it."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float | None,
        generate_timeout: float | None,
        stream_timeout: float | None,
        retry: RetryPolicy,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = retry
        self._timeouts: dict[TimeoutKind, httpx.Timeout] = {
            "default": httpx.Timeout(timeout),
            "generate": httpx.Timeout(timeout, read=generate_timeout),
            "stream": httpx.Timeout(timeout, read=stream_timeout),
        }
        # Outlines streamed by this client, for `prepare(outlines=None)` on servers
        # without `GET /outlines/{id}` (early Presenton): the latest few, not all.
        self.outlines: dict[str, list[str]] = RecentOutlines()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def headers(self, url: str, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **extra}
        # The key goes only to the configured server, never to a URL elsewhere (an
        # export path can be any URL the server names).
        if self.api_key and _same_origin(url, self.base_url):
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def timeout(self, kind: TimeoutKind) -> httpx.Timeout:
        return self._timeouts[kind]


def _same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
