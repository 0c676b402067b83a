"""Server-rendered pages: log in and log out; the rendering shared by every page."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from callcenter.auth import csrf_token
from callcenter.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from callcenter.models import AuditLog, Manager
from callcenter.security import csrf_matches, new_csrf_token, verify_password

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in LANGUAGES:
        request.session["lang"] = wanted
    lang = request.session.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    context.update(
        lang=lang,
        languages=LANGUAGES,
        csrf=csrf_token(request),
        t=lambda key, **params: translate(key, lang, **params),
    )
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_page(request: Request) -> Response:
    return render(request, "login.html")


async def login_submit(request: Request) -> Response:
    form = await request.form()
    login = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    lang = _lang(request)
    if not csrf_matches(request.session.get("csrf"), str(form.get("csrf_token", ""))):
        return render(request, "login.html", 403, error=translate("csrf_failed", lang), login=login)
    limiter = request.app.state.login_limiter
    client = _client(request)
    wait = limiter.retry_after(client, login)
    if wait:
        message = translate("too_many_attempts", lang, seconds=wait)
        response = render(request, "login.html", 429, error=message, login=login)
        response.headers["Retry-After"] = str(wait)
        return response
    async with request.app.state.sessionmaker() as session:
        manager = (
            await session.scalars(select(Manager).where(func.lower(Manager.login) == login.lower()))
        ).first()
        # argon2 is deliberately slow (~50 ms): keep it off the event loop.
        ok = await asyncio.to_thread(
            verify_password, manager.password_hash if manager else None, password
        )
        if not ok or manager is None or not manager.is_active:
            limiter.failed(client, login)
            session.add(AuditLog(action="login.failed", details={"login": login[:64]}, ip=client))
            await session.commit()
            error = translate("bad_credentials", lang)
            return render(request, "login.html", 401, error=error, login=login)
        limiter.succeeded(client, login)
        session.add(AuditLog(actor_id=manager.id, action="login", ip=client))
        await session.commit()
        manager_id = manager.id
    request.session.clear()
    request.session.update({"manager_id": manager_id, "csrf": new_csrf_token(), "lang": lang})
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_matches(request.session.get("csrf"), str(form.get("csrf_token", ""))):
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


# The start page "/" is the operator's desk: callcenter.pages.desk.
routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
