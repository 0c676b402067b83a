"""The reports, summed from the roll-ups (callcenter/reports/rollups.py).

Who sees what: supervisors and admins every manager, the lines, the load and the trend; an
operator their own row only. A report first rebuilds the stale days its period depends on, so
it is true the moment after a call ends or reconciliation lands an old one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Forbidden, Invalid
from callcenter.core.models import (
    Line,
    Manager,
    ReportCallbackDelay,
    ReportCallDay,
    ReportHour,
    ReportOfferDay,
    ReportOrderDay,
    ReportTaskDay,
    ReportWait,
    utcnow,
)
from callcenter.reports import tables
from callcenter.reports.days import MAX_DAYS, Period, PeriodName, local_today, named_period
from callcenter.reports.figures import mean, median, pct, percentile, within
from callcenter.reports.rollups import ReportRollups
from callcenter.reports.schemas import (
    ExportQuery,
    LineRow,
    LinesReport,
    LoadCell,
    LoadReport,
    ManagerRow,
    ManagersReport,
    ReportMeta,
    ReportQuery,
    TrendDay,
    TrendReport,
)


@dataclass
class Reports:
    """What a report needs besides the session: the roll-ups and the shop's settings."""

    rollups: ReportRollups
    sl_seconds: int

    def period(self, query: ReportQuery, now: dt.datetime | None = None) -> Period:
        """The period asked for, or a 422 naming the field that is wrong."""
        today = local_today(self.rollups.zone, now or utcnow())
        if query.period is not PeriodName.CUSTOM:
            if query.from_ is not None or query.until is not None:
                raise Invalid("period", "from and until go with period=custom")
            return named_period(query.period, today)
        if query.from_ is None:
            raise Invalid("from", "a custom period needs its first day")
        if query.until is None:
            raise Invalid("until", "a custom period needs its last day")
        if query.until < query.from_:
            raise Invalid("until", "the last day is before the first")
        period = Period(query.from_, query.until)
        if period.days > MAX_DAYS:
            raise Invalid("until", f"a period is at most {MAX_DAYS} days")
        return period

    def meta(self, query: ReportQuery, period: Period) -> ReportMeta:
        previous = period.previous()
        return ReportMeta(
            first=period.first,
            last=period.last,
            previous_first=previous.first,
            previous_last=previous.last,
            timezone=self.rollups.zone.key,
            sl_seconds=query.sl_seconds or self.sl_seconds,
            order_window_hours=int(self.rollups.order_window.total_seconds() // 3600),
        )

    async def fresh(self, session: AsyncSession, period: Period) -> None:
        """Rebuild the stale UTC days this period's figures depend on. The request's own
        transaction ends first: on SQLite it may hold the write lock (a token's last use)."""
        await session.commit()
        reach = math.ceil(self.rollups.order_window / dt.timedelta(days=1)) + 1
        await self.rollups.refresh(
            within=(period.first - dt.timedelta(days=reach), period.last + dt.timedelta(days=1))
        )


def _in(table: Any, period: Period) -> ColumnElement[bool]:
    day: ColumnElement[dt.date] = table.day
    return day.between(period.first, period.last)


# --- per manager -------------------------------------------------------------------------------


@dataclass
class _Counts:
    """Everything summed for one manager (or the team) before it becomes figures."""

    calls: Counter[str]
    waits: Counter[int]
    delays: Counter[int]


async def _manager_counts(session: AsyncSession, period: Period) -> dict[int, _Counts]:
    found: dict[int, _Counts] = defaultdict(lambda: _Counts(Counter(), Counter(), Counter()))
    c = ReportCallDay
    calls = select(
        c.manager_id, c.direction, func.sum(c.calls), func.sum(c.answered),
        func.sum(c.wait_sum), func.sum(c.talk_sum),
    ).where(_in(c, period)).group_by(c.manager_id, c.direction)  # fmt: skip
    for manager_id, direction, n, answered, wait_sum, talk_sum in await session.execute(calls):
        found[manager_id].calls.update(
            {f"{direction}_calls": n, f"{direction}_answered": answered, "talk": talk_sum}
        )
        if direction == "in":
            found[manager_id].calls["wait_sum"] += wait_sum
    o = ReportOfferDay
    offers = select(o.manager_id, func.sum(o.offered), func.sum(o.answered), func.sum(o.missed))
    for manager_id, offered, answered, missed in await session.execute(
        offers.where(_in(o, period)).group_by(o.manager_id)
    ):
        found[manager_id].calls.update(offered=offered, offer_answered=answered, missed=missed)
    await _orders_and_tasks(session, period, found)
    w = ReportWait
    waits = select(w.manager_id, w.wait, func.sum(w.calls)).where(_in(w, period))
    for manager_id, wait, n in await session.execute(waits.group_by(w.manager_id, w.wait)):
        found[manager_id].waits[wait] += n
    d = ReportCallbackDelay
    delays = select(d.manager_id, d.minutes, func.sum(d.callbacks)).where(_in(d, period))
    for manager_id, minutes, n in await session.execute(delays.group_by(d.manager_id, d.minutes)):
        found[manager_id].delays[minutes] += n
    return found


async def _orders_and_tasks(
    session: AsyncSession, period: Period, found: dict[int, _Counts]
) -> None:
    r = ReportOrderDay
    orders = select(
        r.manager_id, func.sum(r.orders), func.sum(r.completed), func.sum(r.after_call)
    ).where(_in(r, period))
    for manager_id, n, completed, after_call in await session.execute(
        orders.group_by(r.manager_id)
    ):
        found[manager_id].calls.update(orders=n, completed=completed, after_call=after_call)
    t = ReportTaskDay
    tasks = select(
        t.manager_id, t.kind, func.sum(t.given), func.sum(t.closed), func.sum(t.on_time)
    ).where(_in(t, period))
    for manager_id, kind, given, closed, on_time in await session.execute(
        tasks.group_by(t.manager_id, t.kind)
    ):
        counts = found[manager_id].calls
        counts.update(tasks=given, tasks_closed=closed)
        if kind == "callback":
            counts.update(callbacks=given, callbacks_on_time=on_time)


def _row(
    manager_id: int | None, name: str, active: bool, n: _Counts, share: float | None, team: bool
) -> ManagerRow:
    """One manager's figures; the team's (``team``) counts every call once, not once per
    phone that rang."""
    c = n.calls
    talked = c["in_answered"] + c["out_answered"]
    offered = c["in_calls"] if team else c["offered"]
    answered = c["in_answered"] if team else c["offer_answered"]
    missed = c["in_calls"] - c["in_answered"] if team else c["missed"]
    return ManagerRow(
        manager_id=manager_id,
        name=name,
        active=active,
        inbound_offered=offered,
        inbound_answered=answered,
        inbound_missed=missed,
        answered_pct=pct(answered, offered),
        outbound_placed=c["out_calls"],
        outbound_connected=c["out_answered"],
        wait_avg=mean(c["wait_sum"], c["in_answered"]),
        wait_p90=percentile(n.waits, 90),
        talk_total=c["talk"],
        talk_avg=mean(c["talk"], talked),
        callbacks_given=c["callbacks"],
        callbacks_on_time=c["callbacks_on_time"],
        callbacks_on_time_pct=pct(c["callbacks_on_time"], c["callbacks"]),
        callback_median_minutes=median(n.delays),
        tasks_given=c["tasks"],
        tasks_closed=c["tasks_closed"],
        tasks_closed_pct=pct(c["tasks_closed"], c["tasks"]),
        orders_after_call=c["after_call"],
        orders=c["orders"],
        orders_completed=c["completed"],
        conversion_pct=pct(c["completed"], c["orders"]),
        orders_share_pct=share,
    )


def _team(counts: dict[int, _Counts]) -> _Counts:
    team = _Counts(Counter(), Counter(), Counter())
    for n in counts.values():
        team.calls.update(n.calls)
        team.waits.update(n.waits)
        team.delays.update(n.delays)
    return team


async def managers_report(
    session: AsyncSession, principal: Principal, reports: Reports, query: ReportQuery
) -> ManagersReport:
    period = reports.period(query)
    await reports.fresh(session, period)
    counts = await _manager_counts(session, period)
    managed = sum(n.calls["orders"] for m, n in counts.items() if m)
    people = await session.scalars(
        select(Manager).where(or_(Manager.takes_calls, Manager.id.in_([m for m in counts if m])))
    )
    rows = []
    for manager in sorted(people, key=lambda m: (m.name or m.login).casefold()):
        if not principal.sees_everything and manager.id != principal.id:
            continue
        n = counts.get(manager.id) or _Counts(Counter(), Counter(), Counter())
        name = manager.name or manager.login
        share = pct(n.calls["orders"], managed)
        rows.append(_row(manager.id, name, manager.is_active, n, share, team=False))
    team = None
    if principal.sees_everything:
        everyone = _team(counts)
        # The team's share: of all orders made, those a manager handled.
        share = pct(managed, everyone.calls["orders"])
        team = _row(None, "", True, everyone, share, team=True)
    return ManagersReport(meta=reports.meta(query, period), rows=rows, team=team)


# --- per line, load, trend -------------------------------------------------------------------


def _line_row(
    line: str, names: dict[str, Line], c: Counter[str], waits: Counter[int], sl: int
) -> LineRow:
    known = names.get(line)
    offered, answered = c["calls"], c["answered"]
    answered_within = within(waits, sl)
    return LineRow(
        line=line,
        name=known.name if known else None,
        source=known.source if known else None,
        offered=offered,
        answered=answered,
        answered_pct=pct(answered, offered),
        abandoned=offered - answered,
        abandoned_pct=pct(offered - answered, offered),
        answered_within=answered_within,
        service_level_pct=pct(answered_within, offered),
        wait_avg=mean(c["wait_sum"], answered),
    )


async def lines_report(session: AsyncSession, reports: Reports, query: ReportQuery) -> LinesReport:
    period = reports.period(query)
    meta = reports.meta(query, period)
    await reports.fresh(session, period)
    c = ReportCallDay
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    rows = select(c.line, func.sum(c.calls), func.sum(c.answered), func.sum(c.wait_sum)).where(
        _in(c, period), c.direction == "in"
    )
    for line, n, answered, wait_sum in await session.execute(rows.group_by(c.line)):
        sums[line].update(calls=n, answered=answered, wait_sum=wait_sum)
    waits: dict[str, Counter[int]] = defaultdict(Counter)
    w = ReportWait
    by_wait = select(w.line, w.wait, func.sum(w.calls)).where(_in(w, period))
    for line, wait, n in await session.execute(by_wait.group_by(w.line, w.wait)):
        waits[line][wait] += n
    names = {line.number: line for line in await session.scalars(select(Line))}
    order = sorted(
        set(sums) | set(names), key=lambda n: (n == "", names[n].name if n in names else n)
    )
    out = [_line_row(n, names, sums[n], waits[n], meta.sl_seconds) for n in order]
    total_waits: Counter[int] = Counter()
    total: Counter[str] = Counter()
    for n in order:
        total.update(sums[n])
        total_waits.update(waits[n])
    return LinesReport(
        meta=meta, rows=out, total=_line_row("", {}, total, total_waits, meta.sl_seconds)
    )


async def load_report(session: AsyncSession, reports: Reports, query: ReportQuery) -> LoadReport:
    period = reports.period(query)
    await reports.fresh(session, period)
    h = ReportHour
    cells: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    rows = select(h.day, h.hour, h.inbound, h.answered).where(_in(h, period))
    for day, hour, inbound, answered in await session.execute(rows):
        cells[(day.isoweekday(), hour)].update(inbound=inbound, missed=inbound - answered)
    return LoadReport(
        meta=reports.meta(query, period),
        cells=[
            LoadCell(
                weekday=d, hour=h, inbound=cells[(d, h)]["inbound"], missed=cells[(d, h)]["missed"]
            )
            for d in range(1, 8)
            for h in range(24)
        ],
    )


async def _trend_days(session: AsyncSession, period: Period) -> list[TrendDay]:
    by_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    h = ReportHour
    inbound = select(h.day, func.sum(h.inbound), func.sum(h.answered)).where(_in(h, period))
    for day, n, answered in await session.execute(inbound.group_by(h.day)):
        by_day[day].update(inbound=n, answered=answered)
    c = ReportCallDay
    outbound = select(c.day, func.sum(c.calls)).where(_in(c, period), c.direction == "out")
    for day, n in await session.execute(outbound.group_by(c.day)):
        by_day[day]["outbound"] += n
    days = []
    for day in period.each_day():
        n = by_day[day]
        days.append(
            TrendDay(
                day=day,
                calls=n["inbound"] + n["outbound"],
                inbound=n["inbound"],
                answered=n["answered"],
                answered_pct=pct(n["answered"], n["inbound"]),
                missed=n["inbound"] - n["answered"],
            )
        )
    return days


async def trend_report(session: AsyncSession, reports: Reports, query: ReportQuery) -> TrendReport:
    period = reports.period(query)
    previous = period.previous()
    await reports.fresh(session, Period(previous.first, period.last))
    return TrendReport(
        meta=reports.meta(query, period),
        days=await _trend_days(session, period),
        previous=await _trend_days(session, previous),
    )


# --- exports -----------------------------------------------------------------------------------


async def export_tables(
    session: AsyncSession,
    principal: Principal,
    reports: Reports,
    query: ExportQuery,
    t: tables.Translate,
) -> list[tuple[str, tables.Table]]:
    """The reports asked for as (title, rows): the one report for CSV, every report the
    reader may see for XLSX."""
    wanted = [query.report] if query.format == "csv" else list(EXPORTS)
    if not principal.sees_everything:
        if query.report != "managers" and query.format == "csv":
            raise Forbidden("operators see their own row of the managers' report only")
        wanted = ["managers"]
    out = []
    for name in wanted:
        if name == "managers":
            report: Any = await managers_report(session, principal, reports, query)
        else:
            report = await EXPORTS[name][0](session, reports, query)
        out.append((t(f"reports.{name}"), EXPORTS[name][1](report, t)))
    return out


EXPORTS: dict[str, tuple[Any, Any]] = {
    "managers": (managers_report, tables.managers_rows),
    "lines": (lines_report, tables.lines_rows),
    "load": (load_report, tables.load_rows),
    "trend": (trend_report, tables.trend_rows),
}
