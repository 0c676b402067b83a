"""My tasks, with deadlines; take a group callback, mark done, add a task."""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError
from callcenter.core.listing import listing, typed_filters
from callcenter.core.pages import (
    customer_names,
    field_errors,
    form_data,
    local_to_utc,
    page,
    parse_form,
    redirect,
    rollback,
    show,
    text,
)
from callcenter.core.schemas import Page
from callcenter.customers import service as customer_service
from callcenter.tasks import api as tasks_api
from callcenter.tasks import service as task_service
from callcenter.tasks.schemas import TaskIn, TaskOut, TaskQuery

# The filters a report's number leads with; any of them turns the page into that list.
FILTERS = ("assignee_id", "kind", "state", "from", "until")


async def filtered_tasks(ctx: Ctx, typed: dict[str, str]) -> Response:
    """The tasks behind a report's number: given on the shop's days ``from``..``until``
    (CALLCENTER_TIMEZONE, as the reports count), of a kind, an assignee and a state."""

    def fetch(query: TaskQuery) -> Awaitable[Page[TaskOut]]:
        return task_service.list_tasks(ctx.session, ctx.principal, query)

    found = await listing(ctx, typed, TaskQuery, fetch)
    return await show(
        ctx,
        "tasks_found.html",
        found.status_code,
        nav="tasks",
        customer_names=await customer_names(ctx, [t.customer_id for t in found.found.items]),
        **found.context(),
    )


@page
async def my_tasks(ctx: Ctx) -> Response:
    typed = typed_filters(ctx, FILTERS)
    if any(typed.values()):
        return await filtered_tasks(ctx, typed)
    done = ctx.request.query_params.get("done") == "1"
    query = TaskQuery(open=not done, limit=200)
    if ctx.principal.sees_everything:
        query = TaskQuery(open=not done, limit=200, assignee_id=ctx.principal.id)
    tasks = await task_service.list_tasks(ctx.session, ctx.principal, query)
    callbacks = None
    if ctx.principal.sees_everything and not done:
        # Group callbacks nobody took (operators see them in their own list already).
        group = await task_service.list_tasks(ctx.session, ctx.principal, TaskQuery(open=True))
        callbacks = [t for t in group.items if t.assignee_id is None and t.group_name]
    names = await customer_names(ctx, [t.customer_id for t in tasks.items])
    return await show(
        ctx,
        "tasks.html",
        nav="tasks",
        tasks=tasks,
        callbacks=callbacks,
        done=done,
        customer_names=names,
    )


@page
async def complete_task(ctx: Ctx) -> Response:
    task_id = int(ctx.request.path_params["task_id"])
    await tasks_api.complete_task(ctx, task_id)
    return redirect(_back(ctx, "/tasks"))


@page
async def take_task(ctx: Ctx) -> Response:
    task_id = int(ctx.request.path_params["task_id"])
    await tasks_api.take_task(ctx, task_id)
    return redirect(_back(ctx, "/tasks"))


def _back(ctx: Ctx, default: str) -> str:
    """Where a form came from, when it is one of our own pages."""
    referer = ctx.request.headers.get("referer", "")
    origin = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}/"
    return "/" + referer[len(origin) :] if referer.startswith(origin) else default


@page
async def new_task(ctx: Ctx) -> Response:
    customer = None
    raw_id = ctx.request.query_params.get("customer_id")
    if raw_id and raw_id.isdigit():
        customer = await customer_service.get_visible(ctx.session, ctx.principal, int(raw_id))
    if ctx.request.method == "GET":
        return await show(ctx, "task_form.html", nav="tasks", customer=customer, values={})
    form = await form_data(ctx)
    values = {
        "title": text(form, "title"),
        "note": text(form, "note"),
        "deadline": local_to_utc(text(form, "deadline"), text(form, "tz_offset")),
        "customer_id": customer.id if customer else None,
    }
    try:
        task = await tasks_api.create_task(ctx, parse_form(TaskIn, values))
    except ApiError as exc:
        await rollback(ctx)
        if customer is not None:
            customer = await customer_service.get_visible(ctx.session, ctx.principal, customer.id)
        shown = {**values, "deadline": text(form, "deadline")}
        return await show(
            ctx,
            "task_form.html",
            exc.status,
            nav="tasks",
            customer=customer,
            values=shown,
            errors=field_errors(exc),
        )
    return redirect(f"/customers/{task.customer_id}" if task.customer_id else "/tasks")


routes = [
    Route("/tasks", my_tasks, methods=["GET"]),
    Route("/tasks/new", new_task, methods=["GET", "POST"]),
    Route("/tasks/{task_id:int}/complete", complete_task, methods=["POST"]),
    Route("/tasks/{task_id:int}/take", take_task, methods=["POST"]),
]
