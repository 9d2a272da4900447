"""Engine, sessions and start-up migrations.

SQLite gets the pragmas the design relies on (foreign keys enforced, WAL so readers never
block the writer, a busy timeout instead of "database is locked" errors); PostgreSQL
needs nothing special. Migrations are Alembic's, applied on start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from slidestream.errors import DatabaseUnavailable

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for `url`, with SQLite pragmas applied to every connection."""
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Sessions that keep loaded attributes after commit (rows are read, then serialised)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# Held while migrating, so API processes and workers that start together on one
# PostgreSQL database migrate one after the other instead of racing.
MIGRATION_LOCK_KEY = 7_366_105_771_020_115


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent; safe on every start)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(_upgrade, revision)


# Driver errors that mean "the server is not reachable", by class name, because asyncpg
# and psycopg are optional dependencies.
_CONNECTION_ERROR_NAMES = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "PostgresConnectionError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "CrashShutdownError",
        "TooManyConnectionsError",
        "PoolTimeout",
    }
)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return seen


def is_connection_failure(error: BaseException, *, sqlite: bool) -> bool:
    """For an error raised by a database operation: True when it means the database could
    not be reached (worth waiting for), False for a bad query or a broken invariant."""
    for current in _chain(error):
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, SQLAlchemyTimeoutError):  # no pooled connection came free
            return True
        if isinstance(current, (OSError, TimeoutError)):  # refused, reset, DNS, no route
            return True
        name = type(current).__name__
        if name in _CONNECTION_ERROR_NAMES:
            return True
        if name == "OperationalError" and type(current).__module__.startswith("psycopg"):
            return True  # psycopg reports a failed or lost connection this way
        if sqlite and isinstance(current, OperationalError):
            message = str(current).lower()
            if "database is locked" in message or "database is busy" in message:
                return True
    return False


def is_database_outage(error: BaseException) -> bool:
    """True when `error` is, or was caused by, the repository's `DatabaseUnavailable`.
    Only the explicit cause chain is followed: an error merely raised while handling an
    outage is not one."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, DatabaseUnavailable):
            return True
        if isinstance(current, BaseExceptionGroup):
            return any(is_database_outage(e) for e in current.exceptions)
        current = current.__cause__
    return False


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str:
    """The newest migration shipped with this version."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
