"""Outgoing webhooks: endpoints per tenant, their delivery log, and the event catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from meetmind.api.deps import ObjectId, TenantDep
from meetmind.api.schemas import ErrorBody, NulFreeStr
from meetmind.domain.feed import EVENT_TYPES
from meetmind.domain.models import WebhookDelivery, WebhookEndpoint
from meetmind.sdk import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/sdk", tags=["webhooks"])
_errors: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 422)
}


class WebhookCreate(BaseModel):
    """Register an endpoint."""

    url: NulFreeStr = Field(max_length=2048, examples=["https://app.example.com/meetmind/webhooks"])
    event_types: list[str] = Field(
        default_factory=lambda: ["*"], examples=[["transcript.turn", "agent.*"]]
    )


class WebhookOut(BaseModel):
    """An endpoint; ``secret`` is present only in the answer to its creation."""

    id: str
    url: str
    event_types: list[str]
    created_at: datetime
    secret: str | None = None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        """From the SDK's record."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            event_types=list(endpoint.event_types),
            created_at=endpoint.created_at,
            secret=endpoint.secret,
        )


class DeliveryOut(BaseModel):
    """One delivery attempt series."""

    id: int
    endpoint_id: str
    session_id: str
    event_id: int
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        """From the SDK's record."""
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            session_id=delivery.session_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            message_id=delivery.message_id,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


@router.post("/webhooks", status_code=201, responses=_errors)
async def create_webhook(body: WebhookCreate, tenant: TenantDep) -> WebhookOut:
    """Register an endpoint; keep the returned `secret` to verify signatures."""
    return WebhookOut.of(await tenant.create_webhook(body.url, body.event_types))


@router.get("/webhooks", responses=_errors)
async def list_webhooks(tenant: TenantDep) -> dict[str, list[WebhookOut]]:
    """The tenant's endpoints."""
    return {"data": [WebhookOut.of(e) for e in await tenant.webhooks()]}


@router.delete("/webhooks/{endpoint_id}", status_code=204, responses=_errors)
async def delete_webhook(endpoint_id: ObjectId, tenant: TenantDep) -> Response:
    """Remove an endpoint."""
    await tenant.delete_webhook(endpoint_id)
    return Response(status_code=204)


@router.get("/webhooks/{endpoint_id}/deliveries", responses=_errors)
async def list_deliveries(
    endpoint_id: ObjectId,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> dict[str, list[DeliveryOut]]:
    """The endpoint's delivery log, newest first."""
    deliveries = await tenant.webhook_deliveries(endpoint_id, limit=limit)
    return {"data": [DeliveryOut.of(d) for d in deliveries]}


@router.get("/event-types")
async def event_types() -> dict[str, dict[str, str]]:
    """Every event type of the live feed and the webhooks, with its meaning."""
    return {"data": dict(EVENT_TYPES)}
