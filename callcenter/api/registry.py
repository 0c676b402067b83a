"""A small typed endpoint layer over Starlette: parse, authorise, call, serialise, document.

Each endpoint is ``async def f(ctx, [body|query], **path_params) -> model``. The registry
validates input with pydantic (422 naming the field), opens one DB session per request,
commits on success, and builds the OpenAPI document from the same declarations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callcenter.auth import Principal, authenticate, check_csrf
from callcenter.errors import ApiError, Forbidden, Unauthorized, from_validation_error
from callcenter.models import AuditLog, Role
from callcenter.settings import Settings

MAX_BODY = 2 * 1024 * 1024
_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_TYPED_PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_PATH_SCHEMAS = {"uuid": {"type": "string", "format": "uuid"}, "str": {"type": "string"}}


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
    maker = request.app.state.sessionmaker
    settings: Settings = request.app.state.settings
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
    if ep.status == 204 or result is None:
        return Response(status_code=204)
    assert ep.adapter is not None
    return JSONResponse(ep.adapter.dump_python(result, mode="json"), status_code=ep.status)


# --- OpenAPI --------------------------------------------------------------------------------


def openapi_document(router: ApiRouter, title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                    "required": ["code", "message", "details"],
                }
            },
        }
    }

    def schema_of(tp: Any, mode: str) -> dict[str, Any]:
        schema = TypeAdapter(tp).json_schema(
            ref_template="#/components/schemas/{model}",
            mode=mode,  # type: ignore[arg-type]
        )
        components.update(schema.pop("$defs", {}))
        return schema

    error_ref = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, Any] = {}
    for ep in router.endpoints:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "tags": [ep.tag],
            "operationId": ep.handler.__name__,
            "security": [{"bearer": []}, {"session": []}],
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": _PATH_SCHEMAS.get(convertor, {"type": "integer"}),
                }
                for name, convertor in _TYPED_PATH_PARAM.findall(ep.path)
            ],
            "responses": {
                str(code): {
                    "description": text,
                    "content": {"application/json": {"schema": error_ref}},
                }
                for code, text in (
                    (401, "not authenticated"),
                    (403, "not allowed for this role"),
                    (422, "invalid input; details.fields names each field"),
                )
            },
        }
        if ep.query is not None:
            qs = schema_of(ep.query, "validation")
            for name, prop in qs.get("properties", {}).items():
                op["parameters"].append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in qs.get("required", []),
                        "schema": prop,
                    }
                )
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of(ep.body, "validation")}},
            }
        if ep.status == 204 or ep.response is None:
            op["responses"][str(ep.status)] = {"description": "done"}
        else:
            op["responses"][str(ep.status)] = {
                "description": "ok",
                "content": {
                    "application/json": {"schema": schema_of(ep.response, "serialization")}
                },
            }
        openapi_path = _PATH_PARAM.sub(r"{\1}", router.prefix + ep.path)
        paths.setdefault(openapi_path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "callcenter_session"},
            },
        },
    }
