"""What every page shares: the templates of every feature, the language, log-in check, CSRF
on forms, the page context, errors."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ValidationError
from sqlalchemy import inspect, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from callcenter.core.api import Ctx
from callcenter.core.auth import authenticate, csrf_token
from callcenter.core.errors import ApiError, from_validation_error
from callcenter.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, STRINGS, local_datetime, translate
from callcenter.core.models import Customer, Manager
from callcenter.core.phones import phone_display
from callcenter.core.security import csrf_matches
from callcenter.core.services import core_services


def feature_dirs(kind: str) -> list[Path]:
    """Every feature's ``templates`` or ``static`` folder, the core's first: a page names a
    template or a script by its file name alone, and file names are unique across features
    (tests/unit/callcenter/core/test_layout.py holds that)."""
    package = Path(__file__).parent.parent
    core = package / "core" / kind
    return [core, *sorted(p for p in package.glob(f"*/{kind}") if p != core and p.is_dir())]


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in feature_dirs("templates")]),
        autoescape=True,
        extensions=["jinja2.ext.do"],
    )
)


def language(request: Request) -> str:
    """The page's language: ``?lang=`` (remembered in the session), else the session's."""
    wanted = request.query_params.get("lang")
    if wanted in LANGUAGES:
        request.session["lang"] = wanted
    lang = request.session.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    lang = language(request)
    zone = core_services(request).settings.zone
    context.update(
        lang=lang,
        languages=LANGUAGES,
        csrf=csrf_token(request),
        t=lambda key, **params: translate(key, lang, **params),
        # A moment written into a text: on the shop's clock, not the browser's.
        shop_time=lambda value: local_datetime(value, lang, zone),
    )
    return templates.TemplateResponse(request, name, context, status_code=status_code)


PageHandler = Callable[[Ctx], Awaitable[Response]]

# Strings the browser script needs (pops, toasts); everything else is rendered here.
JS_STRINGS = (
    "pop.incoming",
    "pop.outgoing",
    "pop.answered_by_you",
    "call.placing",
    "call.connected",
    "call.failed",
    "task.callback_new",
    "task.callback_web",
    "presence.failed",
    "ws.connected",
    "ws.reconnecting",
    "money",
    "segment.vip",
    "segment.prospect",
    "segment.new",
    "segment.regular",
    "segment.lapsed",
    "order_status.new",
    "order_status.approved",
    "order_status.assembling",
    "order_status.delivering",
    "order_status.complete",
    "order_status.cancelled",
    "route.personal_manager",
    "route.vip",
    "route.group",
    "route.fallback",
    "route.click_to_call",
    "pop.line",
    # The browser's softphone (callcenter/softphone/static/softphone.js).
    "phone.starting",
    "phone.ready",
    "phone.reconnecting",
    "phone.other_tab",
    "phone.busy_elsewhere",
    "phone.moved",
    "phone.ringing",
    "phone.calling",
    "phone.talking",
    "phone.on_hold",
    "phone.mute",
    "phone.unmute",
    "phone.hold",
    "phone.unhold",
    "phone.transfer_bad",
    "phone.transferred",
    "phone.ended",
    "phone.leave_warning",
    "phone.new_tab",
    "phone.error.mic_refused",
    "phone.error.no_mic",
    "phone.error.auth",
    "phone.error.elsewhere",
    "phone.error.session",
    "phone.error.not_set_up",
    "phone.error.no_extension",
    "phone.error.failed",
    "phone.error.call_failed",
)


def money(value: Decimal | float | int | None, lang: str) -> str:
    amount = Decimal(str(value or 0)).quantize(Decimal("0.01"))
    whole, _, cents = f"{amount:,.2f}".partition(".")
    text = whole.replace(",", "\u00a0") + ("," if lang == "ru" else ".") + cents
    return translate("money", lang, amount=text)


def utc_iso(value: dt.datetime | None) -> str:
    return "" if value is None else value.replace(tzinfo=dt.UTC).isoformat()


templates.env.filters.setdefault("phone", phone_display)
templates.env.filters.setdefault("utc_iso", utc_iso)


async def manager_names(ctx: Ctx) -> dict[int, str]:
    rows = await ctx.session.execute(select(Manager.id, Manager.name, Manager.login))
    return {mid: name or login for mid, name, login in rows}


async def customer_names(ctx: Ctx, ids: list[int | None]) -> dict[int, str]:
    """The names of these customers, for a list that links to them."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await ctx.session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_(wanted))
    )
    return dict(rows.tuples().all())


async def show(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    """Render a workplace page: the layout needs the user, the managers' names and the
    strings for the browser script."""
    lang = language(ctx.request)
    if inspect(ctx.principal.manager).expired_attributes:  # after a rollback
        await ctx.session.refresh(ctx.principal.manager)
    names = context.pop("managers", None) or await manager_names(ctx)
    settings = ctx.settings
    me = ctx.principal.manager
    return render(
        ctx.request,
        template,
        status_code,
        me=me,
        principal=ctx.principal,
        managers=names,
        money=lambda value: money(value, lang),
        js={
            "lang": lang,
            "me": ctx.principal.id,
            "managers": {str(k): v for k, v in names.items()},
            "strings": {key: translate(key, lang) for key in JS_STRINGS},
            # The workplace registers the browser's softphone (softphone.js) on every page.
            "softphone": bool(
                settings.softphone_accounts and settings.softphone_ws_url and me.takes_calls
            ),
        },
        **context,
    )


async def rollback(ctx: Ctx) -> None:
    """Undo a failed write, and reload the user (a rollback expires every loaded object)."""
    await ctx.session.rollback()
    await ctx.session.refresh(ctx.principal.manager)


def error_text(exc: ApiError, lang: str) -> tuple[str, str | None]:
    """What an error page says, and the API's own message when that is not it.

    The API's messages are English for developers: a page says it by the error's code
    (``error.code.<code>``) in the reader's language; a code with no words of its own, by its
    status, to readers of another language than English, with the message under "Details"."""
    key = f"error.code.{exc.code}"
    if key in STRINGS:
        return translate(key, lang), None
    general = f"error.message_{exc.status}"
    if lang == "en" or general not in STRINGS:
        return exc.message, None
    return translate(general, lang), exc.message


def error_page(ctx: Ctx, exc: ApiError) -> Awaitable[Response]:
    text, detail = error_text(exc, language(ctx.request))
    return show(ctx, "error.html", exc.status, error=exc, text=text, detail=detail)


def field_errors(exc: ApiError) -> dict[str, str]:
    """``details.fields`` of a 422 as {field: message}; other errors under ``""``."""
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if not fields:
        return {"": exc.message}
    return {str(f["field"]): str(f["message"]) for f in fields}


def parse_form(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def page(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
    """Log-in check (a redirect to /login), the CSRF token of every POSTed form, one database
    session committed on success, and API errors shown as a page."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        async with core_services(request).sessionmaker() as session:
            principal = await authenticate(request, session)
            if principal is None:
                return redirect("/login")
            ctx = Ctx(request, session, principal, core_services(request).settings)
            if request.method == "POST":
                form = await request.form()
                if not csrf_matches(request.session.get("csrf"), str(form.get("csrf_token", ""))):
                    lang = language(request)
                    error = ApiError(translate("error.code.csrf_failed", lang), code="csrf_failed")
                    error.status = 403
                    return await error_page(ctx, error)
            try:
                response = await handler(ctx)
            except ApiError as exc:
                await rollback(ctx)
                return await error_page(ctx, exc)
            await session.commit()
            return response

    return endpoint


async def form_data(ctx: Ctx) -> FormData:
    return await ctx.request.form()


def text(form: FormData, name: str) -> str:
    return str(form.get(name, "") or "").strip()


def split_list(value: str) -> list[str]:
    """Several values typed into one field: by new lines, commas or semicolons."""
    for sep in (";", "\n"):
        value = value.replace(sep, ",")
    return [part.strip() for part in value.split(",") if part.strip()]


def local_to_utc(value: str, offset_minutes: str) -> str | None:
    """A ``datetime-local`` value typed in the browser, moved to UTC with the browser's
    ``Date.getTimezoneOffset()`` (sent along by the page script)."""
    if not value:
        return None
    try:
        local = dt.datetime.fromisoformat(value)
        offset = int(offset_minutes or 0)
    except ValueError:
        return value  # let the model report it
    return (local + dt.timedelta(minutes=offset)).replace(tzinfo=dt.UTC).isoformat()
