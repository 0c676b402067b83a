"""A small typed endpoint layer over Starlette: parse, authorise, call, serialise, document.

Each endpoint is ``async def f(ctx, [body|query], **path_params) -> model``. The registry
validates input with pydantic (422 naming the field), opens one DB session per request,
commits on success, and builds the OpenAPI document from the same declarations."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callcenter.core.auth import Principal, authenticate, check_csrf
from callcenter.core.errors import ApiError, Forbidden, Unauthorized, from_validation_error
from callcenter.core.models import AuditLog, Role
from callcenter.core.services import core_services
from callcenter.core.settings import Settings

API_PREFIX = "/api/v1"
MAX_BODY = 2 * 1024 * 1024


@dataclass
class Ctx:
    request: Request
    session: AsyncSession
    principal: Principal
    settings: Settings
    # Run once the request's transaction has committed (cache invalidation, notifications).
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    def audit(
        self, action: str, target_type: str | None = None, target_id: object = None, **details: Any
    ) -> None:
        self.session.add(
            AuditLog(
                actor_id=self.principal.id,
                action=action,
                target_type=target_type,
                target_id=None if target_id is None else str(target_id),
                details=details,
                ip=self.request.client.host if self.request.client else None,
            )
        )


Handler = Callable[..., Awaitable[Any]]


@dataclass
class Endpoint:
    path: str
    method: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    roles: frozenset[Role] | None
    tag: str
    adapter: TypeAdapter[Any] | None = field(default=None)
    # Media types of a file the handler answers with (a starlette Response), instead of JSON.
    files: tuple[str, ...] = ()


class ApiRouter:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        roles: Iterable[Role] | None = None,
        files: Iterable[str] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    path=path,
                    method=method,
                    handler=handler,
                    summary=summary,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    roles=frozenset(roles) if roles else None,
                    tag=tag,
                    adapter=TypeAdapter(response) if response is not None else None,
                    files=tuple(files),
                )
            )
            return handler

        return register

    def include(self, other: ApiRouter) -> None:
        self.endpoints.extend(other.endpoints)

    def starlette_routes(self) -> list[Route]:
        by_path: dict[str, dict[str, Endpoint]] = {}
        for ep in self.endpoints:
            by_path.setdefault(ep.path, {})[ep.method] = ep
        return [
            Route(self.prefix + path, _dispatcher(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]


def _dispatcher(methods: dict[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await _run(methods[method], request)

    return dispatch


async def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError("request body too large", code="payload_too_large")
    if not raw:
        raise _invalid_json("request body is empty; send a JSON object")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid_json(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _invalid_json("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _invalid_json(message: str) -> ApiError:
    error = ApiError(message, code="invalid_json")
    error.status = 400
    return error


def _parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            raise ApiError(f"query parameter {key!r} given twice", code="bad_query")
        params[key] = value
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


async def _run(ep: Endpoint, request: Request) -> Response:
    maker = core_services(request).sessionmaker
    settings: Settings = core_services(request).settings
    async with maker() as session:
        principal = await authenticate(request, session)
        if principal is None:
            raise Unauthorized("log in or send an API token")
        check_csrf(request, request.method, principal)
        if ep.roles is not None and principal.role not in ep.roles:
            allowed = ", ".join(sorted(r.value for r in ep.roles))
            raise Forbidden(f"this needs one of the roles: {allowed}")
        kwargs: dict[str, Any] = dict(request.path_params)
        if ep.body is not None:
            kwargs["body"] = await _parse_body(request, ep.body)
        if ep.query is not None:
            kwargs["query"] = _parse_query(request, ep.query)
        ctx = Ctx(request=request, session=session, principal=principal, settings=settings)
        result = await ep.handler(ctx, **kwargs)
        await session.commit()
    for hook in ctx.after_commit:
        hook()
    if ep.files and isinstance(result, Response):
        return result
    if ep.status == 204 or result is None:
        return Response(status_code=204)
    assert ep.adapter is not None
    return JSONResponse(ep.adapter.dump_python(result, mode="json"), status_code=ep.status)
