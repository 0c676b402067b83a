"""Calls, tasks and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.api.registry import ApiRouter, Ctx
from callcenter.errors import ApiError
from callcenter.models import AuditLog, Role
from callcenter.schemas import (
    AuditOut,
    AuditQuery,
    CallOut,
    CallQuery,
    OriginateIn,
    OriginateOut,
    Page,
    TaskIn,
    TaskOut,
    TaskQuery,
)
from callcenter.services import calls as call_service
from callcenter.services import tasks as task_service
from callcenter.services.paging import paginate
from callcenter.services.recordings import calls_out

router = ApiRouter()


@router.route(
    "/calls", "GET", summary="The call log", tag="calls", query=CallQuery, response=Page[CallOut]
)
async def list_calls(ctx: Ctx, query: CallQuery) -> Page[CallOut]:
    return await call_service.list_calls(ctx.session, ctx.principal, query)


@router.route("/calls/{call_id:int}", "GET", summary="Read a call", tag="calls", response=CallOut)
async def get_call(ctx: Ctx, call_id: int) -> CallOut:
    call = await call_service.get_visible(ctx.session, ctx.principal, call_id)
    return (await calls_out(ctx.session, [call]))[0]


@router.route(
    "/calls/originate",
    "POST",
    summary="Click-to-call: ring the manager's phone, then the customer's",
    tag="calls",
    body=OriginateIn,
    response=OriginateOut,
)
async def originate_call(ctx: Ctx, body: OriginateIn) -> OriginateOut:
    try:
        result = await call_service.originate(
            ctx.session,
            ctx.principal,
            ctx.request.app.state.telephony,
            body,
            ctx.settings.default_region,
        )
    except ApiError as exc:
        ctx.audit("call.originate", "call", exc.details.get("call_id"), failed=exc.code)
        await ctx.session.commit()
        raise
    ctx.audit("call.originate", "call", result.call_id, phone=result.phone)
    return result


@router.route(
    "/tasks", "GET", summary="List tasks", tag="tasks", query=TaskQuery, response=Page[TaskOut]
)
async def list_tasks(ctx: Ctx, query: TaskQuery) -> Page[TaskOut]:
    return await task_service.list_tasks(ctx.session, ctx.principal, query)


@router.route(
    "/tasks",
    "POST",
    summary="Create a task",
    tag="tasks",
    body=TaskIn,
    response=TaskOut,
    status=201,
)
async def create_task(ctx: Ctx, body: TaskIn) -> TaskOut:
    task = await task_service.create(ctx.session, ctx.principal, body)
    ctx.audit("task.create", "task", task.id, assignee_id=task.assignee_id)
    return task_service.task_out(task)


@router.route("/tasks/{task_id:int}", "GET", summary="Read a task", tag="tasks", response=TaskOut)
async def get_task(ctx: Ctx, task_id: int) -> TaskOut:
    return task_service.task_out(
        await task_service.get_visible(ctx.session, ctx.principal, task_id)
    )


@router.route(
    "/tasks/{task_id:int}/complete",
    "POST",
    summary="Complete a task",
    tag="tasks",
    response=TaskOut,
)
async def complete_task(ctx: Ctx, task_id: int) -> TaskOut:
    task = await task_service.get_visible(ctx.session, ctx.principal, task_id)
    await task_service.complete(ctx.session, task)
    ctx.audit("task.complete", "task", task.id)
    return task_service.task_out(task)


@router.route(
    "/tasks/{task_id:int}/take",
    "POST",
    summary="Take a group callback as your own",
    tag="tasks",
    response=TaskOut,
)
async def take_task(ctx: Ctx, task_id: int) -> TaskOut:
    task = await task_service.get_visible(ctx.session, ctx.principal, task_id)
    await task_service.take(ctx.session, ctx.principal, task)
    ctx.audit("task.take", "task", task.id)
    return task_service.task_out(task)


@router.route(
    "/audit",
    "GET",
    summary="The audit log, newest first (supervisors and admins)",
    tag="audit",
    query=AuditQuery,
    response=Page[AuditOut],
    roles=[Role.SUPERVISOR, Role.ADMIN],
)
async def list_audit(ctx: Ctx, query: AuditQuery) -> Page[AuditOut]:
    stmt = select(AuditLog)
    for name in ("action", "actor_id", "target_type", "target_id"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(AuditLog, name) == value)
    return await paginate(
        ctx.session, stmt, query, AuditLog.id.desc(), convert=AuditOut.model_validate
    )
