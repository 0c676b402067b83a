from __future__ import annotations

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import Role
from callcenter.core.schemas import Page
from callcenter.live.board import manager_entry
from callcenter.managers import service
from callcenter.managers.schemas import (
    ManagerIn,
    ManagerOut,
    ManagerPatch,
    ManagerQuery,
    ManagerStatusIn,
    MeOut,
)
from callcenter.services import services_of

router = ApiRouter()
TAG = "managers"


@router.route("/me", "GET", summary="The logged-in user", tag=TAG, response=MeOut)
async def me(ctx: Ctx) -> MeOut:
    return MeOut(manager=ManagerOut.model_validate(ctx.principal.manager), auth=ctx.principal.via)


@router.route(
    "/managers",
    "GET",
    summary="List managers",
    tag=TAG,
    query=ManagerQuery,
    response=Page[ManagerOut],
)
async def list_managers(ctx: Ctx, query: ManagerQuery) -> Page[ManagerOut]:
    return await service.list_managers(ctx.session, query)


@router.route(
    "/managers",
    "POST",
    summary="Create a manager (admin)",
    tag=TAG,
    body=ManagerIn,
    response=ManagerOut,
    status=201,
    roles=[Role.ADMIN],
)
async def create_manager(ctx: Ctx, body: ManagerIn) -> ManagerOut:
    manager = await service.create(ctx.session, body)
    ctx.audit("manager.create", "manager", manager.id, login=manager.login, role=manager.role)
    return ManagerOut.model_validate(manager)


@router.route(
    "/managers/{manager_id:int}", "GET", summary="Read a manager", tag=TAG, response=ManagerOut
)
async def get_manager(ctx: Ctx, manager_id: int) -> ManagerOut:
    return ManagerOut.model_validate(await service.get(ctx.session, manager_id))


@router.route(
    "/managers/{manager_id:int}",
    "PATCH",
    summary="Update a manager (admin; others may change their own name and password)",
    tag=TAG,
    body=ManagerPatch,
    response=ManagerOut,
)
async def update_manager(ctx: Ctx, body: ManagerPatch, manager_id: int) -> ManagerOut:
    manager = await service.get(ctx.session, manager_id)
    old_role = manager.role
    changed = await service.update(ctx.session, ctx.principal, manager, body)
    if "role" in changed:
        ctx.audit("manager.role", "manager", manager.id, old=old_role, new=manager.role)
    if changed:
        ctx.audit("manager.update", "manager", manager.id, fields=changed)
    return ManagerOut.model_validate(manager)


@router.route(
    "/managers/{manager_id:int}/status",
    "PUT",
    summary="Set presence",
    tag=TAG,
    body=ManagerStatusIn,
    response=ManagerOut,
)
async def set_status(ctx: Ctx, body: ManagerStatusIn, manager_id: int) -> ManagerOut:
    manager = await service.get(ctx.session, manager_id)
    if await service.set_status(ctx.session, ctx.principal, manager, body.status):
        ctx.audit("manager.status", "manager", manager.id, status=body.status)
        ctx.after_commit.append(services_of(ctx.request).routing.invalidate)
        board = services_of(ctx.request).live_board
        entry = manager_entry(manager)
        ctx.after_commit.append(lambda: board.put_manager(entry))
    return ManagerOut.model_validate(manager)
