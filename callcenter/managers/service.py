"""Managers (the users): accounts, roles, presence, API tokens."""

from __future__ import annotations

import asyncio

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Conflict, Forbidden, NotFound
from callcenter.core.models import ApiToken, Manager, Presence, Role, utcnow
from callcenter.core.paging import paginate
from callcenter.core.schemas import Page
from callcenter.core.security import hash_password, new_api_token
from callcenter.managers.schemas import ManagerIn, ManagerOut, ManagerPatch, ManagerQuery


async def _check_unique(
    session: AsyncSession, login: str | None, extension: str | None, exclude_id: int | None = None
) -> None:
    if login is not None:
        query = exists().where(func.lower(Manager.login) == login.lower())
        if exclude_id is not None:
            query = query.where(Manager.id != exclude_id)
        if await session.scalar(select(query)):
            raise Conflict(f"login {login!r} is taken", code="login_taken")
    if extension is not None:
        query = exists().where(Manager.extension == extension)
        if exclude_id is not None:
            query = query.where(Manager.id != exclude_id)
        if await session.scalar(select(query)):
            raise Conflict(
                f"extension {extension} belongs to another manager", code="extension_taken"
            )


async def create(session: AsyncSession, body: ManagerIn) -> Manager:
    await _check_unique(session, body.login, body.extension)
    manager = Manager(
        login=body.login,
        name=body.name or body.login,
        password_hash=await asyncio.to_thread(hash_password, body.password),
        role=body.role,
        extension=body.extension,
        status=Presence.OFFLINE,
        status_changed_at=utcnow(),
    )
    session.add(manager)
    await session.flush()
    return manager


def not_taking_calls(manager: Manager) -> str | None:
    """Why the manager may not own an order or a customer, in an error message's words; None
    when they take calls (``Manager.takes_calls``)."""
    if manager.takes_calls:
        return None
    why = "is deactivated" if not manager.is_active else "has no extension"
    return f"manager {manager.id} ({manager.login}) {why}"


async def get(session: AsyncSession, manager_id: int) -> Manager:
    manager = await session.get(Manager, manager_id)
    if manager is None:
        raise NotFound(f"no manager with id {manager_id}")
    return manager


async def update(
    session: AsyncSession, principal: Principal, manager: Manager, body: ManagerPatch
) -> list[str]:
    """Admins change anything; others change their own name and password only."""
    fields = body.model_fields_set
    self_service = {"name", "password"}
    if not principal.is_admin and (manager.id != principal.id or fields - self_service):
        if "role" in fields:
            raise Forbidden("only an admin can change a role")
        raise Forbidden("only an admin can change other users or these fields")
    if principal.id == manager.id and (
        ("role" in fields and body.role is not Role.ADMIN) or body.is_active is False
    ):
        raise Forbidden("admins cannot demote or deactivate themselves; ask another admin")
    await _check_unique(
        session, None, body.extension if "extension" in fields else None, manager.id
    )
    changed: list[str] = []
    if body.name is not None and body.name != manager.name:
        manager.name = body.name
        changed.append("name")
    if body.password is not None:
        manager.password_hash = await asyncio.to_thread(hash_password, body.password)
        changed.append("password")
    if body.role is not None and body.role != manager.role:
        manager.role = body.role
        changed.append("role")
    if "extension" in fields and body.extension != manager.extension:
        manager.extension = body.extension
        changed.append("extension")
    if body.is_active is not None and body.is_active != manager.is_active:
        manager.is_active = body.is_active
        changed.append("is_active")
    await session.flush()
    return changed


async def set_status(
    session: AsyncSession, principal: Principal, manager: Manager, status: Presence
) -> bool:
    if manager.id != principal.id and not principal.sees_everything:
        raise Forbidden("you can only change your own status")
    if manager.status == status:
        return False
    manager.status = status
    manager.status_changed_at = utcnow()
    await session.flush()
    return True


async def list_managers(session: AsyncSession, q: ManagerQuery) -> Page[ManagerOut]:
    query = select(Manager)
    if q.status is not None:
        query = query.where(Manager.status == q.status)
    if q.role is not None:
        query = query.where(Manager.role == q.role)
    return await paginate(session, query, q, Manager.id, convert=ManagerOut.model_validate)


async def create_token(session: AsyncSession, manager: Manager, name: str = "") -> tuple[int, str]:
    token, digest = new_api_token()
    api_token = ApiToken(manager_id=manager.id, token_hash=digest, name=name)
    session.add(api_token)
    await session.flush()
    return api_token.id, token


async def revoke_token(session: AsyncSession, token_id: int) -> ApiToken:
    api_token = await session.get(ApiToken, token_id)
    if api_token is None:
        raise NotFound(f"no API token with id {token_id}")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
    return api_token
