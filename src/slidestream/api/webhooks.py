"""`/api/v1/webhook/...`: subscribe to generation events, unsubscribe, and see deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.tasks import (
    WebhookDeliveryModel,
    WebhookSubscribeRequest,
    WebhookSubscribeResponse,
    WebhookSubscriptionModel,
    WebhookUnsubscribeRequest,
)

router = APIRouter(prefix="/webhook", tags=["webhooks"])
ServicesDep = Annotated[Services, Depends(services)]


@router.post(
    "/subscribe",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookSubscribeResponse,
    responses={400: {"description": "Not an http(s) URL, or not a public address"}},
)
async def subscribe(
    body: WebhookSubscribeRequest, svc: ServicesDep, access: AccessDep
) -> WebhookSubscribeResponse:
    """Have `event` POSTed to `url` (signed with `secret` when one is given) for the decks
    of the calling key's owner."""
    row = await svc.webhooks.subscribe(body.url, body.secret, body.event, access.owner)
    return WebhookSubscribeResponse(id=row.id)


@router.delete(
    "/unsubscribe",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "Webhook subscription not found"}},
)
async def unsubscribe(
    body: WebhookUnsubscribeRequest, svc: ServicesDep, access: AccessDep
) -> Response:
    await svc.webhooks.unsubscribe(body.id, access.owner_filter)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/subscriptions", response_model=list[WebhookSubscriptionModel])
async def list_subscriptions(svc: ServicesDep, access: AccessDep) -> list[WebhookSubscriptionModel]:
    """The caller's subscriptions (an admin key's: every one). Secrets are never returned."""
    return [
        WebhookSubscriptionModel(
            id=row.id,
            url=row.url,
            event=row.event,
            has_secret=bool(row.secret),
            created_at=row.created_at,
        )
        for row in await svc.repository.subscriptions(owner=access.owner_filter)
    ]


@router.get("/deliveries", response_model=list[WebhookDeliveryModel])
async def list_deliveries(
    svc: ServicesDep,
    access: AccessDep,
    subscription_id: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WebhookDeliveryModel]:
    """Recent deliveries, newest first: status, attempts, last answer and next attempt."""
    rows = await svc.repository.deliveries(subscription_id, limit, owner=access.owner_filter)
    return [
        WebhookDeliveryModel(
            id=row.id,
            subscription_id=row.subscription_id,
            event=row.event,
            status=row.status,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            payload=row.payload,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
