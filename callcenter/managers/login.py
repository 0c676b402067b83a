"""Logging in and out of the browser workplace: the form, the rate limit, the audit log."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from callcenter.core.i18n import translate
from callcenter.core.models import AuditLog, Manager
from callcenter.core.pages import language, render
from callcenter.core.security import csrf_matches, new_csrf_token, verify_password
from callcenter.services import services_of


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_page(request: Request) -> Response:
    return render(request, "login.html")


async def login_submit(request: Request) -> Response:
    form = await request.form()
    login = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    lang = language(request)
    if not csrf_matches(request.session.get("csrf"), str(form.get("csrf_token", ""))):
        error = translate("error.code.csrf_failed", lang)
        return render(request, "login.html", 403, error=error, login=login)
    limiter = services_of(request).login_limiter
    client = _client(request)
    wait = await limiter.retry_after(client, login)
    if wait:
        message = translate("too_many_attempts", lang, seconds=wait)
        response = render(request, "login.html", 429, error=message, login=login)
        response.headers["Retry-After"] = str(wait)
        return response
    async with services_of(request).sessionmaker() as session:
        manager = (
            await session.scalars(select(Manager).where(func.lower(Manager.login) == login.lower()))
        ).first()
        # argon2 is deliberately slow (~50 ms): keep it off the event loop.
        ok = await asyncio.to_thread(
            verify_password, manager.password_hash if manager else None, password
        )
        if not ok or manager is None or not manager.is_active:
            await limiter.failed(client, login)
            session.add(AuditLog(action="login.failed", details={"login": login[:64]}, ip=client))
            await session.commit()
            error = translate("bad_credentials", lang)
            return render(request, "login.html", 401, error=error, login=login)
        await limiter.succeeded(client, login)
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


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
