"""The operator's workplace: server-rendered pages over the same services as the REST API."""

from __future__ import annotations

from starlette.routing import BaseRoute

from callcenter.pages import admin, customers, desk, dial, live, orders, recordings

routes: list[BaseRoute] = [
    *desk.routes,
    *customers.routes,
    *orders.routes,
    *live.routes,
    *recordings.routes,
    *dial.routes,
    *admin.routes,
]
