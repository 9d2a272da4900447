"""`slidestream keys create/list/revoke` (through typer's runner, in this process) against
a running server's database, and `slidestream serve` refusing to start with no key."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from slidestream.app import create_app
from slidestream.cli import app as cli
from tests.access.support import assert_unauthorized
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API
from tests.support.keys import bearer
from tests.support.servers import ThreadedServer, free_port


def keys(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["keys", *args], env={"APP_DATA_DIRECTORY": str(data), "SLIDESTREAM_AUTH": "keys"}
    )
    return result.exit_code, result.stdout, result.stderr or repr(result.exception)


def created_key(data: Path, name: str, *flags: str) -> str:
    code, out, err = keys(data, "create", name, *flags)
    assert code == 0, (out, err)
    key = out.strip()
    assert key.startswith("ssk_") and "\n" not in key, out
    assert f"for {name}" in err and "shown only now" in err
    return key


def key_id(key: str) -> str:
    return key.removeprefix("ssk_").split("_", 1)[0]


def test_create_list_and_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    alice = created_key(data, "alice")
    admin = created_key(data, "root", "--admin")
    code, listed, _ = keys(data, "list")
    assert code == 0
    assert key_id(alice) in listed and key_id(admin) in listed
    assert "alice" in listed and "root" in listed and "yes" in listed
    assert alice not in listed and alice.split("_", 2)[2] not in listed  # never the secret
    code, _, err = keys(data, "revoke", key_id(alice))
    assert code == 0 and "Revoked" in err
    assert key_id(alice) not in keys(data, "list")[1]
    assert key_id(alice) in keys(data, "list", "--all")[1]
    code, _, err = keys(data, "revoke", "feedfacecafe")
    assert code == 1 and "No API key with id feedfacecafe" in err
    code, out, err = keys(data, "create", "-bad name")
    assert code != 0 and "ssk_" not in out
    code, out, err = keys(data, "create", "bad name!")
    assert code == 2 and "ssk_" not in out and "key name" in err
    stored = (data / "slidestream.db").read_bytes()
    assert alice.encode() not in stored and admin.encode() not in stored  # only hashes


async def test_cli_keys_work_on_a_running_server_and_revoking_ends_them(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    settings = make_settings(tmp_path / "data", fake_llm.api_url, auth="keys")
    alice = await asyncio.to_thread(created_key, settings.data_dir, "alice")
    server = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            listing = f"{API}/presentation/all"
            assert (await http.get(listing, headers=bearer(alice))).status_code == 200
            # Made while the server runs (the CLI runs its own event loop: in a thread).
            late = await asyncio.to_thread(created_key, settings.data_dir, "bob")
            assert (await http.get(listing, headers=bearer(late))).status_code == 200
            revoked = await asyncio.to_thread(keys, settings.data_dir, "revoke", key_id(alice))
            assert revoked[0] == 0, revoked
            assert_unauthorized(await http.get(listing, headers=bearer(alice)))
            assert (await http.get(listing, headers=bearer(late))).status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize(
    "args,env",
    [
        (["--host", "0.0.0.0"], {}),
        (["--host", "127.0.0.1"], {"SLIDESTREAM_AUTH": "keys"}),
    ],
    ids=["beyond-loopback", "auth-keys"],
)
def test_serve_without_a_key_exits_2_and_says_how_to_make_one(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    port = free_port()
    process = subprocess.run(
        [sys.executable, "-m", "slidestream", "serve", *args, "--port", str(port)],
        env={**os.environ, "APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": "", **env},
        capture_output=True,
        text=True,
        timeout=120,  # a server that started would never exit: the timeout fails the test
    )
    output = process.stdout + process.stderr
    assert process.returncode == 2, output
    assert "slidestream keys create" in output
    assert "Traceback" not in output
