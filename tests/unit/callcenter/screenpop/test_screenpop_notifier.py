"""ScreenPopNotifier's ordering: pops go out from the listener when the card is ready, a call's
changes keep the PBX's order while its card is looked up, and one slow lookup never holds up
another call. Real tracker changes from AMI events; the database lookups are stand-ins that the
test releases by hand (the real ones are covered in tests/integration)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from callcenter.screenpop.hub import ScreenPopHub, Subscriber
from callcenter.screenpop.notifier import ScreenPopNotifier
from pbx_bridge.events import parse_event
from pbx_bridge.tracker import CallTracker, Change
from tests.fakes.threaded_ami import chan, event

MANAGERS = {"101": 1, "102": 2}


class Lookups:
    """Card lookups that finish when the test says so, by phone."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}
        self.asked: list[str | None] = []
        self.manager_queries = 0

    def gate(self, phone: str) -> asyncio.Event:
        return self.release.setdefault(phone, asyncio.Event())

    async def card(self, session: Any, phone: str | None) -> tuple[dict | None, dict | None]:
        self.asked.append(phone)
        if phone is not None:
            await self.gate(phone).wait()
        return {"id": 7, "name": f"caller {phone}"}, None

    async def managers(self, session: Any, extensions: set[str]) -> dict[str, int]:
        self.manager_queries += 1
        return {e: MANAGERS[e] for e in extensions if e in MANAGERS}


@contextlib.asynccontextmanager
async def no_session() -> AsyncIterator[None]:
    yield None


def make(lookups: Lookups) -> tuple[ScreenPopNotifier, ScreenPopHub]:
    hub = ScreenPopHub()
    notifier = ScreenPopNotifier(
        hub,
        no_session,  # type: ignore[arg-type]
        card_lookup=lookups.card,
        manager_lookup=lookups.managers,
    )
    return notifier, hub


def call_events(n: int, number: str, desk: str) -> tuple[list[dict], list[dict], list[dict]]:
    lid = f"1790000000.{n}0"
    trunk = (f"PJSIP/trunk-{n:08x}", lid, lid)
    dest = (f"PJSIP/{desk}-{n:08x}", f"1790000000.{n}1", lid)
    appear = [
        event("Newchannel", n, **chan("", *trunk, CallerIDNum=number, ChannelState="4")),
        event("Newchannel", n, **chan("", *dest, ChannelState="0")),
    ]
    ring = [event("DialBegin", n, **chan("", *trunk), **chan("Dest", *dest), DialString=desk)]
    end = [
        event("DialEnd", n, **chan("", *trunk), **chan("Dest", *dest), DialStatus="ANSWER"),
        event("Hangup", n, **chan("", *dest), Cause="16"),
        event("Hangup", n, **chan("", *trunk), Cause="16"),
    ]
    return appear, ring, end


class Pbx:
    def __init__(self, notifier: ScreenPopNotifier) -> None:
        self.tracker = CallTracker()
        self.notifier = notifier

    async def send(self, blocks: list[dict]) -> None:
        changes: list[Change] = []
        for block in blocks:
            parsed = parse_event(block, 0.0)
            if parsed is not None:
                changes.extend(self.tracker.apply(parsed))
        await self.notifier("default", changes)


def frames(subscriber: Subscriber) -> list[tuple[str, str]]:
    return [(m["type"], m["call_id"]) for m in map(json.loads, subscriber.pending())]


async def test_a_ready_card_pops_from_the_listener_itself() -> None:
    lookups = Lookups()
    notifier, hub = make(lookups)
    desk = hub.subscribe(1)
    pbx = Pbx(notifier)
    appear, ring, _ = call_events(1, "+79161234567", "101")
    lookups.gate("+79161234567").set()
    await pbx.send(appear)
    await asyncio.sleep(0)  # the lookup task runs
    await asyncio.sleep(0)
    # the managers' cache is cold: the first ring of the day waits for it
    await pbx.send(ring)
    await notifier.idle()
    assert frames(desk) == [("call.ringing", "1790000000.10")]

    appear2, ring2, _ = call_events(2, "+79161234567", "101")
    await pbx.send(appear2)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await pbx.send(ring2)
    # no await in between: the pop was queued by the listener call
    assert frames(desk) == [("call.ringing", "1790000000.20")]
    assert lookups.manager_queries == 1


async def test_a_slow_card_holds_its_own_call_in_order_but_not_the_others() -> None:
    lookups = Lookups()
    notifier, hub = make(lookups)
    desk1, desk2 = hub.subscribe(1), hub.subscribe(2)
    pbx = Pbx(notifier)
    slow = call_events(1, "+79160000001", "101")
    fast = call_events(2, "+79160000002", "102")
    lookups.gate("+79160000002").set()

    await pbx.send(slow[0] + slow[1])  # rings while its card is still being read
    await pbx.send(slow[2])  # and ends, still before the card
    await pbx.send(fast[0])
    await asyncio.sleep(0.01)
    await pbx.send(fast[1])
    await asyncio.sleep(0.01)
    assert frames(desk2) == [("call.ringing", "1790000000.20")]
    assert frames(desk1) == []

    lookups.gate("+79160000001").set()
    await notifier.idle()
    got = [json.loads(f) for f in desk1.pending()]
    assert [m["type"] for m in got] == ["call.ringing", "call.answered", "call.ended"]
    assert got[0]["customer"] == {"id": 7, "name": "caller +79160000001"}


async def test_a_failing_lookup_still_pops_the_number() -> None:
    lookups = Lookups()

    async def broken(session: Any, phone: str | None) -> Any:
        raise OSError("database is down")

    notifier, hub = make(lookups)
    notifier._card_lookup = broken
    desk = hub.subscribe(1)
    pbx = Pbx(notifier)
    appear, ring, _ = call_events(3, "89161234567", "101")
    await pbx.send(appear + ring)
    await notifier.idle()
    (message,) = [json.loads(f) for f in desk.pending()]
    assert message["type"] == "call.ringing"
    assert message["customer"] is None and message["phone"] == "+79161234567"


async def test_stop_cancels_lookups_in_flight() -> None:
    lookups = Lookups()
    notifier, hub = make(lookups)
    pbx = Pbx(notifier)
    appear, ring, _ = call_events(4, "+79160000004", "101")
    await pbx.send(appear + ring)
    await asyncio.sleep(0.01)
    await notifier.stop()
    await notifier.idle()  # nothing left to wait for
    assert lookups.asked == ["+79160000004"]
