"""A hand-computed shop for the reports: two days in Moscow (Monday 2 and Tuesday 3 November
2026, UTC+3) with every edge, and the figures worked out by hand in the tests beside it.

Calls (local time; stored as UTC, three hours earlier):
 1  in  L1 Mon 10:00  rang op1 op2, op1 answers, wait 10, talk 120, customer C1
 2  in  L1 Mon 10:30  rang op1 op2, op2 answers, wait 30, talk 60,  customer C2
 3  in  L1 Mon 11:00  rang op1 op2, nobody answers (wait 25),        customer C3
 4  in  L2 Mon 23:50  rang op1, op1 answers, wait 5, talk 900: runs across midnight, counts Monday
 5  in  L2 Tue 00:10  abandoned in the queue, rang nobody: UTC Monday 21:10, counts Tuesday
 6  in  L1 Tue 09:00  rang op1, transferred to op2 who has it at the end: wait 9, talk 300
 7  out    Tue 12:00  op1 places it, the customer C1 answers: talk 200
 8  out    Tue 12:30  op2 places it, nobody answers
 9  out    Mon 14:00  op3 (deactivated since) places it, answered: talk 100
10  internal Mon 15:00 op1 to op2: not a customer call, not counted
11  in  L1 Sun 23:59  op1 answers: the day before the period
12  in  L1 Wed 00:00  nobody answers: the day after the period
13  in  L1 Tue 13:00  still ringing (no status): not counted until it ends
Orders (window 24 h):
 O1 C1 op1 Mon 12:00 complete   after call 1 (op1)
 O2 C2 op2 Tue 09:00 new        after call 2 (op2, 22 h 30 min before)
 O3 C3 op1 Tue 11:00 complete   C3's only call was missed: not after a call
 O4 C1 --  Tue 13:00 complete   no manager (the web shop); after call 7 (op1)
 O5 C2 op2 Tue 11:00 cancelled  call 2 is 24 h 30 min before: outside the window
 O6 C1 op1 Sun 12:00 complete   the day before the period
Tasks:
 T1 callback op1 for call 3, given Mon 11:01, due 11:31, done 11:20: on time, 20 min
 T2 callback op2 for call 5, given Tue 00:11, due 00:41, done 09:40: late, 570 min
 T3 callback op1, given Tue 10:00, due 10:30, still open
 T4 manual op1, given Mon 09:00, due 18:00, done 17:00
 T5 manual op2, given Tue 08:00, no deadline, open
 T6 manual op2, given Sun 10:00: the day before the period
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import (
    Call,
    CallDirection,
    CallRing,
    CallStatus,
    Customer,
    Line,
    Manager,
    Order,
    OrderStatus,
    Task,
)

L1, L2, L3 = "+74951111111", "+74952222222", "+78005553535"
MSK = dt.timedelta(hours=3)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """Moscow local time on day ``day`` of November 2026, as stored (naive UTC)."""
    return dt.datetime(2026, 11, day, hour, minute, second) - MSK


@dataclass
class Ids:
    op1: int
    op2: int
    op3: int
    calls: dict[int, int]


async def build(session: AsyncSession, op1: int, op2: int) -> Ids:
    op3 = Manager(login="op3", name="Ольга Третья", password_hash="-", extension="103")
    session.add(op3)
    session.add_all(
        [Line(number=L1, name="Тверская", source="сайт"), Line(number=L3, name="Авито")]
    )
    customers = [Customer(name=f"C{n}", search_name=f"c{n}", manager_id=op1) for n in (1, 2, 3)]
    session.add_all(customers)
    await session.flush()
    c1, c2, c3 = (c.id for c in customers)
    calls = _calls(op1, op2, op3.id, c1, c2, c3)
    session.add_all(calls.values())
    await session.flush()
    _orders(session, op1, op2, c1, c2, c3)
    _tasks(session, op1, op2, calls)
    op3.is_active = False  # deactivated in the period: their call stays theirs
    await session.flush()
    return Ids(op1, op2, op3.id, {n: call.id for n, call in calls.items()})


def _call(
    n: int,
    direction: CallDirection,
    started: dt.datetime,
    *,
    status: CallStatus | None,
    manager: int | None = None,
    rang: tuple[int, ...] = (),
    line: str | None = None,
    wait: int | None = None,
    talk: int | None = None,
    customer: int | None = None,
) -> Call:
    answered = started + dt.timedelta(seconds=wait or 0) if status is CallStatus.ANSWERED else None
    ended = None if status is None else started + dt.timedelta(seconds=(wait or 0) + (talk or 0))
    return Call(
        linkedid=f"1790000000.{n}",
        direction=direction,
        phone=f"+7916000000{n:02d}",
        customer_id=customer,
        manager_id=manager,
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        wait_seconds=wait,
        talk_seconds=talk,
        status=status,
        line=line,
        rang=[CallRing(manager_id=m, rang_at=started) for m in rang],
    )


def _calls(op1: int, op2: int, op3: int, c1: int, c2: int, c3: int) -> dict[int, Call]:
    IN, OUT = CallDirection.IN, CallDirection.OUT
    ANSWERED, MISSED = CallStatus.ANSWERED, CallStatus.MISSED
    return {
        1: _call(1, IN, at(2, 10), status=ANSWERED, manager=op1, rang=(op1, op2), line=L1,
                 wait=10, talk=120, customer=c1),
        2: _call(2, IN, at(2, 10, 30), status=ANSWERED, manager=op2, rang=(op1, op2), line=L1,
                 wait=30, talk=60, customer=c2),
        3: _call(3, IN, at(2, 11), status=MISSED, rang=(op1, op2), line=L1, wait=25,
                 customer=c3),
        4: _call(4, IN, at(2, 23, 50), status=ANSWERED, manager=op1, rang=(op1,), line=L2,
                 wait=5, talk=900),
        5: _call(5, IN, at(3, 0, 10), status=MISSED, line=L2, wait=40),
        6: _call(6, IN, at(3, 9), status=ANSWERED, manager=op2, rang=(op1,), line=L1, wait=9,
                 talk=300),
        7: _call(7, OUT, at(3, 12), status=ANSWERED, manager=op1, rang=(op1,), wait=15,
                 talk=200, customer=c1),
        8: _call(8, OUT, at(3, 12, 30), status=MISSED, rang=(op2,), wait=30),
        9: _call(9, OUT, at(2, 14), status=ANSWERED, manager=op3, rang=(op3,), wait=12,
                 talk=100),
        10: _call(10, CallDirection.INTERNAL, at(2, 15), status=ANSWERED, manager=op2,
                  rang=(op2,), wait=3, talk=50),
        11: _call(11, IN, at(1, 23, 59), status=ANSWERED, manager=op1, rang=(op1,), line=L1,
                  wait=4, talk=30),
        12: _call(12, IN, at(4, 0), status=MISSED, rang=(op1,), line=L1, wait=20),
        13: _call(13, IN, at(3, 13), status=None, rang=(op1,), line=L1),
    }  # fmt: skip


def _orders(session: AsyncSession, op1: int, op2: int, c1: int, c2: int, c3: int) -> None:
    rows = [
        ("O1", c1, op1, at(2, 12), OrderStatus.COMPLETE),
        ("O2", c2, op2, at(3, 9), OrderStatus.NEW),
        ("O3", c3, op1, at(3, 11), OrderStatus.COMPLETE),
        ("O4", c1, None, at(3, 13), OrderStatus.COMPLETE),
        ("O5", c2, op2, at(3, 11), OrderStatus.CANCELLED),
        ("O6", c1, op1, at(1, 12), OrderStatus.COMPLETE),
    ]
    for number, customer, manager, created, status in rows:
        session.add(
            Order(
                number=number,
                customer_id=customer,
                manager_id=manager,
                created_at=created,
                updated_at=created,
                status=status,
                total=Decimal("1000"),
            )
        )


def _missed(call: Call) -> list[dict[str, object]]:
    return [{"what": "missed", "at": call.started_at.isoformat("T", "seconds"), "call_id": call.id}]


def _tasks(session: AsyncSession, op1: int, op2: int, calls: dict[int, Call]) -> None:
    rows = [
        ("callback", op1, at(2, 11, 1), at(2, 11, 31), at(2, 11, 20), _missed(calls[3])),
        ("callback", op2, at(3, 0, 11), at(3, 0, 41), at(3, 9, 40), _missed(calls[5])),
        ("callback", op1, at(3, 10), at(3, 10, 30), None, []),
        ("manual", op1, at(2, 9), at(2, 18), at(2, 17), []),
        ("manual", op2, at(3, 8), None, None, []),
        ("manual", op2, at(1, 10), None, None, []),
    ]
    for kind, assignee, created, deadline, done, events in rows:
        session.add(
            Task(
                title=kind,
                kind=kind,
                assignee_id=assignee,
                created_at=created,
                deadline=deadline,
                done_at=done,
                events=events,
            )
        )
