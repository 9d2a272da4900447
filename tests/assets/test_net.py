"""The safe outbound fetch: refusals happen before any connection, allowed hosts work,
redirects are re-checked, bodies are capped, and image downloads must be images."""

from __future__ import annotations

import ipaddress
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from slidestream.assets.net import (
    FetchFailed,
    FetchRefused,
    SafeFetcher,
    is_public_address,
    validate_public_url,
)
from slidestream.errors import InvalidInput
from tests.assets.fakes import PNG, FakeWorld, FakeWorldServer, create_fake_world_app
from tests.support.servers import free_port


@pytest.fixture
async def strict() -> AsyncIterator[SafeFetcher]:
    """No host exempted: every private address is refused."""
    fetcher = SafeFetcher(timeout=10, max_bytes=100_000)
    try:
        yield fetcher
    finally:
        await fetcher.aclose()


@pytest.fixture
async def loopback_ok() -> AsyncIterator[SafeFetcher]:
    """127.0.0.1 exempted (as the tests' settings do), nothing else."""
    fetcher = SafeFetcher(allow_hosts=["127.0.0.1"], timeout=10, max_bytes=100_000)
    try:
        yield fetcher
    finally:
        await fetcher.aclose()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2001:db8::1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/a.png",
        "http://[::ffff:127.0.0.1]:9/a.png",
        "http://0.0.0.0:9/",
        "http://127.1:9/",  # shorthand for 127.0.0.1
        "http://2130706433:9/",  # 127.0.0.1 as one number
    ],
)
async def test_refuses_private_addresses_before_connecting(strict: SafeFetcher, url: str) -> None:
    with pytest.raises(FetchRefused):
        await strict.fetch(url)


async def test_refuses_loopback_unless_allowed(
    strict: SafeFetcher, loopback_ok: SafeFetcher, world: FakeWorldServer
) -> None:
    with pytest.raises(FetchRefused) as refused:
        await strict.fetch_image(f"{world.url}/img/a.png")
    assert "private" in refused.value.detail
    assert refused.value.status_code == 400
    assert world.world.requests == []  # refused before any connection

    result = await loopback_ok.fetch_image(f"{world.url}/img/a.png")
    assert result.content == PNG
    assert result.content_type == "image/png"
    assert result.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "//example.com/a.png",
        "/relative/path.png",
        "",
        "http://",
    ],
)
async def test_refuses_other_schemes_and_non_urls(loopback_ok: SafeFetcher, url: str) -> None:
    with pytest.raises(FetchRefused):
        await loopback_ok.fetch(url)


async def test_follows_redirects_on_allowed_hosts(
    loopback_ok: SafeFetcher, world: FakeWorldServer
) -> None:
    result = await loopback_ok.fetch_image(f"{world.url}/chain/5")
    assert result.content == PNG
    assert result.url == f"{world.url}/chain/0"

    with pytest.raises(FetchFailed, match="redirects"):
        await loopback_ok.fetch_image(f"{world.url}/chain/6")


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/img/a.png",
        "http://[::1]:{port}/img/a.png",
        "http://[::ffff:127.0.0.1]:{port}/img/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.png",
        "file:///etc/passwd",
    ],
)
async def test_redirect_into_a_private_address_is_refused(
    loopback_ok: SafeFetcher, world: FakeWorldServer, target: str
) -> None:
    location = target.format(port=world.port)
    with pytest.raises(FetchRefused):
        await loopback_ok.fetch_image(f"{world.url}/redirect?to={location}")
    # The allowed host was asked once; the redirect target never was.
    assert [entry["path"] for entry in world.world.requests] == ["/redirect"]


async def test_connects_to_the_checked_address_with_the_original_host_name(
    world: FakeWorldServer,
) -> None:
    fetcher = SafeFetcher(allow_hosts=["localhost"], timeout=10)
    try:
        result = await fetcher.fetch(f"http://localhost:{world.port}/echo")
    finally:
        await fetcher.aclose()
    assert result.status_code == 200
    # The connection went to the resolved, checked address; the name stayed in Host.
    assert result.content == f'{{"host":"localhost:{world.port}"}}'.encode()


async def test_oversize_bodies_are_cut_off(
    loopback_ok: SafeFetcher, world: FakeWorldServer
) -> None:
    with pytest.raises(FetchFailed, match="larger than"):
        await loopback_ok.fetch_image(f"{world.url}/big?size=1000000")
    with pytest.raises(FetchFailed, match="larger than"):
        await loopback_ok.fetch_image(f"{world.url}/big-declared?size=200000")
    small = await loopback_ok.fetch_image(f"{world.url}/big?size=50000")
    assert small.content.startswith(PNG[:64])


async def test_image_downloads_must_be_images(
    loopback_ok: SafeFetcher, world: FakeWorldServer
) -> None:
    with pytest.raises(FetchFailed, match="text/html"):
        await loopback_ok.fetch_image(f"{world.url}/html")
    plain = await loopback_ok.fetch(f"{world.url}/html")
    assert plain.content_type == "text/html"


async def test_error_statuses(loopback_ok: SafeFetcher, world: FakeWorldServer) -> None:
    with pytest.raises(FetchFailed, match="404"):
        await loopback_ok.fetch_image(f"{world.url}/nothing-here")
    answer = await loopback_ok.request("GET", f"{world.url}/nothing-here")
    assert answer.status_code == 404


async def test_unreachable_host_is_a_fetch_failure(loopback_ok: SafeFetcher) -> None:
    with pytest.raises(FetchFailed):
        await loopback_ok.fetch(f"http://127.0.0.1:{free_port()}/a.png")


async def test_post_for_webhooks(loopback_ok: SafeFetcher, world: FakeWorldServer) -> None:
    answer = await loopback_ok.request("POST", f"{world.url}/echo", json={"event": "done"})
    assert answer.status_code == 405  # the echo route is GET only; the POST arrived
    sent = world.world.calls("/echo")[0]
    assert sent["method"] == "POST"
    assert sent["body"] == b'{"event":"done"}'


async def test_validate_public_url() -> None:
    assert await validate_public_url(" http://93.184.215.14/hook ") == "http://93.184.215.14/hook"
    assert await validate_public_url("https://[2606:4700:4700::1111]/x")
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://93.184.215.14/hook",
        "not a url",
    ):
        with pytest.raises(InvalidInput) as refused:
            await validate_public_url(url)
        assert refused.value.status_code == 400
        assert refused.value.detail.endswith(".")
    assert await validate_public_url("http://127.0.0.1:8000/hook", allow_hosts=["127.0.0.1"])


def write_self_signed_certificate(host: str, key_path: Path, cert_path: Path) -> None:
    """A one-day certificate for `host` (and nothing else), with its private key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The fake world over HTTPS on loopback, with a certificate for `localhost` only."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    write_self_signed_certificate("localhost", key, cert)
    port = free_port()
    config = uvicorn.Config(
        create_fake_world_app(FakeWorld()),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_keyfile=str(key),
        ssl_certfile=str(cert),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "TLS server did not start"
        time.sleep(0.01)
    try:
        yield port, cert
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def test_https_checks_the_certificate_against_the_original_host_name(
    tls_server: tuple[int, Path],
) -> None:
    port, cert = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    fetcher = SafeFetcher(allow_hosts=["localhost", "127.0.0.1"], timeout=10, verify=trust)
    try:
        # Connected to the checked address, yet TLS (SNI and certificate) used the name.
        result = await fetcher.fetch(f"https://localhost:{port}/echo")
        assert result.content == f'{{"host":"localhost:{port}"}}'.encode()
        # The certificate is not valid for the bare address: verification is on.
        with pytest.raises(FetchFailed):
            await fetcher.fetch(f"https://127.0.0.1:{port}/echo")
    finally:
        await fetcher.aclose()
