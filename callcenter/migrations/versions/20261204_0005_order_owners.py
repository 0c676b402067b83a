"""order owners: personal managers who cannot take calls are cleared, then chosen again

A shop that pushed its orders with an admin's API token made that admin the manager of every
order, and after two completed orders the personal manager of every regular customer; a
deactivated manager kept their customers too. Since 0005's release only a manager who takes
calls (active, with an extension) owns an order or a customer. This repairs the data:

1. every customer whose personal manager is deactivated or has no extension loses them;
2. each of those customers gets one again by the rule that chose one in the first place
   (``callcenter.routing.regulars``): with at least ``regular_after_orders`` completed orders
   (the routing setting, default 2; 0 turns it off), the manager of their last completed order,
   else of their last answered call, counting only managers who take calls; else nobody;
3. each change is written to the audit log (``customer.personal_manager``, no actor,
   ``"by": "migration 0005"``, with the previous manager).

Orders are left as they are. Their manager may be the token's admin, but nothing recorded says
whether an order came through a token or was keyed in on a page (the audit log keeps the actor,
not how they logged in), so clearing them would also take orders away from managers who really
took them and have since left. The rule that chooses personal managers passes over such orders,
so they no longer make anyone a personal manager.

No SQL text: Core statements over the tables as they are at 0004, on SQLite and PostgreSQL
alike. A data fix has nothing to undo: the downgrade leaves the data as it is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEFAULT_THRESHOLD = 2
CHUNK = 500

managers = sa.table(
    "managers", sa.column("id", sa.Integer), sa.column("is_active", sa.Boolean),
    sa.column("extension", sa.String),
)  # fmt: skip
customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("manager_id", sa.Integer))
orders = sa.table(
    "orders", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
    sa.column("manager_id", sa.Integer), sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime),
)  # fmt: skip
calls = sa.table(
    "calls", sa.column("customer_id", sa.Integer), sa.column("manager_id", sa.Integer),
    sa.column("status", sa.String), sa.column("started_at", sa.DateTime),
)  # fmt: skip
app_settings = sa.table("app_settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
audit_log = sa.table(
    "audit_log", sa.column("at", sa.DateTime), sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String), sa.column("target_type", sa.String),
    sa.column("target_id", sa.String), sa.column("details", sa.JSON), sa.column("ip", sa.String),
)  # fmt: skip

# Manager.takes_calls as it is at 0005.
TAKES_CALLS = sa.and_(
    managers.c.is_active.is_(True), managers.c.extension.is_not(None), managers.c.extension != ""
)


def _threshold(bind: sa.Connection) -> int:
    value = bind.execute(
        sa.select(app_settings.c.value).where(app_settings.c.key == "routing")
    ).scalar()
    raw = value.get("regular_after_orders") if isinstance(value, dict) else None
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else DEFAULT_THRESHOLD


def _rechosen() -> sa.ColumnElement[Any]:
    """The regulars rule for the customer being updated: the manager of the last completed
    order, else of the last answered call, among managers who take calls."""
    by_order = (
        sa.select(orders.c.manager_id)
        .join(managers, managers.c.id == orders.c.manager_id)
        .where(orders.c.customer_id == customers.c.id, orders.c.status == "complete", TAKES_CALLS)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    by_call = (
        sa.select(calls.c.manager_id)
        .join(managers, managers.c.id == calls.c.manager_id)
        .where(calls.c.customer_id == customers.c.id, calls.c.status == "answered", TAKES_CALLS)
        .order_by(calls.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(by_order, by_call)


def _completed() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.count(orders.c.id))
        .where(orders.c.customer_id == customers.c.id, orders.c.status == "complete")
        .scalar_subquery()
    )


def upgrade() -> None:
    bind = op.get_bind()
    cannot = sa.select(managers.c.id).where(sa.not_(TAKES_CALLS))
    previous: dict[int, int] = {
        cid: mid
        for cid, mid in bind.execute(
            sa.select(customers.c.id, customers.c.manager_id).where(
                customers.c.manager_id.in_(cannot)
            )
        )
    }
    if not previous:
        return
    threshold = _threshold(bind)
    ids = sorted(previous)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    # choose_personal_manager: nobody below the threshold, nor when it is 0 (off).
    again = (
        sa.case((_completed() >= threshold, _rechosen()), else_=sa.null())
        if threshold > 0
        else sa.null()
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        bind.execute(sa.update(customers).where(customers.c.id.in_(chunk)).values(manager_id=again))
        _audit(bind, chunk, previous, now)


def _audit(
    bind: sa.Connection, chunk: list[int], previous: dict[int, int], now: dt.datetime
) -> None:
    """One ``customer.personal_manager`` row per repaired customer, as the app writes them."""
    chosen: dict[int, int | None] = {
        cid: mid
        for cid, mid in bind.execute(
            sa.select(customers.c.id, customers.c.manager_id).where(customers.c.id.in_(chunk))
        )
    }
    rows = [
        {
            "at": now,
            "actor_id": None,
            "action": "customer.personal_manager",
            "target_type": "customer",
            "target_id": str(cid),
            "details": {
                "manager_id": chosen.get(cid),
                "previous_manager_id": previous[cid],
                "by": "migration 0005",
            },
            "ip": None,
        }
        for cid in chunk
    ]
    bind.execute(sa.insert(audit_log), rows)


def downgrade() -> None:
    """Nothing to undo: the cleared personal managers could not take calls."""
