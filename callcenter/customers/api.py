from __future__ import annotations

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.schemas import Page
from callcenter.customers import service
from callcenter.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    CustomerQuery,
    LookupQuery,
)

router = ApiRouter()
TAG = "customers"


@router.route(
    "/customers",
    "GET",
    summary="List customers",
    tag=TAG,
    query=CustomerQuery,
    response=Page[CustomerOut],
)
async def list_customers(ctx: Ctx, query: CustomerQuery) -> Page[CustomerOut]:
    return await service.list_customers(
        ctx.session, ctx.principal, query, ctx.settings.default_region
    )


@router.route(
    "/customers/lookup",
    "GET",
    summary="Find a customer by phone, in any format",
    tag=TAG,
    query=LookupQuery,
    response=CustomerOut,
)
async def lookup_customer(ctx: Ctx, query: LookupQuery) -> CustomerOut:
    customer = await service.lookup(ctx.session, query.phone, ctx.settings.default_region)
    return service.customer_out(customer)


@router.route(
    "/customers",
    "POST",
    summary="Create a customer",
    tag=TAG,
    body=CustomerIn,
    response=CustomerOut,
    status=201,
)
async def create_customer(ctx: Ctx, body: CustomerIn) -> CustomerOut:
    customer = await service.create(ctx.session, ctx.principal, body, ctx.settings.default_region)
    ctx.audit("customer.create", "customer", customer.id)
    return service.customer_out(customer)


@router.route(
    "/customers/{customer_id:int}", "GET", summary="Read a customer", tag=TAG, response=CustomerOut
)
async def get_customer(ctx: Ctx, customer_id: int) -> CustomerOut:
    return service.customer_out(await service.get_visible(ctx.session, ctx.principal, customer_id))


@router.route(
    "/customers/{customer_id:int}",
    "PATCH",
    summary="Update a customer",
    tag=TAG,
    body=CustomerPatch,
    response=CustomerOut,
)
async def update_customer(ctx: Ctx, body: CustomerPatch, customer_id: int) -> CustomerOut:
    customer = await service.get_visible(ctx.session, ctx.principal, customer_id)
    changes = await service.update(
        ctx.session, ctx.principal, customer, body, ctx.settings.default_region
    )
    if changes:
        ctx.audit("customer.update", "customer", customer.id, fields=sorted(changes))
    return service.customer_out(customer)
