"""API keys for tests: made in the test's database before (or while) a server runs on it,
the way `slidestream keys create` makes them."""

from __future__ import annotations

from slidestream.access import KeyStore
from slidestream.settings import Settings
from slidestream.storage.database import create_engine, migrate
from slidestream.storage.repository import Repository


async def make_key(settings: Settings, name: str, *, admin: bool = False) -> str:
    """A new key for owner `name` in `settings`' database; returns the key text."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        _row, key = await KeyStore(Repository(engine), settings.stream_token_seconds).create(
            name, admin=admin
        )
        return key
    finally:
        await engine.dispose()


async def revoke_key(settings: Settings, key: str) -> None:
    """Revoke the key whose text is `key` (its id is the part after `ssk_`)."""
    key_id = key.removeprefix("ssk_").split("_", 1)[0]
    engine = create_engine(settings.resolved_database_url)
    try:
        await KeyStore(Repository(engine), settings.stream_token_seconds).revoke(key_id)
    finally:
        await engine.dispose()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
