"""Outbound HTTP to URLs that others chose (image hosts, webhook receivers), without
letting them reach this machine or the network around it (SSRF).

Every hop of a request is checked the same way: http or https only; the host is resolved
once, and every address it resolves to must be public (not private, loopback, link-local,
multicast, reserved, unspecified or shared, IPv4 or IPv6, IPv4-mapped and NAT64/6to4
forms unwrapped), unless the host is in the operator's allow-list. The connection then
goes to the address that was checked, never to a fresh DNS answer: the URL's host is
replaced by that address, and the original name is kept in the `Host` header and as the
TLS server name (SNI and certificate check). Redirects are followed by hand, each new
location checked again; bodies are read as a stream under a size cap.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from slidestream import __version__
from slidestream.errors import InvalidInput, SlidestreamError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MediaCheck = Callable[[str], bool]

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 10_000_000
USER_AGENT = f"slidestream/{__version__}"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SCHEMES = frozenset({"http", "https"})
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class FetchRefused(InvalidInput):
    """The URL may not be fetched: wrong scheme, no host, or a non-public address."""


class FetchFailed(SlidestreamError):
    """The URL was allowed but fetching it did not work (network, status, size, type)."""

    status_code = 502


@dataclass(frozen=True)
class FetchResult:
    url: str
    """The final URL, after redirects."""
    status_code: int
    content_type: str
    """The media type without parameters, lower-case ("" when absent)."""
    content: bytes


def is_public_address(address: IPAddress) -> bool:
    """True for an address on the public internet; False for anything local or special."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address in _NAT64_LOCAL:
            return False
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    return address.is_global


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo client, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # IPv4-compatible (deprecated) ::a.b.c.d, but not :: and ::1 themselves.
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def parse_url(url: str | httpx.URL) -> httpx.URL:
    """`url` as an httpx URL if it is an absolute http(s) URL with a host; else FetchRefused."""
    if isinstance(url, str):
        text = url.strip()
        if not text:
            raise FetchRefused("The URL is empty.")
        try:
            parsed = httpx.URL(text)
        except (httpx.InvalidURL, ValueError, TypeError) as error:
            raise FetchRefused("The URL is not a valid URL.") from error
    else:
        parsed = url
    if parsed.scheme not in _SCHEMES:
        raise FetchRefused("Only http and https URLs are allowed.")
    if not parsed.host:
        raise FetchRefused("The URL has no host name.")
    return parsed


def _normal_host(host: str) -> str:
    return host.strip().lower().strip("[]").rstrip(".")


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to, in the resolver's order, without duplicates."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchFailed(f"The host name {host!r} could not be resolved.") from error
    addresses: list[IPAddress] = []
    for info in infos:
        address = _literal_address(str(info[4][0]))
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchFailed(f"The host name {host!r} has no address.")
    return addresses


async def checked_addresses(url: httpx.URL, allow_hosts: Collection[str] = ()) -> list[IPAddress]:
    """Resolve `url`'s host and check that every address is public (or the host allowed)."""
    host = _normal_host(url.host)
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolve_host(host, port)
    if host in allow_hosts:
        return addresses
    for address in addresses:
        if not is_public_address(address):
            raise FetchRefused(
                f"The URL's host {host!r} is a private, local or reserved address; "
                "only public internet addresses are allowed."
            )
    return addresses


async def validate_public_url(url: str, *, allow_hosts: Collection[str] = ()) -> str:
    """Check that `url` is an http(s) URL whose host resolves only to public addresses.

    Returns the URL (stripped). Raises `InvalidInput` (400) with a plain-words reason,
    including when the host cannot be resolved. Use it to validate a URL when it is
    given; fetch it later through `SafeFetcher`, which checks again at connect time.
    """
    parsed = parse_url(url)
    allowed = {_normal_host(host) for host in allow_hosts}
    try:
        await checked_addresses(parsed, allowed)
    except FetchFailed as error:
        raise FetchRefused(error.detail) from error
    return str(url).strip()


def _media_type(headers: httpx.Headers) -> str:
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


class SafeFetcher:
    """An httpx client that only talks to checked, pinned, public addresses."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        user_agent: str = USER_AGENT,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.allow_hosts = frozenset(_normal_host(host) for host in allow_hosts)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._verify = verify
        self._user_agent = user_agent
        self._http: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        """The client, made on first use (most processes never fetch anything)."""
        if self._http is None:
            no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            self._http = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=False,  # no proxy: it would resolve names itself
                cookies=httpx.Cookies(no_cookies),
                # No keep-alive: a pooled TLS connection is keyed by IP and could be
                # reused for another name on the same address without checking its
                # certificate.
                limits=httpx.Limits(max_keepalive_connections=0),
                headers={"User-Agent": self._user_agent},
                verify=self._verify,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def fetch(self, url: str, *, max_bytes: int | None = None) -> FetchResult:
        """GET `url`; a non-2xx final answer is FetchFailed."""
        result = await self.request("GET", url, max_bytes=max_bytes)
        if not 200 <= result.status_code < 300:
            raise FetchFailed(f"The server answered HTTP {result.status_code}.")
        return result

    async def fetch_image(self, url: str, *, max_bytes: int | None = None) -> FetchResult:
        """GET `url`, which must answer 2xx with an `image/*` content type."""
        result = await self.request(
            "GET",
            url,
            max_bytes=max_bytes,
            headers={"Accept": "image/*"},
            accept_media=lambda media: media.startswith("image/"),
        )
        if not 200 <= result.status_code < 300:
            raise FetchFailed(f"The server answered HTTP {result.status_code}.")
        return result

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        max_bytes: int | None = None,
        accept_media: MediaCheck | None = None,
        read_body: bool = True,
    ) -> FetchResult:
        """Send one request (following up to 5 checked redirects) and read the answer
        (or, with `read_body=False`, only its status: a webhook receiver's page is not
        ours to download).

        Any final status is returned; refusals raise FetchRefused, network trouble, a
        body over `max_bytes` or an unaccepted media type raise FetchFailed.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self.timeout):
                return await self._request(
                    method.upper(),
                    parse_url(url),
                    json=json,
                    content=content,
                    headers=dict(headers or {}),
                    follow_redirects=follow_redirects,
                    limit=limit,
                    accept_media=accept_media,
                    read_body=read_body,
                )
        except TimeoutError as error:
            raise FetchFailed(f"No complete answer within {self.timeout:g} seconds.") from error

    async def _request(
        self,
        method: str,
        url: httpx.URL,
        *,
        json: Any,
        content: bytes | None,
        headers: dict[str, str],
        follow_redirects: bool,
        limit: int,
        accept_media: MediaCheck | None,
        read_body: bool,
    ) -> FetchResult:
        for _hop in range(MAX_REDIRECTS + 1):
            response = await self._send_pinned(method, url, json, content, headers)
            try:
                location = response.headers.get("location")
                if follow_redirects and response.status_code in _REDIRECTS and location:
                    next_url = parse_url(self._join(url, location))
                    code = response.status_code
                    to_get = code == 303 or (code in (301, 302) and method == "POST")
                    if to_get and method != "HEAD":
                        method, json, content = "GET", None, None
                    if next_url.netloc != url.netloc or next_url.scheme != url.scheme:
                        headers = {
                            key: value
                            for key, value in headers.items()
                            if key.lower() not in ("authorization", "cookie")
                        }
                    url = next_url
                    continue
                media = _media_type(response.headers)
                success = 200 <= response.status_code < 300
                if success and accept_media is not None and not accept_media(media):
                    raise FetchFailed(f"The answer is not of an accepted type ({media or 'none'}).")
                body = await self._read_capped(response, limit) if read_body else b""
                return FetchResult(str(url), response.status_code, media, body)
            finally:
                await response.aclose()
        raise FetchFailed(f"More than {MAX_REDIRECTS} redirects.")

    @staticmethod
    def _join(base: httpx.URL, location: str) -> httpx.URL:
        try:
            return base.join(location.strip())
        except (httpx.InvalidURL, ValueError) as error:
            raise FetchFailed("The server redirected to an invalid URL.") from error

    async def _send_pinned(
        self,
        method: str,
        url: httpx.URL,
        json: Any,
        content: bytes | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        addresses = await checked_addresses(url, self.allow_hosts)
        host = _normal_host(url.host)
        extensions: dict[str, Any] = {}
        if url.scheme == "https" and _literal_address(host) is None:
            extensions["sni_hostname"] = host
        last_error: Exception | None = None
        for address in addresses:
            request = self._client.build_request(
                method,
                url.copy_with(host=str(address)),
                json=json,
                content=content,
                headers={**headers, "Host": url.netloc.decode("ascii")},
                extensions=extensions,
            )
            try:
                return await self._client.send(request, stream=True)
            except httpx.ConnectError as error:
                last_error = error  # try the next checked address
            except httpx.HTTPError as error:
                raise FetchFailed(f"The request failed: {type(error).__name__}.") from error
        raise FetchFailed(f"Could not connect to {host!r}.") from last_error

    @staticmethod
    async def _read_capped(response: httpx.Response, limit: int) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchFailed(f"The answer is larger than {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchFailed(f"The answer is larger than {limit} bytes.")
                chunks.append(chunk)
        except httpx.HTTPError as error:
            raise FetchFailed(f"Reading the answer failed: {type(error).__name__}.") from error
        return b"".join(chunks)
