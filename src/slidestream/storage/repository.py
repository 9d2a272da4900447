"""Every query the product makes, behind one class.

Each method opens its own short transaction: SQLite allows one writer at a time, so no
transaction is held across an LLM call or a network write.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from slidestream.errors import DatabaseUnavailable
from slidestream.storage.database import is_connection_failure, session_factory
from slidestream.storage.models import (
    ACTIVE_JOB_STATUSES,
    ApiKeyRow,
    GenerationStartRow,
    JobRow,
    PresentationRow,
    ServerSecretRow,
    SlideRow,
    TaskRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
    utcnow,
)


@dataclass(frozen=True)
class NewSlide:
    """A slide about to be stored."""

    index: int
    layout_group: str
    layout: str
    content: dict[str, Any]
    speaker_note: str | None
    id: uuid.UUID | None = None
    html_content: str | None = None
    properties: dict[str, Any] | None = None

    def row(self, presentation_id: uuid.UUID) -> SlideRow:
        return SlideRow(
            id=self.id or uuid.uuid4(),
            presentation=presentation_id,
            index=self.index,
            layout_group=self.layout_group,
            layout=self.layout,
            content=self.content,
            speaker_note=self.speaker_note,
            html_content=self.html_content,
            properties=self.properties,
        )


@dataclass(frozen=True)
class DeckState:
    """The few columns a deck stream reader polls (kept small: readers may be thousands)."""

    run: int
    status: str
    error: str | None


@dataclass(frozen=True)
class DeckStartInfo:
    status: str
    run: int
    prepared: bool
    has_outlines: bool


@dataclass(frozen=True)
class OutlineState:
    """Outline progress, with only the text a reader has not sent yet."""

    run: int
    status: str
    error: str | None
    length: int
    text_after: str


class Repository:
    """Storage access for presentations, slides and jobs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
        self._sqlite = engine.dialect.name == "sqlite"
        self._owner_locks: dict[str, asyncio.Lock] = {}
        self._lock_slots = asyncio.Semaphore(4)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; a database that cannot be reached surfaces as `DatabaseUnavailable`
        (the one place that decides what counts as an outage)."""
        try:
            async with self._sessions() as session:
                yield session
        except DatabaseUnavailable:
            raise
        except Exception as error:
            if is_connection_failure(error, sqlite=self._sqlite):
                raise DatabaseUnavailable() from error
            raise

    # --- presentations ----------------------------------------------------------------

    async def add_presentation(self, row: PresentationRow) -> PresentationRow:
        async with self.session() as session, session.begin():
            session.add(row)
        return row

    async def get_presentation(self, presentation_id: uuid.UUID) -> PresentationRow | None:
        async with self.session() as session:
            return await session.get(PresentationRow, presentation_id)

    async def get_presentation_with_slides(
        self, presentation_id: uuid.UUID
    ) -> PresentationRow | None:
        async with self.session() as session:
            result = await session.execute(
                select(PresentationRow)
                .where(PresentationRow.id == presentation_id)
                .options(selectinload(PresentationRow.slides))
            )
            return result.scalar_one_or_none()

    async def deck_state(self, presentation_id: uuid.UUID) -> DeckState | None:
        async with self.session() as session:
            result = await session.execute(
                select(
                    PresentationRow.deck_run,
                    PresentationRow.deck_status,
                    PresentationRow.deck_error,
                ).where(PresentationRow.id == presentation_id)
            )
            row = result.one_or_none()
        return None if row is None else DeckState(row[0], row[1], row[2])

    async def deck_start_info(self, presentation_id: uuid.UUID) -> DeckStartInfo | None:
        """What starting a deck stream needs, without the (large) layout document: every
        reconnecting client asks for this."""
        async with self.session() as session:
            result = await session.execute(
                select(
                    PresentationRow.deck_status,
                    PresentationRow.deck_run,
                    PresentationRow.structure,
                    PresentationRow.outlines,
                    PresentationRow.layout.is_not(None),
                ).where(PresentationRow.id == presentation_id)
            )
            row = result.one_or_none()
        if row is None:
            return None
        structure, outlines = row[2] or {}, row[3] or {}
        return DeckStartInfo(
            status=row[0],
            run=row[1],
            prepared=bool(structure.get("slides")) and bool(row[4]),
            has_outlines=bool(outlines.get("slides")),
        )

    async def outline_state(self, presentation_id: uuid.UUID, offset: int) -> OutlineState | None:
        """Outline status and `outline_text[offset:]`, cut in the database."""
        text = PresentationRow.outline_text
        async with self.session() as session:
            result = await session.execute(
                select(
                    PresentationRow.outline_run,
                    PresentationRow.outline_status,
                    PresentationRow.outline_error,
                    func.length(text),
                    func.substr(text, offset + 1),
                ).where(PresentationRow.id == presentation_id)
            )
            row = result.one_or_none()
        if row is None:
            return None
        return OutlineState(row[0], row[1], row[2], int(row[3] or 0), row[4] or "")

    async def list_presentations_with_first_slide(
        self, owner: str | None = None
    ) -> list[tuple[PresentationRow, SlideRow]]:
        """Presentations that have a slide 0, newest first (Presenton's library listing);
        with `owner`, only that owner's."""
        statement = (
            select(PresentationRow, SlideRow)
            .join(SlideRow, SlideRow.presentation == PresentationRow.id)
            .where(SlideRow.index == 0)
            .order_by(PresentationRow.created_at.desc())
        )
        if owner is not None:
            statement = statement.where(PresentationRow.owner == owner)
        async with self.session() as session:
            result = await session.execute(statement)
            return [(p, s) for p, s in result.all()]

    async def list_presentations_with_cover(
        self, owner: str | None = None
    ) -> list[tuple[PresentationRow, SlideRow | None]]:
        """Every presentation, newest first, with its slide 0 when it has one (the web
        app's library, which also lists decks stopped before their first slide); with
        `owner`, only that owner's."""
        statement = (
            select(PresentationRow, SlideRow)
            .outerjoin(
                SlideRow,
                (SlideRow.presentation == PresentationRow.id) & (SlideRow.index == 0),
            )
            .order_by(PresentationRow.created_at.desc())
        )
        if owner is not None:
            statement = statement.where(PresentationRow.owner == owner)
        async with self.session() as session:
            result = await session.execute(statement)
            return [(p, s) for p, s in result.all()]

    async def presentation_owner(self, presentation_id: uuid.UUID) -> tuple[bool, str | None]:
        """(exists, owner) of a presentation, read without its large columns."""
        async with self.session() as session:
            result = await session.execute(
                select(PresentationRow.owner).where(PresentationRow.id == presentation_id)
            )
            row = result.one_or_none()
        return (False, None) if row is None else (True, row[0])

    async def update_presentation(
        self,
        presentation_id: uuid.UUID,
        values: dict[str, Any],
        *,
        only_if: Mapping[str, Iterable[Any]] | None = None,
    ) -> bool:
        """Update columns; with `only_if`, only when each column holds one of the given
        values (a compare-and-set). Returns whether a row changed."""
        statement = update(PresentationRow).where(PresentationRow.id == presentation_id)
        for column, allowed in (only_if or {}).items():
            statement = statement.where(getattr(PresentationRow, column).in_(list(allowed)))
        statement = statement.values(**values, updated_at=utcnow())
        async with self.session() as session, session.begin():
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))

    async def delete_presentation(self, presentation_id: uuid.UUID) -> bool:
        async with self.session() as session, session.begin():
            result = await session.execute(
                delete(PresentationRow).where(PresentationRow.id == presentation_id)
            )
            return bool(getattr(result, "rowcount", 0))

    # --- slides -----------------------------------------------------------------------

    async def slides_from(self, presentation_id: uuid.UUID, first_index: int) -> list[SlideRow]:
        async with self.session() as session:
            result = await session.execute(
                select(SlideRow)
                .where(SlideRow.presentation == presentation_id, SlideRow.index >= first_index)
                .order_by(SlideRow.index)
            )
            return list(result.scalars())

    async def count_slides(self, presentation_id: uuid.UUID) -> int:
        async with self.session() as session:
            result = await session.execute(
                select(func.count())
                .select_from(SlideRow)
                .where(SlideRow.presentation == presentation_id)
            )
            return int(result.scalar_one())

    async def get_slide(self, slide_id: uuid.UUID) -> SlideRow | None:
        async with self.session() as session:
            return await session.get(SlideRow, slide_id)

    async def insert_slide(
        self, presentation_id: uuid.UUID, slide: NewSlide, *, expected_run: int | None = None
    ) -> bool:
        """Store a slide unless one with that index exists already (never twice), and,
        with `expected_run`, only while the deck is still in that run (a job that lost a
        race with a regeneration must not write into the new run)."""
        row = slide.row(presentation_id)
        try:
            async with self.session() as session, session.begin():
                if expected_run is not None:
                    # A no-op write that matches only while the run is still generating:
                    # it locks the presentation row (PostgreSQL) or the database (SQLite)
                    # until commit, so a regeneration or a cancel cannot commit between
                    # this check and the insert.
                    still_running = await session.execute(
                        update(PresentationRow)
                        .where(
                            PresentationRow.id == presentation_id,
                            PresentationRow.deck_run == expected_run,
                            PresentationRow.deck_status == "generating",
                        )
                        .values(
                            deck_run=PresentationRow.deck_run,
                            updated_at=PresentationRow.updated_at,
                        )
                    )
                    if not getattr(still_running, "rowcount", 0):
                        return False
                session.add(row)
        except IntegrityError:
            return False
        return True

    async def replace_slide_content(
        self, slide_id: uuid.UUID, content: dict[str, Any], speaker_note: str | None
    ) -> None:
        async with self.session() as session, session.begin():
            await session.execute(
                update(SlideRow)
                .where(SlideRow.id == slide_id)
                .values(content=content, speaker_note=speaker_note)
            )

    async def delete_slides(self, presentation_id: uuid.UUID) -> None:
        async with self.session() as session, session.begin():
            await session.execute(delete(SlideRow).where(SlideRow.presentation == presentation_id))

    async def replace_slides(self, presentation_id: uuid.UUID, slides: list[NewSlide]) -> bool:
        """Swap the whole slide list in one transaction. A slide whose id belongs to
        another presentation gets a new id, exactly as a slide with an id nobody has keeps
        its own: which ids exist elsewhere is never told. False (nothing changed) only when
        the ids collide anyway (one id twice in `slides`, or taken meanwhile)."""
        try:
            await self._replace_slides(presentation_id, slides)
        except IntegrityError:
            return False
        return True

    async def _replace_slides(self, presentation_id: uuid.UUID, slides: list[NewSlide]) -> None:
        async with self.session() as session, session.begin():
            given = [slide.id for slide in slides if slide.id is not None]
            elsewhere: set[uuid.UUID] = set()
            if given:
                elsewhere = set(
                    (
                        await session.execute(
                            select(SlideRow.id).where(
                                SlideRow.id.in_(given), SlideRow.presentation != presentation_id
                            )
                        )
                    ).scalars()
                )
            await session.execute(delete(SlideRow).where(SlideRow.presentation == presentation_id))
            await session.flush()
            session.add_all(
                [
                    (replace(slide, id=None) if slide.id in elsewhere else slide).row(
                        presentation_id
                    )
                    for slide in slides
                ]
            )

    # --- jobs -------------------------------------------------------------------------

    async def add_job(self, job: JobRow) -> JobRow | None:
        """Insert a job; None when the presentation already has an active one."""
        try:
            async with self.session() as session, session.begin():
                session.add(job)
        except IntegrityError:
            return None
        return job

    async def start_job(
        self, job: JobRow, presentation_values: dict[str, Any], *, delete_slides: bool = False
    ) -> JobRow | None:
        """Insert a job and update its presentation in one transaction, so a job never
        exists without the state that announces it. None when another job is active."""
        try:
            async with self.session() as session, session.begin():
                session.add(job)
                await session.flush()
                if delete_slides:
                    await session.execute(
                        delete(SlideRow).where(SlideRow.presentation == job.presentation_id)
                    )
                await session.execute(
                    update(PresentationRow)
                    .where(PresentationRow.id == job.presentation_id)
                    .values(**presentation_values, updated_at=utcnow())
                )
        except IntegrityError:
            return None
        return job

    async def get_job(self, job_id: uuid.UUID) -> JobRow | None:
        async with self.session() as session:
            return await session.get(JobRow, job_id)

    async def active_job_for(self, presentation_id: uuid.UUID) -> JobRow | None:
        async with self.session() as session:
            result = await session.execute(
                select(JobRow).where(
                    JobRow.presentation_id == presentation_id,
                    JobRow.status.in_(ACTIVE_JOB_STATUSES),
                )
            )
            return result.scalar_one_or_none()

    async def active_jobs(self) -> list[JobRow]:
        async with self.session() as session:
            result = await session.execute(
                select(JobRow)
                .where(JobRow.status.in_(ACTIVE_JOB_STATUSES))
                .order_by(JobRow.created_at)
            )
            return list(result.scalars())

    async def set_job_status(
        self,
        job_id: uuid.UUID,
        status: str,
        *,
        error: str | None = None,
        only_if_active: bool = True,
        count_attempt: bool = False,
    ) -> bool:
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if status not in ACTIVE_JOB_STATUSES:
            values["finished_at"] = utcnow()
        if error is not None:
            values["error"] = error
        if count_attempt:
            values["attempts"] = JobRow.attempts + 1
        statement = update(JobRow).where(JobRow.id == job_id)
        if only_if_active:
            statement = statement.where(JobRow.status.in_(ACTIVE_JOB_STATUSES))
        async with self.session() as session, session.begin():
            result = await session.execute(statement.values(**values))
            return bool(getattr(result, "rowcount", 0))

    # --- one-shot tasks -----------------------------------------------------------------

    async def add_task_with_job(self, task: TaskRow, job: JobRow) -> None:
        """A task and the job that runs it, in one transaction (never one without the other)."""
        async with self.session() as session, session.begin():
            session.add(job)
            await session.flush()
            session.add(task)

    async def get_task(self, task_id: str) -> TaskRow | None:
        async with self.session() as session:
            return await session.get(TaskRow, task_id)

    async def task_for_job(self, job_id: uuid.UUID) -> TaskRow | None:
        async with self.session() as session:
            result = await session.execute(select(TaskRow).where(TaskRow.job_id == job_id))
            return result.scalar_one_or_none()

    async def update_task(
        self, task_id: str, values: Mapping[str, Any], *, only_if_status: str | None = None
    ) -> bool:
        """Update a task; with `only_if_status`, only from that status (so of two
        processes ending one task, exactly one does). True if it changed."""
        statement = update(TaskRow).where(TaskRow.id == task_id)
        if only_if_status is not None:
            statement = statement.where(TaskRow.status == only_if_status)
        async with self.session() as session, session.begin():
            result = await session.execute(statement.values(**values, updated_at=utcnow()))
            return bool(getattr(result, "rowcount", 0))

    # --- webhooks -------------------------------------------------------------------------

    async def add_subscription(self, row: WebhookSubscriptionRow) -> WebhookSubscriptionRow:
        async with self.session() as session, session.begin():
            session.add(row)
        return row

    async def delete_subscription(self, subscription_id: str, owner: str | None = None) -> bool:
        """Delete a subscription; with `owner`, only if it is that owner's."""
        statement = delete(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.id == subscription_id
        )
        if owner is not None:
            statement = statement.where(WebhookSubscriptionRow.owner == owner)
        async with self.session() as session, session.begin():
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))

    async def subscriptions(
        self, event: str | None = None, owner: str | None = None
    ) -> list[WebhookSubscriptionRow]:
        statement = select(WebhookSubscriptionRow).order_by(WebhookSubscriptionRow.created_at)
        if event is not None:
            statement = statement.where(WebhookSubscriptionRow.event == event)
        if owner is not None:
            statement = statement.where(WebhookSubscriptionRow.owner == owner)
        async with self.session() as session:
            return list((await session.execute(statement)).scalars())

    async def get_subscription(self, subscription_id: str) -> WebhookSubscriptionRow | None:
        async with self.session() as session:
            return await session.get(WebhookSubscriptionRow, subscription_id)

    async def enqueue_deliveries(
        self, event: str, payload: dict[str, Any], owner: str | None
    ) -> int:
        """One pending delivery per subscription to `event` made by `owner` (the owner of
        the deck the event is about; None matches subscriptions made without keys), in one
        transaction."""
        async with self.session() as session, session.begin():
            ids = (
                await session.execute(
                    select(WebhookSubscriptionRow.id).where(
                        WebhookSubscriptionRow.event == event,
                        WebhookSubscriptionRow.owner.is_not_distinct_from(owner),
                    )
                )
            ).scalars()
            rows = [
                WebhookDeliveryRow(subscription_id=sid, event=event, payload=payload) for sid in ids
            ]
            session.add_all(rows)
            return len(rows)

    async def claim_due_deliveries(self, limit: int, lease: timedelta) -> list[WebhookDeliveryRow]:
        """Take up to `limit` due deliveries for this process: their next attempt moves
        `lease` ahead in the same transaction, so another process (API node or worker)
        does not attempt them too. A process that dies mid-attempt leaves the delivery
        due again when the lease runs out (at-least-once, as webhooks are)."""
        now = utcnow()
        async with self.session() as session, session.begin():
            result = await session.execute(
                select(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.status == "pending",
                    WebhookDeliveryRow.next_attempt_at <= now,
                )
                .order_by(WebhookDeliveryRow.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(result.scalars())
            if rows:
                await session.execute(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.id.in_([row.id for row in rows]))
                    .values(next_attempt_at=now + lease)
                )
            return rows

    async def next_delivery_due(self) -> datetime | None:
        async with self.session() as session:
            return await session.scalar(
                select(func.min(WebhookDeliveryRow.next_attempt_at)).where(
                    WebhookDeliveryRow.status == "pending"
                )
            )

    async def update_delivery(self, delivery_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        async with self.session() as session, session.begin():
            await session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(**values, updated_at=utcnow())
            )

    async def deliveries(
        self, subscription_id: str | None = None, limit: int = 100, owner: str | None = None
    ) -> list[WebhookDeliveryRow]:
        """Newest deliveries first; with `owner`, only to that owner's subscriptions."""
        statement = (
            select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.created_at.desc()).limit(limit)
        )
        if subscription_id is not None:
            statement = statement.where(WebhookDeliveryRow.subscription_id == subscription_id)
        if owner is not None:
            statement = statement.join(
                WebhookSubscriptionRow,
                WebhookSubscriptionRow.id == WebhookDeliveryRow.subscription_id,
            ).where(WebhookSubscriptionRow.owner == owner)
        async with self.session() as session:
            return list((await session.execute(statement)).scalars())

    # --- API keys, limits and shared secrets ------------------------------------------

    async def add_api_key(self, row: ApiKeyRow) -> ApiKeyRow:
        async with self.session() as session, session.begin():
            session.add(row)
        return row

    async def api_key_by_hash(self, key_hash: str) -> ApiKeyRow | None:
        """The key with this hash, revoked or not."""
        async with self.session() as session:
            result = await session.execute(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
            return result.scalar_one_or_none()

    async def get_api_key(self, key_id: str) -> ApiKeyRow | None:
        async with self.session() as session:
            return await session.get(ApiKeyRow, key_id)

    async def api_keys(self, *, include_revoked: bool = False) -> list[ApiKeyRow]:
        statement = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if not include_revoked:
            statement = statement.where(ApiKeyRow.revoked_at.is_(None))
        async with self.session() as session:
            return list((await session.execute(statement)).scalars())

    async def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key (kept, so what it made keeps its owner). False if it is unknown or
        revoked already."""
        async with self.session() as session, session.begin():
            result = await session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return bool(getattr(result, "rowcount", 0))

    @asynccontextmanager
    async def owner_lock(self, owner: str) -> AsyncIterator[None]:
        """Hold `owner`'s lock: one holder at a time across every process (a PostgreSQL
        advisory lock; on SQLite, whose deployments are one process, an in-process lock)."""
        if self._sqlite:
            async with self._owner_locks.setdefault(owner, asyncio.Lock()):
                yield
            return
        key = {"name": f"slidestream.owner:{owner}"}
        # Each holder keeps one pooled connection for the lock while its work takes others:
        # a few holders at a time, so the pool is never all held by waiting locks.
        async with self._lock_slots, self.session() as session:
            await session.execute(text("SELECT pg_advisory_lock(hashtext(:name))"), key)
            try:
                yield
            finally:
                await session.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), key)

    async def active_generations(self, owner: str) -> int:
        """Queued or running jobs on `owner`'s presentations."""
        async with self.session() as session:
            result = await session.execute(
                select(func.count())
                .select_from(JobRow)
                .join(PresentationRow, PresentationRow.id == JobRow.presentation_id)
                .where(PresentationRow.owner == owner, JobRow.status.in_(ACTIVE_JOB_STATUSES))
            )
            return int(result.scalar_one())

    async def generation_starts_since(
        self, owner: str, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many generations `owner` started since `since`, and the oldest of them."""
        async with self.session() as session:
            result = await session.execute(
                select(func.count(), func.min(GenerationStartRow.at)).where(
                    GenerationStartRow.owner == owner, GenerationStartRow.at >= since
                )
            )
            count, oldest = result.one()
        return int(count), oldest

    async def record_generation_start(self, owner: str, *, forget_before: datetime) -> None:
        """Count a generation for `owner`, dropping that owner's starts older than
        `forget_before` (nothing counts them any more)."""
        async with self.session() as session, session.begin():
            await session.execute(
                delete(GenerationStartRow).where(
                    GenerationStartRow.owner == owner, GenerationStartRow.at < forget_before
                )
            )
            session.add(GenerationStartRow(owner=owner))

    async def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The deployment-wide secret `name`, made with `make()` by whichever process asks
        first; every other process reads the same value."""
        async with self.session() as session:
            row = await session.get(ServerSecretRow, name)
            if row is not None:
                return row.value
        try:
            async with self.session() as session, session.begin():
                session.add(ServerSecretRow(name=name, value=make()))
        except IntegrityError:
            pass  # another process made it first: read theirs
        async with self.session() as session:
            row = await session.get(ServerSecretRow, name)
            assert row is not None
            return row.value
