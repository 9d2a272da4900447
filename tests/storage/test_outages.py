"""What counts as a database outage: only a failure to reach the database, raised at the
repository boundary; never an LLM that cannot be reached or a broken query."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from slidestream.errors import DatabaseUnavailable
from slidestream.generation.pipeline import JobFailed
from slidestream.llm.base import LLMError
from slidestream.settings import Settings
from slidestream.storage.database import (
    create_engine,
    is_connection_failure,
    is_database_outage,
    migrate,
)
from slidestream.storage.repository import Repository


def _caused_by(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


def test_an_unreachable_llm_is_not_a_database_outage() -> None:
    refused = _caused_by(LLMError("could not connect"), ConnectionRefusedError())
    assert not is_database_outage(refused)
    assert not is_database_outage(_caused_by(JobFailed("could not connect"), refused))


def test_only_the_repository_outage_and_what_it_causes_count() -> None:
    assert is_database_outage(DatabaseUnavailable())
    assert is_database_outage(_caused_by(RuntimeError("job"), DatabaseUnavailable()))
    assert is_database_outage(ExceptionGroup("slides", [ValueError(), DatabaseUnavailable()]))
    # Raised while handling an outage is not caused by it.
    try:
        try:
            raise DatabaseUnavailable()
        except DatabaseUnavailable:
            raise ValueError("a bug in the handler") from None
    except ValueError as error:
        assert not is_database_outage(error)


@pytest.mark.parametrize(
    ("error", "sqlite", "outage"),
    [
        (ConnectionRefusedError(), False, True),
        (socket.gaierror("Name or service not known"), False, True),
        (TimeoutError(), False, True),
        (type("CannotConnectNowError", (Exception,), {})(), False, True),
        (type("AdminShutdownError", (Exception,), {})(), False, True),
        (OperationalError("SELECT 1", {}, Exception("database is locked")), True, True),
        (OperationalError("SELECT x", {}, Exception("no such table: x")), True, False),
        (type("InterfaceError", (Exception,), {})("another operation"), False, False),
        (ValueError("bad value"), False, False),
    ],
)
def test_connection_failures_are_told_from_other_database_errors(
    error: BaseException, sqlite: bool, outage: bool
) -> None:
    assert is_connection_failure(error, sqlite=sqlite) is outage


async def test_a_broken_query_stays_itself_and_a_missing_server_is_unavailable(
    tmp_path: Path,
) -> None:
    engine = create_engine(Settings(data_dir=tmp_path).resolved_database_url)  # type: ignore[call-arg]
    await migrate(engine)
    repository = Repository(engine)
    from sqlalchemy import text

    with pytest.raises(OperationalError):
        async with repository.session() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    await engine.dispose()

    from tests.support.servers import free_port

    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    nowhere = create_engine(Settings(database_url=url).resolved_database_url)  # type: ignore[call-arg]
    with pytest.raises(DatabaseUnavailable):
        await Repository(nowhere).active_jobs()
    await nowhere.dispose()
