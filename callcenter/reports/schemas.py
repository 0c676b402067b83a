"""The reports in the API: what is asked, and the figures answered.

Shares are per cent to 0.1 and null when there is nothing to share (no calls offered, no
orders); times are seconds, a callback's delay is minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from callcenter.reports.days import PeriodName


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period: PeriodName = Field(
        default=PeriodName.TODAY,
        description="today, yesterday, this_week (from Monday), this_month, or custom (from and "
        "until); the days are the shop's (CALLCENTER_TIMEZONE)",
    )
    from_: dt.date | None = Field(
        default=None, alias="from", description="custom: the first day, included"
    )
    until: dt.date | None = Field(default=None, description="custom: the last day, included")
    sl_seconds: int | None = Field(
        default=None,
        ge=1,
        le=3600,
        description="service level: answered within this many seconds "
        "(default CALLCENTER_REPORT_SERVICE_LEVEL_SECONDS)",
    )


class ReportMeta(BaseModel):
    first: dt.date = Field(description="the period's first day, in the shop's time zone")
    last: dt.date = Field(description="the period's last day, included")
    previous_first: dt.date = Field(description="the period as long just before it: the trend's")
    previous_last: dt.date
    timezone: str
    sl_seconds: int
    order_window_hours: int = Field(
        description="an order within this many hours after an answered call is taken after it"
    )


class ManagerRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    manager_id: int | None = Field(description="null on the team's row")
    name: str
    active: bool = Field(description="false: deactivated (rows stay for their history)")
    inbound_offered: int = Field(description="inbound calls that rang this manager, or answered")
    inbound_answered: int
    inbound_missed: int = Field(description="offered to this manager and answered by nobody")
    answered_pct: float | None
    outbound_placed: int
    outbound_connected: int
    wait_avg: float | None = Field(description="seconds before answer, answered inbound calls")
    wait_p90: int | None = Field(description="nearest-rank 90th percentile of that wait")
    talk_total: int = Field(description="seconds, answered calls both ways")
    talk_avg: float | None
    callbacks_given: int
    callbacks_on_time: int
    callbacks_on_time_pct: float | None = Field(description="of callbacks given")
    callback_median_minutes: float | None = Field(
        description="from the missed call to the call that reached the customer"
    )
    tasks_given: int = Field(description="all tasks, callbacks included")
    tasks_closed: int
    tasks_closed_pct: float | None
    orders_after_call: int = Field(
        description="orders whose customer this manager last talked to within the window before"
    )
    orders: int = Field(description="orders made in the period with this manager")
    orders_completed: int
    conversion_pct: float | None = Field(description="of those orders, completed now")
    orders_share_pct: float | None = Field(
        description="of all orders that have a manager; the team's: of all orders, those that "
        "have a manager"
    )


class ManagersReport(BaseModel):
    meta: ReportMeta
    rows: list[ManagerRow]
    team: ManagerRow | None = Field(description="the whole team; null for an operator")


class LineRow(BaseModel):
    line: str = Field(description="the number dialled; empty: calls the PBX gave no line for")
    name: str | None = Field(description="the admin's name for the line")
    source: str | None
    offered: int
    answered: int
    answered_pct: float | None
    abandoned: int = Field(description="the caller gave up before anyone answered")
    abandoned_pct: float | None
    answered_within: int = Field(description="answered within sl_seconds")
    service_level_pct: float | None = Field(description="answered within sl_seconds, of offered")
    wait_avg: float | None = Field(description="seconds before answer, answered calls")


class LinesReport(BaseModel):
    meta: ReportMeta
    rows: list[LineRow]
    total: LineRow


class LoadCell(BaseModel):
    weekday: int = Field(description="1 Monday ... 7 Sunday")
    hour: int = Field(description="0-23, the shop's clock")
    inbound: int
    missed: int


class LoadReport(BaseModel):
    meta: ReportMeta
    cells: list[LoadCell] = Field(description="every weekday and hour, 7 x 24, Monday 0h first")


class TrendDay(BaseModel):
    day: dt.date
    calls: int = Field(description="inbound and outbound")
    inbound: int
    answered: int = Field(description="inbound answered")
    answered_pct: float | None
    missed: int = Field(description="inbound answered by nobody")


class TrendReport(BaseModel):
    meta: ReportMeta
    days: list[TrendDay]
    previous: list[TrendDay] = Field(description="the previous period, day by day, same length")


class ExportQuery(ReportQuery):
    format: Literal["csv", "xlsx"] = Field(
        default="csv", description="csv: the one report asked; xlsx: every report, a sheet each"
    )
    report: Literal["managers", "lines", "load", "trend"] = "managers"
    lang: Literal["ru", "en"] | None = Field(
        default=None, description="the labels' language; by default the session's (Russian)"
    )
