"""The audit log (supervisors and admins)."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.audit.schemas import AuditOut, AuditQuery
from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import AuditLog, Role
from callcenter.core.paging import paginate
from callcenter.core.schemas import Page

router = ApiRouter()


@router.route(
    "/audit",
    "GET",
    summary="The audit log, newest first (supervisors and admins)",
    tag="audit",
    query=AuditQuery,
    response=Page[AuditOut],
    roles=[Role.SUPERVISOR, Role.ADMIN],
)
async def list_audit(ctx: Ctx, query: AuditQuery) -> Page[AuditOut]:
    stmt = select(AuditLog)
    for name in ("action", "actor_id", "target_type", "target_id"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(AuditLog, name) == value)
    return await paginate(
        ctx.session, stmt, query, AuditLog.id.desc(), convert=AuditOut.model_validate
    )
