"""Per-key generation limits: how many generations one key's owner may have queued or
running, and how many it may start in an hour. Counted in the database, so they hold across
every API process. A request over a limit is refused (429 with `Retry-After`) before
anything starts; what already runs is never touched.

Checking and starting are one step per owner: `admitted` holds the owner's lock (across
processes) from the count until the new job is stored, so requests that arrive together
cannot all read the same count and all start."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from slidestream.access import Access
from slidestream.errors import LimitExceeded
from slidestream.settings import Settings
from slidestream.storage.models import utcnow
from slidestream.storage.repository import Repository

HOUR = timedelta(hours=1)
# A generation takes tens of seconds to minutes; retrying sooner than this rarely helps.
ACTIVE_RETRY_SECONDS = 10


class GenerationLimits:
    def __init__(self, repository: Repository, settings: Settings) -> None:
        self.repository = repository
        self.settings = settings

    @asynccontextmanager
    async def admitted(
        self, access: Access, *, replacing: uuid.UUID | None = None
    ) -> AsyncIterator[None]:
        """Start a generation inside this block, or get `LimitExceeded` on entering it.
        The generation is counted when the block ends without an error. `replacing`: the
        presentation whose running job the new one replaces (it does not count against
        the concurrent limit)."""
        if not access.limited or access.owner is None:
            yield
            return
        owner = access.owner
        async with self.repository.owner_lock(owner):
            await self._check(owner, replacing)
            yield
            await self.repository.record_generation_start(owner, forget_before=utcnow() - HOUR)

    async def _check(self, owner: str, replacing: uuid.UUID | None) -> None:
        most = self.settings.key_max_active_generations
        if most:
            active = await self.repository.active_generations(owner)
            if replacing is not None and await self.repository.active_job_for(replacing):
                active -= 1
            if active >= most:
                raise LimitExceeded(
                    f"This key already has {active} generations running (the limit is "
                    f"{most}); wait for one to finish",
                    retry_after=ACTIVE_RETRY_SECONDS,
                )
        per_hour = self.settings.key_generations_per_hour
        now = utcnow()
        if per_hour:
            count, oldest = await self.repository.generation_starts_since(owner, now - HOUR)
            if count >= per_hour:
                wait = HOUR.total_seconds()
                if oldest is not None:
                    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
                    wait = (oldest + HOUR - now).total_seconds()
                raise LimitExceeded(
                    f"This key started {count} generations in the last hour (the limit is "
                    f"{per_hour})",
                    retry_after=wait,
                )
