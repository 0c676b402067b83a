"""What a pop fetches once it shows: the caller's last calls and open tasks."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from callcenter.calls import service as call_service
from callcenter.calls.schemas import CallQuery
from callcenter.core.api import Ctx
from callcenter.core.errors import Invalid
from callcenter.core.pages import (
    page,
    show,
)
from callcenter.tasks import service as task_service
from callcenter.tasks.schemas import TaskQuery


@page
async def pop_extra(ctx: Ctx) -> Response:
    """Filled into a pop after it shows: the customer's last calls and open tasks, each as
    this user may see them."""
    try:
        customer_id = int(ctx.request.query_params.get("customer_id", ""))
    except ValueError:
        raise Invalid("customer_id", "an integer is required") from None
    calls = await call_service.list_calls(
        ctx.session, ctx.principal, CallQuery(customer_id=customer_id, limit=5)
    )
    tasks = await task_service.list_tasks(
        ctx.session, ctx.principal, TaskQuery(customer_id=customer_id, open=True, limit=5)
    )
    return await show(ctx, "pop_extra.html", calls=calls, tasks=tasks)


routes = [Route("/pop/extra", pop_extra, methods=["GET"])]
