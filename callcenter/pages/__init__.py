"""The operator's workplace: server-rendered pages over the same services as the REST API."""

from __future__ import annotations

from starlette.routing import BaseRoute

from callcenter.pages import customers, desk, orders

routes: list[BaseRoute] = [*desk.routes, *customers.routes, *orders.routes]
