"""Tasks: manual ones and missed-call callbacks, each with an assignee and a deadline."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Conflict, Forbidden, Invalid, NotFound
from callcenter.core.models import Call, Customer, Manager, Task, table_of, to_utc_naive, utcnow
from callcenter.core.paging import paginate, within
from callcenter.core.schemas import Page
from callcenter.tasks.schemas import TaskIn, TaskOut, TaskQuery
from callcenter.webhooks.events import callback_event

CALLBACK = "callback"  # the kind tasks/callbacks.py makes


def task_out(task: Task) -> TaskOut:
    now = utcnow()
    overdue = task.done_at is None and task.deadline is not None and task.deadline < now
    return TaskOut.model_validate({**_columns(task), "overdue": overdue})


def _columns(task: Task) -> dict[str, object]:
    return {c.key: getattr(task, c.key) for c in table_of(Task).columns}


async def create(session: AsyncSession, principal: Principal, body: TaskIn) -> Task:
    assignee_id = body.assignee_id if body.assignee_id is not None else principal.id
    if assignee_id != principal.id and not principal.sees_everything:
        raise Forbidden("operators can only create tasks for themselves")
    if await session.get(Manager, assignee_id) is None:
        raise Invalid("assignee_id", f"no manager with id {assignee_id}")
    if body.customer_id is not None and await session.get(Customer, body.customer_id) is None:
        raise Invalid("customer_id", f"no customer with id {body.customer_id}")
    if body.call_id is not None and await session.get(Call, body.call_id) is None:
        raise Invalid("call_id", f"no call with id {body.call_id}")
    task = Task(
        title=body.title,
        note=body.note,
        customer_id=body.customer_id,
        call_id=body.call_id,
        assignee_id=assignee_id,
        created_by_id=principal.id,
        deadline=to_utc_naive(body.deadline) if body.deadline else None,
    )
    session.add(task)
    await session.flush()
    return task


async def get_visible(session: AsyncSession, principal: Principal, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task with id {task_id}")
    if not principal.sees_everything and not (
        task.assignee_id == principal.id or (task.assignee_id is None and task.group_name)
    ):
        raise Forbidden("this task is assigned to someone else")
    return task


async def take(session: AsyncSession, principal: Principal, task: Task) -> None:
    """A group callback becomes the caller's own."""
    if task.done_at is not None:
        raise Conflict(f"task {task.id} was already completed", code="already_done")
    if task.assignee_id not in (None, principal.id):
        raise Conflict(f"task {task.id} is already taken", code="already_taken")
    task.assignee_id = principal.id
    await session.flush()


async def complete(session: AsyncSession, task: Task) -> None:
    if task.done_at is not None:
        raise Conflict(f"task {task.id} was already completed", code="already_done")
    task.done_at = utcnow()
    await session.flush()
    if task.kind == CALLBACK:
        call = await session.get(Call, task.call_id) if task.call_id else None
        await callback_event(session, task, "closed", call)


def _state(state: str) -> ColumnElement[bool]:
    """The reports' rule: a task was closed on time when it was done no later than its
    deadline, or it had none."""
    on_time = Task.done_at.is_not(None) & (
        Task.deadline.is_(None) | (Task.done_at <= Task.deadline)
    )
    if state == "open":
        return Task.done_at.is_(None)
    if state == "closed":
        return Task.done_at.is_not(None)
    if state == "on_time":
        return on_time
    return Task.deadline.is_not(None) & (
        (Task.done_at > Task.deadline) | (Task.done_at.is_(None) & (Task.deadline < utcnow()))
    )


def _given(query: Select[tuple[Task]], q: TaskQuery) -> Select[tuple[Task]]:
    """The filters a report's number leads with: kind, the days it was given, its state."""
    query = within(query, Task.created_at, q.from_, q.until)
    if q.kind:
        query = query.where(Task.kind == q.kind)
    if q.state is not None:
        query = query.where(_state(q.state))
    return query


async def list_tasks(session: AsyncSession, principal: Principal, q: TaskQuery) -> Page[TaskOut]:
    query = select(Task)
    if not principal.sees_everything:
        if q.assignee_id is not None and q.assignee_id != principal.id:
            raise Forbidden("operators see their own tasks only")
        # Their own, and the group's callbacks nobody has taken yet.
        query = query.where(
            (Task.assignee_id == principal.id)
            | (Task.assignee_id.is_(None) & Task.group_name.is_not(None))
        )
    if q.assignee_id is not None:
        query = query.where(Task.assignee_id == q.assignee_id)
    if q.customer_id is not None:
        query = query.where(Task.customer_id == q.customer_id)
    if q.open is not None:
        query = query.where(Task.done_at.is_(None) if q.open else Task.done_at.is_not(None))
    if q.overdue is not None:
        late = Task.done_at.is_(None) & (Task.deadline < utcnow())
        query = query.where(late if q.overdue else ~late | Task.deadline.is_(None))
    query = _given(query, q)
    order = (Task.done_at.is_not(None), Task.deadline.asc().nulls_last(), Task.id)
    return await paginate(session, query, q, *order, convert=task_out)
