"""Webhooks in the API: admins only (a webhook's URL and secret decide where the shop's data
goes)."""

from __future__ import annotations

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import Role
from callcenter.core.schemas import Page
from callcenter.services import services_of
from callcenter.webhooks import service
from callcenter.webhooks.guard import AllowList
from callcenter.webhooks.outbox import EVENT_TYPES
from callcenter.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryQuery,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointsOut,
    SecretOut,
)

router = ApiRouter()
TAG = "webhooks"
ADMIN = [Role.ADMIN]
ENDPOINT = "/webhooks/endpoints/{endpoint_id:int}"


def _allow(ctx: Ctx) -> AllowList:
    return AllowList.parse(ctx.settings.webhook_allow_list)


def _wake(ctx: Ctx) -> None:
    ctx.after_commit.append(services_of(ctx.request).webhooks.wake)


def _changed(ctx: Ctx) -> None:
    ctx.after_commit.append(services_of(ctx.request).webhooks.endpoints_changed)


@router.route(
    "/webhooks/endpoints",
    "GET",
    summary="Webhook endpoints (admin)",
    tag=TAG,
    response=EndpointsOut,
    roles=ADMIN,
)
async def list_endpoints(ctx: Ctx) -> EndpointsOut:
    return EndpointsOut(items=await service.list_endpoints(ctx.session), events=list(EVENT_TYPES))


@router.route(
    "/webhooks/endpoints",
    "POST",
    summary="Add a webhook endpoint; the answer shows its secret this once (admin)",
    tag=TAG,
    body=EndpointIn,
    response=EndpointCreated,
    status=201,
    roles=ADMIN,
)
async def create_endpoint(ctx: Ctx, body: EndpointIn) -> EndpointCreated:
    endpoint = await service.create(ctx.session, body, _allow(ctx))
    ctx.audit("webhook.create", "webhook", endpoint.id, url=endpoint.url, events=endpoint.events)
    _changed(ctx)
    out = await service.one_endpoint(ctx.session, endpoint)
    return EndpointCreated(**out.model_dump(), secret=endpoint.secret)


@router.route(
    ENDPOINT, "GET", summary="One webhook endpoint (admin)", tag=TAG, response=EndpointOut,
    roles=ADMIN,
)  # fmt: skip
async def get_endpoint(ctx: Ctx, endpoint_id: int) -> EndpointOut:
    endpoint = await service.get_endpoint(ctx.session, endpoint_id)
    return await service.one_endpoint(ctx.session, endpoint)


@router.route(
    ENDPOINT,
    "PATCH",
    summary="Change a webhook endpoint: name, URL, events, on or off (admin)",
    tag=TAG,
    body=EndpointPatch,
    response=EndpointOut,
    roles=ADMIN,
)
async def change_endpoint(ctx: Ctx, endpoint_id: int, body: EndpointPatch) -> EndpointOut:
    endpoint = await service.get_endpoint(ctx.session, endpoint_id)
    await service.change(ctx.session, endpoint, body, _allow(ctx))
    ctx.audit("webhook.update", "webhook", endpoint.id, **body.model_dump(exclude_none=True))
    _changed(ctx)
    return await service.one_endpoint(ctx.session, endpoint)


@router.route(
    ENDPOINT, "DELETE", summary="Remove a webhook endpoint and its deliveries (admin)", tag=TAG,
    status=204, roles=ADMIN,
)  # fmt: skip
async def delete_endpoint(ctx: Ctx, endpoint_id: int) -> None:
    endpoint = await service.get_endpoint(ctx.session, endpoint_id)
    await ctx.session.delete(endpoint)
    ctx.audit("webhook.delete", "webhook", endpoint_id, url=endpoint.url)
    _changed(ctx)


@router.route(
    f"{ENDPOINT}/secret",
    "POST",
    summary="Make a new secret; the old one stops signing at once (admin)",
    tag=TAG,
    response=SecretOut,
    roles=ADMIN,
)
async def rotate_secret(ctx: Ctx, endpoint_id: int) -> SecretOut:
    endpoint = await service.get_endpoint(ctx.session, endpoint_id)
    endpoint.secret = service.new_secret()
    ctx.audit("webhook.secret", "webhook", endpoint.id)
    return SecretOut(secret=endpoint.secret)


@router.route(
    f"{ENDPOINT}/resume",
    "POST",
    summary="Resume a paused endpoint: its waiting deliveries go now, in order (admin)",
    tag=TAG,
    response=EndpointOut,
    roles=ADMIN,
)
async def resume_endpoint(ctx: Ctx, endpoint_id: int) -> EndpointOut:
    endpoint = await service.get_endpoint(ctx.session, endpoint_id)
    waiting = await service.resume(ctx.session, endpoint)
    ctx.audit("webhook.resume", "webhook", endpoint.id, waiting=waiting)
    _wake(ctx)
    return await service.one_endpoint(ctx.session, endpoint)


@router.route(
    "/webhooks/deliveries",
    "GET",
    summary="The delivery log, newest first (admin)",
    tag=TAG,
    query=DeliveryQuery,
    response=Page[DeliveryOut],
    roles=ADMIN,
)
async def list_deliveries(ctx: Ctx, query: DeliveryQuery) -> Page[DeliveryOut]:
    return await service.list_deliveries(ctx.session, query)


@router.route(
    "/webhooks/deliveries/{delivery_id:int}",
    "GET",
    summary="One delivery: the event as sent and every try with its answer (admin)",
    tag=TAG,
    response=DeliveryDetail,
    roles=ADMIN,
)
async def get_delivery(ctx: Ctx, delivery_id: int) -> DeliveryDetail:
    delivery = await service.get_delivery(ctx.session, delivery_id)
    return await service.delivery_detail(ctx.session, delivery)


@router.route(
    "/webhooks/deliveries/{delivery_id:int}/send-again",
    "POST",
    summary="Send a delivery again now: the same event id and body (admin)",
    tag=TAG,
    response=DeliveryDetail,
    roles=ADMIN,
)
async def send_again(ctx: Ctx, delivery_id: int) -> DeliveryDetail:
    delivery = await service.get_delivery(ctx.session, delivery_id)
    await service.send_again(ctx.session, delivery)
    ctx.audit("webhook.send_again", "webhook_delivery", delivery.id, event_id=delivery.event_id)
    _wake(ctx)
    return await service.delivery_detail(ctx.session, delivery)
