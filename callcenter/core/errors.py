"""API errors: one JSON shape, ``{"error": {"code", "message", "details"}}``, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Invalid(ApiError):
    """A 422 that names the offending field(s) in ``details.fields``."""

    status = 422
    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"{field}: {message}", details={"fields": [{"field": field, "message": message}]}
        )


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def from_validation_error(exc: ValidationError, prefix: str = "") -> ApiError:
    fields = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        fields.append({"field": prefix + loc, "message": err["msg"]})
    names = ", ".join(f["field"] for f in fields)
    first = fields[0]["message"] if fields else "invalid input"
    error = ApiError(f"invalid value for {names}: {first}", details={"fields": fields})
    error.status = 422
    error.code = "validation_error"
    return error


def json_error(exc: ApiError) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)


async def handle_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_error(exc)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


async def handle_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """The database restarted under this request: 503, and the pool reconnects for the next
    one. Any other database error is a bug: on to :func:`handle_unexpected`."""
    if not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        raise exc
    log.warning("the database connection was lost during %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("database_unavailable", "the database connection was lost; try again"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("internal_error", "internal server error; the details are in the server log"),
        status_code=500,
    )
