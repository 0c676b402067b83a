"""The OpenAPI 3.1 document, built from the same endpoint declarations that serve requests."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import TypeAdapter

from callcenter.core.api import ApiRouter, Endpoint

_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_TYPED_PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_PATH_SCHEMAS = {"uuid": {"type": "string", "format": "uuid"}, "str": {"type": "string"}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA = {
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
_ERRORS = (
    (401, "not authenticated"),
    (403, "not allowed for this role"),
    (422, "invalid input; details.fields names each field"),
)


class _Schemas:
    """JSON schemas of the models, their definitions collected once as components."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Error": _ERROR_SCHEMA}

    def of(self, tp: Any, mode: Literal["validation", "serialization"]) -> dict[str, Any]:
        schema = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        self.components.update(schema.pop("$defs", {}))
        return schema


def _operation(ep: Endpoint, schemas: _Schemas) -> dict[str, Any]:
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
                "content": {"application/json": {"schema": _ERROR_REF}},
            }
            for code, text in _ERRORS
        },
    }
    if ep.query is not None:
        qs = schemas.of(ep.query, "validation")
        for name, prop in qs.get("properties", {}).items():
            required = name in qs.get("required", [])
            op["parameters"].append(
                {"name": name, "in": "query", "required": required, "schema": prop}
            )
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.of(ep.body, "validation")}},
        }
    op["responses"][str(ep.status)] = _success(ep, schemas)
    return op


def _success(ep: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    if ep.files:
        binary = {"schema": {"type": "string", "format": "binary"}}
        return {"description": "a file", "content": {media: binary for media in ep.files}}
    if ep.status == 204 or ep.response is None:
        return {"description": "done"}
    schema = schemas.of(ep.response, "serialization")
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def openapi_document(router: ApiRouter, title: str, version: str) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, Any] = {}
    for ep in router.endpoints:
        openapi_path = _PATH_PARAM.sub(r"{\1}", router.prefix + ep.path)
        paths.setdefault(openapi_path, {})[ep.method.lower()] = _operation(ep, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "callcenter_session"},
            },
        },
    }
