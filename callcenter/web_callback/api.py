"""The public endpoints the widget on the shop's pages talks to; no login.

Outside the endpoint registry (which authenticates every request), so their OpenAPI paths are
written here. CORS is theirs alone: the origins in ``CALLCENTER_CALLBACK_ORIGINS`` may call
them from a browser, preflight included; a browser's request from any other origin is refused
(403) before anything is read. No cookie is read or set (the widget sends none), so there is
no session to forge: they need no CSRF token, by design. A request without ``Origin`` (a
shop's own server, curl) is not a browser's cross-origin request and may call them too.

Every answer and error is in the visitor's language (``lang`` in the body or the query, else
Accept-Language): the widget shows the server's words as they are.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callcenter.core.errors import error_body
from callcenter.core.i18n import DEFAULT_LANGUAGE, translate
from callcenter.core.settings import Settings
from callcenter.services import services_of
from callcenter.web_callback.schemas import CallbackAnswer, CallbackRequestIn, WidgetForm
from callcenter.web_callback.service import Refused, Visitor, callback_words, clean_name

log = logging.getLogger(__name__)

PATH = "/web-callbacks"
FORM_PATH = "/web-callbacks/form"
# The largest body taken: a request's fields fit in a fraction of it.
MAX_BODY = 4096
# The widget's labels (GET /web-callbacks/form), by the key the widget reads.
WIDGET_STRINGS = ("title", "phone", "order", "name", "send", "sending", "trap", "network")
PREFLIGHT_MAX_AGE = "600"


def language(wanted: object, request: Request) -> str:
    """ru or en: ``wanted`` (the body's or query's ``lang``), else the browser's first
    language of the two, else the shop's default (Russian). Another language reads as en."""
    if isinstance(wanted, str) and wanted.strip():
        return "ru" if wanted.strip().lower().startswith("ru") else "en"
    for item in request.headers.get("accept-language", "").split(","):
        tag = item.split(";")[0].strip().lower()
        if tag.startswith(("ru", "en")):
            return tag[:2]
    return DEFAULT_LANGUAGE


def cors_headers(request: Request, settings: Settings) -> dict[str, str] | None:
    """The CORS headers of an answer to this request; None when a browser sent it from an
    origin that may not call (not the shop's, not this service's own)."""
    origin = request.headers.get("origin")
    headers = {"Vary": "Origin"}
    if origin is None:
        return headers
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    allowed = origin.lower() in settings.callback_origin_set or origin.lower() == own
    if not allowed:
        return None
    headers["Access-Control-Allow-Origin"] = origin
    headers["Access-Control-Expose-Headers"] = "Retry-After"
    return headers


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refusal(exc: Refused, lang: str, headers: dict[str, str]) -> JSONResponse:
    fields = [
        {"field": name, "message": translate(key, lang, **params)}
        for name, key, params in exc.fields
    ]
    message = fields[0]["message"] if len(fields) == 1 else translate(exc.key, lang, **exc.params)
    extra = dict(headers)
    if exc.retry_after is not None:
        extra["Retry-After"] = str(exc.retry_after)
    body = error_body(exc.code, message, {"fields": fields} if fields else None)
    return JSONResponse(body, status_code=exc.status, headers=extra)


def _origin_refused() -> Refused:
    return Refused(403, "origin_not_allowed", "web_callback.error.origin")


async def _read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read no further than ``MAX_BODY``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "unsupported_media_type", "web_callback.error.content_type")
    too_large = Refused(413, "payload_too_large", "web_callback.error.too_large", {"max": MAX_BODY})
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise too_large
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", "web_callback.error.json")
    return data


_FIELD_KEYS = {
    "string_too_long": "web_callback.error.too_long",
    "extra_forbidden": "web_callback.error.extra",
    "string_type": "web_callback.error.not_text",
}


def _field_errors(exc: ValidationError) -> Refused:
    """pydantic's errors, each field's in words the visitor reads."""
    fields: list[tuple[str, str, dict[str, object]]] = []
    for err in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in err["loc"]) or "body"
        key = _FIELD_KEYS.get(err["type"], "web_callback.error.fields")
        if err["type"] == "missing" and name == "phone":
            key = "web_callback.error.phone_required"
        params: dict[str, object] = {}
        if err["type"] == "string_too_long":
            params["max"] = (err.get("ctx") or {}).get("max_length", "")
        fields.append((name, key, params))
    return Refused(422, "validation_error", "web_callback.error.fields", fields=fields)


async def _answer(request: Request, form: CallbackRequestIn, lang: str) -> CallbackAnswer:
    web = services_of(request).web_callbacks
    if form.homepage:
        # A person never sees the field: a bot filled it in. It is answered like anyone.
        log.warning(
            "web callback: the honeypot was filled in from %s; nothing made", _client(request)
        )
        outcome = await web.pretend()
    else:
        phone = web.phone_of(form.phone)
        await web.limit_phone(phone)
        visitor = Visitor(phone, form.order, clean_name(form.name), _client(request))
        outcome = await web.submit(visitor)
    words = callback_words(outcome, lang, services_of(request).settings.zone)
    return CallbackAnswer(status=outcome.status, message=words, call_at=outcome.call_at)


async def request_callback(request: Request) -> Response:
    """POST: a visitor asks to be called back (202); OPTIONS: the preflight."""
    settings = services_of(request).settings
    headers = cors_headers(request, settings)
    if request.method == "OPTIONS":
        return preflight(request, headers, "POST")
    lang = language(None, request)
    try:
        if headers is None:
            raise _origin_refused()
        await services_of(request).web_callbacks.limit_address(_client(request))
        data = await _read_json(request)
        lang = language(data.get("lang"), request)
        try:
            form = CallbackRequestIn.model_validate(data)
        except ValidationError as exc:
            raise _field_errors(exc) from None
        answer = await _answer(request, form, lang)
    except Refused as exc:
        return refusal(exc, lang, headers or {"Vary": "Origin"})
    return JSONResponse(answer.model_dump(mode="json"), status_code=202, headers=headers)


async def widget_form(request: Request) -> Response:
    """GET: the widget's labels in the visitor's language; OPTIONS: the preflight."""
    headers = cors_headers(request, services_of(request).settings)
    if request.method == "OPTIONS":
        return preflight(request, headers, "GET")
    lang = language(request.query_params.get("lang"), request)
    if headers is None:
        return refusal(_origin_refused(), lang, {"Vary": "Origin"})
    strings = {key: translate(f"web_callback.{key}", lang) for key in WIDGET_STRINGS}
    body = WidgetForm(lang=lang, strings=strings).model_dump()
    # Cached by the visitor's browser a while; the words follow the origin and the language.
    cache = {"Cache-Control": "public, max-age=300", "Vary": "Origin, Accept-Language"}
    return JSONResponse(body, headers={**headers, **cache})


def preflight(request: Request, headers: dict[str, str] | None, method: str) -> Response:
    """The browser asks before a cross-origin POST with JSON: yes for the shop's origins and
    the one method and header the widget uses; 403 with no CORS headers otherwise."""
    asked = request.headers.get("access-control-request-method", "")
    wanted = {
        h.strip().lower()
        for h in request.headers.get("access-control-request-headers", "").split(",")
        if h.strip()
    }
    if headers is None or "Access-Control-Allow-Origin" not in headers:
        return refusal(_origin_refused(), language(None, request), {"Vary": "Origin"})
    if asked != method or not wanted <= {"content-type"}:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(
        status_code=204,
        headers={
            **headers,
            "Access-Control-Allow-Methods": f"{method}, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        },
    )


def routes(prefix: str) -> list[Route]:
    return [
        Route(prefix + PATH, request_callback, methods=["POST", "OPTIONS"]),
        Route(prefix + FORM_PATH, widget_form, methods=["GET", "OPTIONS"]),
    ]


def openapi_paths(prefix: str) -> dict[str, Any]:
    """The OpenAPI paths of the public endpoints (no security: no login)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    answer = CallbackAnswer.model_json_schema(mode="serialization")
    errors = {
        "400": "not a JSON object",
        "403": "a browser's request from an origin not in CALLCENTER_CALLBACK_ORIGINS",
        "413": f"a body over {MAX_BODY} bytes",
        "415": "not application/json",
        "422": "a bad field, named in details.fields, in the visitor's language: a number "
        "the shop cannot call, an unknown order number, a field too long or unknown",
        "429": "too many requests from the address or for the number (Retry-After)",
    }
    post = {
        "summary": "Ask to be called back (the shop's website; public)",
        "description": "A callback task for the number (one open per number), its "
        "callback.created webhook, and within the working hours a free manager's phone rings "
        "and then the visitor's. CORS for CALLCENTER_CALLBACK_ORIGINS; no cookies, no CSRF.",
        "tags": ["web callback"],
        "operationId": "request_callback",
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CallbackRequestIn.model_json_schema()}},
        },
        "responses": {
            "202": {
                "description": "taken (also a filled honeypot's, which makes nothing)",
                "content": {"application/json": {"schema": answer}},
            },
            **{code: {"description": text, "content": error} for code, text in errors.items()},
        },
    }
    form = {
        "summary": "The widget's labels in the visitor's language (public)",
        "tags": ["web callback"],
        "operationId": "widget_form",
        "security": [],
        "parameters": [
            {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "the labels",
                "content": {"application/json": {"schema": WidgetForm.model_json_schema()}},
            },
            "403": {"description": errors["403"], "content": error},
        },
    }
    return {prefix + PATH: {"post": post}, prefix + FORM_PATH: {"get": form}}
