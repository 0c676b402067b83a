"""The reports as tables: columns, their labels, and where each number leads. The page and
the exports (CSV, XLSX) are made from these, so they show the same numbers.

A number's link opens the rows behind it in the call log (``/calls``), the tasks (``/tasks``)
or the orders (``/orders``), with the report's days (``from``/``until``, the shop's days) and
the filters that pick exactly those rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from callcenter.reports.schemas import (
    LineRow,
    LinesReport,
    LoadReport,
    ManagerRow,
    ManagersReport,
    ReportMeta,
    TrendReport,
)

Link = Callable[[Any, ReportMeta], str | None]


@dataclass(frozen=True)
class Column:
    key: str
    link: Link | None = None
    label_key: str | None = None

    @property
    def label(self) -> str:
        """Its i18n key."""
        return self.label_key or f"reports.col.{self.key}"


def _url(path: str, meta: ReportMeta, **params: object) -> str:
    query = {"from": meta.first.isoformat(), "until": meta.last.isoformat()}
    query.update({k: str(v).lower() if isinstance(v, bool) else str(v)
                  for k, v in params.items() if v is not None})  # fmt: skip
    return f"{path}?{urlencode(query)}"


def _calls(**fixed: object) -> Link:
    def link(row: ManagerRow, meta: ReportMeta) -> str:
        params = dict(fixed)
        who = params.pop("who", None)
        if who is not None:
            params[str(who)] = row.manager_id
        return _url("/calls", meta, **params)

    return link


def _tasks(**fixed: object) -> Link:
    return lambda row, meta: _url("/tasks", meta, assignee_id=row.manager_id, **fixed)


def _orders(**fixed: object) -> Link:
    return lambda row, meta: _url("/orders", meta, manager_id=row.manager_id, **fixed)


def _after_call(row: ManagerRow, meta: ReportMeta) -> str:
    """The orders credited to the manager; the team's: every order credited to anyone."""
    if row.manager_id is None:
        return _url("/orders", meta, after_call=True)
    return _url("/orders", meta, after_call_by=row.manager_id)


MANAGER_COLUMNS: Sequence[Column] = (
    Column("inbound_offered", _calls(who="manager_id", direction="in", ended=True)),
    Column("inbound_answered", _calls(who="answered_by", direction="in", answered=True)),
    Column("inbound_missed", _calls(who="manager_id", direction="in", answered=False)),
    Column("answered_pct", _calls(who="answered_by", direction="in", answered=True)),
    Column("outbound_placed", _calls(who="manager_id", direction="out", ended=True)),
    Column("outbound_connected", _calls(who="manager_id", direction="out", answered=True)),
    Column("wait_avg", _calls(who="answered_by", direction="in", answered=True)),
    Column("wait_p90", _calls(who="answered_by", direction="in", answered=True)),
    Column("talk_avg", _calls(who="answered_by", answered=True, internal=False)),
    Column("talk_total", _calls(who="answered_by", answered=True, internal=False)),
    Column("callbacks_given", _tasks(kind="callback")),
    Column("callbacks_on_time_pct", _tasks(kind="callback", state="on_time")),
    Column("callback_median_minutes", _tasks(kind="callback", state="closed")),
    Column("tasks_given", _tasks()),
    Column("tasks_closed_pct", _tasks(state="closed")),
    Column("orders_after_call", _after_call),
    Column("orders", _orders()),
    Column("conversion_pct", _orders(status="complete")),
    Column("orders_share_pct", _orders()),
)  # fmt: skip


def _line(**fixed: object) -> Link:
    def link(row: LineRow | None, meta: ReportMeta) -> str | None:
        """A line's calls; ``None`` as the row: every line's (the total)."""
        if row is not None and row.line == "":
            return None  # calls the PBX gave no line for: no filter picks them
        params = {k: (meta.sl_seconds if v == "sl" else v) for k, v in fixed.items()}
        line = row.line if row else None
        return _url("/calls", meta, direction="in", ended=True, line=line, **params)

    return link


LINE_COLUMNS: Sequence[Column] = (
    Column("offered", _line()),
    Column("answered", _line(answered=True)),
    Column("answered_pct", _line(answered=True)),
    Column("abandoned", _line(answered=False)),
    Column("abandoned_pct", _line(answered=False)),
    Column("service_level_pct", _line(answered=True, max_wait="sl")),
    Column("wait_avg", _line(answered=True), "reports.col.line_wait_avg"),
)  # fmt: skip


def load_link(meta: ReportMeta, weekday: int, hour: int, missed: bool) -> str:
    answered = False if missed else None
    return _url(
        "/calls", meta, direction="in", ended=True, weekday=weekday, hour=hour, answered=answered
    )


def day_link(day: Any, **params: object) -> str:
    """One day's calls."""
    query = {"from": day.isoformat(), "until": day.isoformat()}
    query.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()})
    return f"/calls?{urlencode(query)}"


# --- the same tables as plain rows, for the exports ---------------------------------------------


Translate = Callable[[str], str]
Table = list[list[Any]]


def managers_rows(report: ManagersReport, t: Translate) -> list[list[Any]]:
    head = [t("reports.col.manager"), *[t(c.label) for c in MANAGER_COLUMNS]]
    rows = [head]
    for row in report.rows:
        name = row.name if row.active else f"{row.name} ({t('reports.inactive')})"
        rows.append([name, *[getattr(row, c.key) for c in MANAGER_COLUMNS]])
    if report.team is not None:
        rows.append([t("reports.team"), *[getattr(report.team, c.key) for c in MANAGER_COLUMNS]])
    return rows


def lines_rows(report: LinesReport, t: Translate) -> list[list[Any]]:
    labels = [t(c.label).format(seconds=report.meta.sl_seconds) for c in LINE_COLUMNS]
    rows = [[t("reports.col.line"), t("lines.name"), t("reports.col.source"), *labels]]
    for row in [*report.rows, report.total]:
        number = row.line or (t("reports.no_line") if row is not report.total else "")
        name = row.name or ("" if row is not report.total else t("reports.col.team_total"))
        rows.append([number, name, row.source or "", *[getattr(row, c.key) for c in LINE_COLUMNS]])
    return rows


def load_rows(report: LoadReport, t: Translate) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [t("reports.col.weekday"), t("reports.col.hour"), t("reports.col.inbound"),
         t("reports.col.missed")]
    ]  # fmt: skip
    for cell in report.cells:
        rows.append([t(f"weekday.{cell.weekday}"), cell.hour, cell.inbound, cell.missed])
    return rows


def trend_rows(report: TrendReport, t: Translate) -> list[list[Any]]:
    previous = t("reports.col.previous")
    head = [t("reports.col.day"), t("reports.col.calls"), t("reports.col.answered_pct"),
            t("reports.col.missed")]  # fmt: skip
    rows: list[list[Any]] = [head + [f"{h} ({previous})" for h in head]]
    for day, before in zip(report.days, report.previous, strict=True):
        rows.append(
            [day.day.isoformat(), day.calls, day.answered_pct, day.missed,
             before.day.isoformat(), before.calls, before.answered_pct, before.missed]
        )  # fmt: skip
    return rows
