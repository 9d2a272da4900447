"""Webhooks: subscriptions, signed deliveries, retries with backoff.

Publishing an event only writes delivery rows (one per subscription) and wakes the
dispatcher; generation never waits for a receiver. The dispatcher posts each delivery
through the SSRF-safe fetcher, signs it, and retries failures with jittered exponential
backoff until it is delivered or out of attempts. Deliveries are rows, so a restart picks
up where the last process stopped, and every attempt is visible through the API.

Signature: `X-Slidestream-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the secret>` (a receiver recomputes it and rejects old `t`).
Presenton's receivers check `Authorization: Bearer <secret>` instead; it is sent too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from datetime import timedelta
from typing import Any

from slidestream.assets.net import FetchFailed, SafeFetcher, validate_public_url
from slidestream.errors import InvalidInput, NotFound
from slidestream.settings import Settings
from slidestream.storage.models import WebhookDeliveryRow, WebhookSubscriptionRow, utcnow
from slidestream.storage.repository import Repository

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Slidestream-Signature"
EVENT_HEADER = "X-Slidestream-Event"
DELIVERY_HEADER = "X-Slidestream-Delivery"
BATCH = 20


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: float = 300) -> bool:
    """What a receiver does: recompute the signature and check its age."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookService:
    def __init__(self, repository: Repository, settings: Settings) -> None:
        self.repository = repository
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetcher: SafeFetcher | None = None

    # --- subscriptions --------------------------------------------------------------------

    async def subscribe(
        self, url: str, secret: str | None, event: str, owner: str | None = None
    ) -> WebhookSubscriptionRow:
        """Subscribe `owner` (an API key's name; None without keys) to `event` on its own
        decks."""
        if not url.lower().startswith(("http://", "https://")):
            raise InvalidInput("The webhook URL must start with http:// or https://")
        url = await validate_public_url(url, allow_hosts=self.settings.fetch_allow_hosts)
        row = WebhookSubscriptionRow(
            id="webhook-" + secrets.token_hex(32),
            url=url,
            secret=secret or None,
            event=event,
            owner=owner,
        )
        await self.repository.add_subscription(row)
        log.info("webhook.subscribed id=%s event=%s", row.id, event)
        return row

    async def unsubscribe(self, subscription_id: str, owner_filter: str | None = None) -> None:
        """Delete a subscription; with `owner_filter`, only that owner's (any other is "not
        found")."""
        if not await self.repository.delete_subscription(subscription_id, owner_filter):
            raise NotFound("Webhook subscription not found")

    # --- publishing -----------------------------------------------------------------------

    async def publish(self, event: str, payload: dict[str, Any], owner: str | None) -> None:
        """Queue `event` for the subscribers of `owner`, the owner of the deck it is about
        (never another owner's); returns at once (never fails generation)."""
        try:
            count = await self.repository.enqueue_deliveries(event, payload, owner)
        except Exception:
            log.exception("webhook.enqueue_failed event=%s", event)
            return
        if count:
            self._wake.set()

    # --- dispatching ----------------------------------------------------------------------

    def start(self) -> None:
        self._fetcher = SafeFetcher(
            allow_hosts=self.settings.fetch_allow_hosts,
            timeout=self.settings.webhook_timeout_seconds,
            max_bytes=64_000,
        )
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    @property
    def _lease(self) -> timedelta:
        """How long a claimed delivery is this process's: longer than one attempt."""
        return timedelta(seconds=self.settings.webhook_timeout_seconds * 2 + 30)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                due = await self.repository.claim_due_deliveries(BATCH, self._lease)
                if due:
                    await asyncio.gather(*(self._attempt(d) for d in due))
                    continue
                next_due = await self.repository.next_delivery_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook.dispatch_error")
                next_due = None
            wait = 60.0
            if next_due is not None:
                if next_due.tzinfo is None:
                    next_due = next_due.replace(tzinfo=utcnow().tzinfo)
                wait = min(wait, max((next_due - utcnow()).total_seconds(), 0.0))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    def _backoff(self, attempts: int) -> float:
        base = self.settings.webhook_backoff_initial * 2.0 ** (attempts - 1)
        capped = min(base, self.settings.webhook_backoff_max)
        return capped * random.uniform(0.5, 1.0)

    async def _attempt(self, delivery: WebhookDeliveryRow) -> None:
        assert self._fetcher is not None
        subscription = await self.repository.get_subscription(delivery.subscription_id)
        if subscription is None:
            return  # unsubscribed: the delivery went with it (cascade)
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.id),
        }
        if subscription.secret:
            headers[SIGNATURE_HEADER] = sign(subscription.secret, int(time.time()), body)
            headers["Authorization"] = f"Bearer {subscription.secret}"
        attempts = delivery.attempts + 1
        status_code: int | None = None
        error: str | None = None
        try:
            result = await self._fetcher.request(
                "POST",
                subscription.url,
                content=body,
                headers=headers,
                follow_redirects=False,
                read_body=False,
            )
            status_code = result.status_code
            if not 200 <= status_code < 300:
                error = f"The receiver answered HTTP {status_code}"
        except (FetchFailed, InvalidInput) as failure:
            error = failure.detail
        except Exception as failure:  # any network error is a failed attempt, not a crash
            error = f"Delivery failed: {failure.__class__.__name__}"
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": status_code,
            "last_error": error,
        }
        if error is None:
            values["status"] = "delivered"
        elif attempts >= self.settings.webhook_max_attempts:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = utcnow() + timedelta(seconds=self._backoff(attempts))
        await self.repository.update_delivery(delivery.id, values)
        log.info(
            "webhook.attempt delivery_id=%s attempt=%d status=%s error=%s",
            delivery.id,
            attempts,
            status_code,
            error,
        )
