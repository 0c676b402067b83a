"""Routing and callback settings, and the shop's working hours, kept in the database and
edited by an admin."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import AppSetting, utcnow
from routing.shop_hours import Window, clock_minutes

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
    await _save(session, ROUTING_KEY, value, actor_id)


async def _save(session: AsyncSession, key: str, value: BaseModel, actor_id: int | None) -> None:
    """One admin-edited setting, made or replaced, with who changed it."""
    row = await session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value.model_dump(), updated_by_id=actor_id))
    else:
        row.value = value.model_dump()
        row.updated_by_id = actor_id
        row.updated_at = utcnow()


# --- the shop's working hours ---------------------------------------------------------------

HOURS_KEY = "shop_hours"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DayHours(BaseModel):
    """One day's hours on the shop's clock (``CALLCENTER_TIMEZONE``)."""

    model_config = ConfigDict(extra="forbid")

    open: str = Field(description="HH:MM", examples=["09:00"])
    close: str = Field(
        description="HH:MM, after open; 24:00 (or 00:00) is midnight at the day's end",
        examples=["21:00"],
    )

    @field_validator("open")
    @classmethod
    def _opening_time(cls, value: str) -> str:
        clock_minutes(value)
        return value

    @field_validator("close")
    @classmethod
    def _after_opening(cls, value: str, info: ValidationInfo) -> str:
        closes = clock_minutes(value, closing=True)
        opens = info.data.get("open")
        if opens is not None and closes <= clock_minutes(opens):
            raise ValueError("the shop must close after it opens (a day ends at 24:00)")
        return value

    def window(self) -> Window:
        return Window(clock_minutes(self.open), clock_minutes(self.close, closing=True))


def _nine_to_nine() -> DayHours:
    return DayHours(open="09:00", close="21:00")


_DAY = "null: closed all day"


class ShopHours(BaseModel):
    """When the shop works, Monday to Sunday: the website's callbacks ring a manager at once
    within these hours and tell the visitor the next opening outside them. Edited by an admin
    (PUT /api/v1/settings/hours, or the routing page)."""

    model_config = ConfigDict(extra="forbid")

    mon: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    tue: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    wed: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    thu: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    fri: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    sat: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)
    sun: DayHours | None = Field(default_factory=_nine_to_nine, description=_DAY)

    def week(self) -> tuple[Window | None, ...]:
        """Monday first, as ``routing.shop_hours`` reads it."""
        days = (getattr(self, name) for name in WEEKDAYS)
        return tuple(None if day is None else day.window() for day in days)


async def load_shop_hours(session: AsyncSession) -> ShopHours:
    row = await session.get(AppSetting, HOURS_KEY)
    return ShopHours.model_validate(row.value) if row else ShopHours()


async def save_shop_hours(session: AsyncSession, value: ShopHours, actor_id: int | None) -> None:
    await _save(session, HOURS_KEY, value, actor_id)
