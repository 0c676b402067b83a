"""The desk, an operator's start page: open tasks and recent calls."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from callcenter.calls import service as call_service
from callcenter.calls.schemas import CallQuery
from callcenter.core.api import Ctx
from callcenter.core.pages import customer_names, page, show
from callcenter.tasks import service as task_service
from callcenter.tasks.schemas import TaskQuery


@page
async def desk(ctx: Ctx) -> Response:
    me = ctx.principal.id
    tasks = await task_service.list_tasks(
        ctx.session, ctx.principal, TaskQuery(open=True, limit=10, assignee_id=me)
    )
    calls = await call_service.list_calls(
        ctx.session, ctx.principal, CallQuery(manager_id=me, limit=10)
    )
    names = await customer_names(ctx, [t.customer_id for t in tasks.items])
    return await show(ctx, "desk.html", nav="desk", tasks=tasks, calls=calls, customer_names=names)


routes = [Route("/", desk, methods=["GET"])]
