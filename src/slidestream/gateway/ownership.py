"""Who created what through the gateway: the default answer to "may this caller see it?".

A resource's first recorded owner is its owner for good (upstream ids are unique and never
reused), so positive answers can be cached in the process without going stale. The stores
also keep the gateway's secrets (`shared_secret`: what signs stream tokens), so that every
process sharing a store shares them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Column, DateTime, MetaData, String, Table, event, make_url, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from slidestream.gateway.hooks import Resource

CACHE_SIZE = 50_000

_metadata = MetaData()
_owners = Table(
    "gateway_owners",
    _metadata,
    Column("kind", String(16), primary_key=True),
    Column("resource_id", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
_shared_secrets = Table(
    "gateway_secrets",
    _metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class OwnershipStore(Protocol):
    async def record(self, resource: Resource, owner: str) -> None:
        """Remember `owner` as the creator of `resource` (the first owner stays)."""

    async def owner_of(self, resource: Resource) -> str | None:
        """The recorded owner, or None for a resource the gateway never saw created."""

    async def aclose(self) -> None: ...


class MemoryOwnershipStore:
    """Ownership for one process's lifetime (tests, or hosts that keep their own records)."""

    def __init__(self) -> None:
        self._owners: dict[Resource, str] = {}
        self._secrets: dict[str, str] = {}

    async def record(self, resource: Resource, owner: str) -> None:
        self._owners.setdefault(resource, owner)

    async def owner_of(self, resource: Resource) -> str | None:
        return self._owners.get(resource)

    async def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        return self._secrets.setdefault(name, make())

    async def aclose(self) -> None:
        return None


class SqlOwnershipStore:
    """Ownership in a database (SQLite by default), so it survives restarts; the table is
    created on first use."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self._engine = _engine(url)
        self._ready = False
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[Resource, str] = OrderedDict()

    async def _ensure_table(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                async with self._engine.begin() as connection:
                    await connection.run_sync(_metadata.create_all)
                self._ready = True

    async def record(self, resource: Resource, owner: str) -> None:
        if resource in self._cache:
            return  # recorded before (status polls name the same task again and again)
        await self._ensure_table()
        row = {
            "kind": resource.kind,
            "resource_id": resource.id,
            "owner": owner,
            "created_at": datetime.now(UTC),
        }
        try:
            async with self._engine.begin() as connection:
                await connection.execute(_owners.insert().values(**row))
        except IntegrityError:
            return  # already recorded: the first owner stays
        self._remember(resource, owner)

    async def owner_of(self, resource: Resource) -> str | None:
        cached = self._cache.get(resource)
        if cached is not None:
            return cached
        await self._ensure_table()
        query = select(_owners.c.owner).where(
            _owners.c.kind == resource.kind, _owners.c.resource_id == resource.id
        )
        async with self._engine.connect() as connection:
            owner = (await connection.execute(query)).scalar_one_or_none()
        if owner is not None:
            self._remember(resource, owner)
        return owner

    async def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret called `name`: the first process to ask stores one made by `make`,
        every other reads it."""
        await self._ensure_table()
        row = {"name": name, "value": make(), "created_at": datetime.now(UTC)}
        try:
            async with self._engine.begin() as connection:
                await connection.execute(_shared_secrets.insert().values(**row))
        except IntegrityError:
            pass  # made before, here or by another process: that one stays
        async with self._engine.connect() as connection:
            stored = await connection.execute(
                select(_shared_secrets.c.value).where(_shared_secrets.c.name == name)
            )
            return str(stored.scalar_one())

    def _remember(self, resource: Resource, owner: str) -> None:
        self._cache[resource] = owner
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def aclose(self) -> None:
        await self._engine.dispose()


def _engine(url: str) -> AsyncEngine:
    """The store's engine: SQLite in WAL mode with a busy timeout (several gateway
    processes may share the file), others as they come. Not the server's engine factory,
    which brings the migration machinery along: the gateway has one table and no
    migrations, and starts without them."""
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
