"""Routing and callback settings, kept in the database and edited by an admin."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import AppSetting, utcnow

ROUTING_KEY = "routing"


class RoutingSettings(BaseModel):
    """Edited by an admin (PUT /api/v1/settings/routing, or the admin page)."""

    model_config = ConfigDict(extra="forbid")

    default_group: list[int] = Field(
        default=[], description="manager ids; empty = every manager with an extension"
    )
    vip_group: list[int] = Field(default=[], description="manager ids for VIPs and regulars")
    bad_group: list[int] = Field(default=[], description="manager ids for 'bad' callers")
    ring_at_once: int = Field(default=3, ge=0, le=50, description="0 = the whole group")
    regular_after_orders: int = Field(
        default=2, ge=0, le=100, description="completed orders that make a personal manager"
    )
    callback_deadline_minutes: int = Field(default=10, ge=1, le=7 * 24 * 60)


async def load_routing_settings(session: AsyncSession) -> RoutingSettings:
    row = await session.get(AppSetting, ROUTING_KEY)
    return RoutingSettings.model_validate(row.value) if row else RoutingSettings()


async def save_routing_settings(
    session: AsyncSession, value: RoutingSettings, actor_id: int | None
) -> None:
    row = await session.get(AppSetting, ROUTING_KEY)
    if row is None:
        session.add(AppSetting(key=ROUTING_KEY, value=value.model_dump(), updated_by_id=actor_id))
    else:
        row.value = value.model_dump()
        row.updated_by_id = actor_id
        row.updated_at = utcnow()
