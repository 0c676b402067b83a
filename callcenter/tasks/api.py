"""Tasks: list, create, read, complete, take a group callback."""

from __future__ import annotations

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.schemas import Page
from callcenter.tasks import service as task_service
from callcenter.tasks.schemas import TaskIn, TaskOut, TaskQuery

router = ApiRouter()


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
