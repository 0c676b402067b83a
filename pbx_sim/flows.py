"""What the sample dialplan (docker/asterisk/extensions.conf) does with a call, step by step,
on the simulated PBX:

- ``from-trunk``: MixMonitor, ``AGI(agi://…/route)``, ``Dial(${CRM_DIAL},…)``, and the
  fallback group when AGISTATUS is not SUCCESS, CRM_DIAL is empty or nobody answered;
- an AMI Originate of a manager's phone into ``from-managers``: the phone rings, its manager
  answers, MixMonitor, then ``Dial(PJSIP/<number>@trunk)`` to the customer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pbx_sim import audio
from pbx_sim.agi_client import environment, run_agi
from pbx_sim.channels import RING, RINGING, UNKNOWN, UP, Chan, event
from pbx_sim.pbx import TRUNK, Call, Pbx, Ring
from pbx_sim.wire import Action

log = logging.getLogger(__name__)

MIXMONITOR = "MIXMONITOR_FILENAME"
_CALLERID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


@dataclass(frozen=True)
class Plan:
    """How one call will go, drawn by the traffic generator (or a test)."""

    outcome: str = "answer"  # "answer", "noanswer" (nobody picks up), "busy" (every phone: 486)
    answer_after: float = 4.0  # how long a phone rings before it is answered
    talk_seconds: float = 15.0
    patience: float = 60.0  # the caller hangs up after this long without an answer
    customer_hangs_up: bool = True
    seed: int = 0


@dataclass
class DialplanConfig:
    agi_url: str
    fallback_group: tuple[str, ...]
    shop_number: str = "74951234567"
    monitor_prefix: str = "/var/spool/asterisk/monitor"
    inbox: Path = Path("./var/monitor")
    ring_timeout: float = 20.0
    customer_ring_timeout: float = 45.0
    originate_context: str = "from-managers"


def parse_callerid(value: str) -> tuple[str, str]:
    """``"Иван Петров" <79161234567>`` → (name, number)."""
    match = _CALLERID.match(value or "")
    if match:
        return match["name"].strip(), match["num"].strip()
    text = (value or "").strip()
    return ("", text) if text.lstrip("+").isdigit() else (text, "")


@dataclass
class _Originate:
    """One Originate action as the dialplan reads it, and its OriginateResponse (sent once)."""

    pbx: Pbx
    action: Action
    channel: str
    context: str
    exten: str
    cid_name: str
    cid_num: str
    timeout: float  # seconds the manager's phone rings
    result: Callable[[bool], None]
    send_response: bool  # Async: true; otherwise only ``result`` hears of the outcome
    responded: bool = False

    def respond(self, success: bool, reason: int, chan: Chan | None = None) -> None:
        self.responded = True
        self.result(success)
        if not self.send_response:
            return
        fields = [
            ("ActionID", self.action.action_id),
            ("Response", "Success" if success else "Failure"),
            ("Channel", chan.name if chan and success else self.channel),
            ("Context", self.context),
            ("Exten", self.exten),
            ("Reason", str(reason)),
            ("Uniqueid", chan.uniqueid if chan and success else UNKNOWN),
            ("CallerIDNum", self.cid_num or UNKNOWN),
            ("CallerIDName", self.cid_name or UNKNOWN),
        ]
        if chan is not None and success:
            fields += [
                (f"ChanVariable({chan.name})", f"{k}={v}") for k, v in chan.variables.items()
            ]
        self.pbx.emit_event(event("OriginateResponse", fields))


class Dialplan:
    def __init__(self, pbx: Pbx, config: DialplanConfig, rng: random.Random) -> None:
        self.pbx = pbx
        self.config = config
        self.rng = rng
        self.recordings_written = 0

    # --- MixMonitor -------------------------------------------------------------------------

    async def _mixmonitor(self, chan: Chan) -> Path:
        # Gosub(sub-record): MixMonitor(${UNIQUEID}.wav,br(${UNIQUEID}-r.wav)t(${UNIQUEID}-t.wav))
        name = f"{chan.uniqueid}.wav"
        local = self.config.inbox / name
        await asyncio.to_thread(audio.write_header_only, local)
        chan.variables[MIXMONITOR] = f"{self.config.monitor_prefix.rstrip('/')}/{name}"
        self.pbx.emit("MixMonitorStart", chan)
        return local

    async def _record(self, path: Path, plan: Plan) -> None:
        await asyncio.to_thread(audio.write_recording, path, plan.talk_seconds, plan.seed)
        self.recordings_written += 1

    # --- inbound: [from-trunk] ---------------------------------------------------------------

    async def inbound(self, call: Call, caller: str, plan: Plan) -> None:
        pbx, loop = self.pbx, asyncio.get_running_loop()
        deadline = loop.time() + plan.patience
        a = pbx.new_channel(
            TRUNK,
            call,
            state=RING,
            caller_num=caller or UNKNOWN,
            caller_name=caller or UNKNOWN,
            context="from-trunk",
            exten=self.config.shop_number,
        )
        pbx.device_update(a.device)
        a.priority = 3
        recording = await self._mixmonitor(a)
        a.priority, a.application, a.app_data = 4, "AGI", self.config.agi_url
        result = await run_agi(
            self.config.agi_url,
            environment(
                self.config.agi_url,
                channel=a.name,
                uniqueid=a.uniqueid,
                caller_num=caller,
                caller_name=caller,
                dialled=self.config.shop_number,
                context=a.context,
                priority=a.priority,
            ),
        )
        if result.status == "HANGUP":
            pbx.hangup(a, 16)
            return
        if result.status == "SUCCESS" and "CRM_ROUTE" in a.variables:
            a.variables["CRM_ROUTE"] = result.variables.get("CRM_ROUTE", "")
        target = result.variables.get("CRM_DIAL", "") if result.status == "SUCCESS" else ""
        status, winner = "", None
        if target:
            a.priority = 6
            status, winner = await self.dial(a, target.split("&"), plan, deadline)
        if winner is None and status != "GONE":
            a.priority = 9  # (fallback) Dial(${FALLBACK_GROUP},${RING_SECONDS},t)
            group = [f"PJSIP/{ext}" for ext in self.config.fallback_group]
            status, winner = await self.dial(a, group, plan, deadline)
        if winner is not None:
            call.answered_at = loop.time()
            await self._record(recording, plan)
            await asyncio.sleep(plan.talk_seconds)
            first, second = (a, winner) if plan.customer_hangs_up else (winner, a)
            pbx.end_bridged(first, second, lambda: self._cdr(a, winner, call, "ANSWERED"))
            return
        if status == "GONE":  # the caller gave up while it rang
            self._cdr(a, None, call, "NO ANSWER")
            pbx.hangup(a, 127, 487)
            return
        pbx.emit("SoftHangupRequest", a, ("Cause", "16"))
        self._cdr(a, None, call, "BUSY" if status == "BUSY" else "NO ANSWER")
        pbx.hangup(a, 17 if status == "BUSY" else 16)

    async def dial(
        self, a: Chan, targets: list[str], plan: Plan, deadline: float
    ) -> tuple[str, Chan | None]:
        """``Dial(PJSIP/101&PJSIP/103,…)`` from channel ``a``: returns DIALSTATUS (or "GONE"
        when the caller hung up first) and the leg that answered."""
        pbx, loop = self.pbx, asyncio.get_running_loop()
        a.application = "Dial"
        a.app_data = f"{'&'.join(targets)},{int(self.config.ring_timeout)},t"
        legs = self._dial_legs(a, targets)
        if not legs:
            return "CHANUNAVAIL", None
        rings = self._ring_legs(a, legs, plan)
        if not rings:
            return "BUSY", None
        if plan.outcome == "answer":  # one of the phones that ring picks up
            pbx.auto_answer(self.rng.choice(rings), plan.answer_after)
        wait = max(0.0, min(self.config.ring_timeout, deadline - loop.time()))
        done, _ = await asyncio.wait(
            [r.answered for r in rings], timeout=wait, return_when=asyncio.FIRST_COMPLETED
        )
        winner = next((r for r in rings if r.answered in done), None)
        for ring in rings:
            pbx.rings.pop(ring.chan.uniqueid, None)
        if winner is not None:
            self._connect(a, winner, rings)
            return "ANSWER", winner.chan
        gone = loop.time() >= deadline - 0.01
        self._stop_ringing(a, rings, gone)
        return ("GONE" if gone else "NOANSWER"), None

    def _dial_legs(self, a: Chan, targets: list[str]) -> list[Chan]:
        """A channel for each target that is a known phone; unknown ones get none at all."""
        pbx = self.pbx
        legs: list[Chan] = []
        for target in targets:
            tech, _, ext = target.partition("/")
            if tech.upper() != "PJSIP" or ext not in pbx.extensions:
                continue  # no such endpoint: CHANUNAVAIL, and no channel at all
            b = pbx.new_channel(f"PJSIP/{ext}", call=pbx.calls[a.linkedid], context="from-managers")
            b.exten = a.exten
            pbx.set_caller(b, a.exten, "", (a.caller_num, a.caller_name))
            legs.append(b)
        return legs

    def _ring_legs(self, a: Chan, legs: list[Chan], plan: Plan) -> list[Ring]:
        """DialBegin on every leg; the busy ones hang up at once, the others start ringing."""
        pbx = self.pbx
        rings: list[Ring] = []
        for b in legs:
            pbx.emit_dial("DialBegin", a, b, ("DialString", b.device.partition("/")[2]))
            if plan.outcome == "busy" or pbx.in_use(b.extension or ""):
                pbx.hangup_request(b, 17, 486)
                pbx.emit_dial("DialEnd", a, b, ("DialStatus", "BUSY"))
                pbx.hangup(b, 17, 486)
                continue
            b.application, b.app_data = "AppDial", "(Outgoing Line)"
            pbx.set_state(b, RINGING)
            pbx.emit_dial("DialState", a, b, ("DialStatus", "RINGING"))
            rings.append(pbx.start_ringing(b))
        return rings

    def _connect(self, a: Chan, winner: Ring, rings: list[Ring]) -> None:
        """The leg that answered is bridged with ``a``; the other phones stop ringing."""
        pbx = self.pbx
        w = winner.chan
        pbx.set_state(w, UP)
        pbx.emit_dial("DialEnd", a, w, ("DialStatus", "ANSWER"))
        for ring in rings:
            if ring is not winner:
                pbx.emit_dial("DialEnd", a, ring.chan, ("DialStatus", "CANCEL"))
                pbx.hangup(ring.chan, 26)
        if a.state != UP:
            pbx.set_state(a, UP)
        pbx.bridge(w, a)

    def _stop_ringing(self, a: Chan, rings: list[Ring], gone: bool) -> None:
        """Nobody answered: every leg ends, cancelled if the caller (``a``) is ``gone``."""
        pbx = self.pbx
        if gone:
            pbx.hangup_request(a, 127, 487)
        for ring in rings:
            status = "CANCEL" if gone else "NOANSWER"
            pbx.emit_dial("DialEnd", a, ring.chan, ("DialStatus", status))
            pbx.hangup(ring.chan, 127 if gone else 0, 500 if gone else None)

    def _cdr(self, a: Chan, dest: Chan | None, call: Call, disposition: str) -> None:
        fmt = "%Y-%m-%d %H:%M:%S"
        now = dt.datetime.now()
        start = dt.datetime.fromtimestamp(call.started_at)
        loop_now = asyncio.get_running_loop().time()
        answered = (
            now - dt.timedelta(seconds=loop_now - call.answered_at)
            if call.answered_at is not None
            else None
        )
        self.pbx.emit_event(
            event(
                "Cdr",
                [
                    ("AccountCode", ""),
                    ("Source", a.caller_num),
                    ("Destination", a.exten),
                    ("DestinationContext", a.context),
                    ("CallerID", f'"{a.caller_name}" <{a.caller_num}>'),
                    ("Channel", a.name),
                    ("DestinationChannel", dest.name if dest else ""),
                    ("LastApplication", a.application),
                    ("LastData", a.app_data),
                    ("StartTime", start.strftime(fmt)),
                    ("AnswerTime", answered.strftime(fmt) if answered else ""),
                    ("EndTime", now.strftime(fmt)),
                    ("Duration", str(int((now - start).total_seconds()))),
                    (
                        "BillableSeconds",
                        str(int((now - answered).total_seconds())) if answered else "0",
                    ),
                    ("Disposition", disposition),
                    ("AMAFlags", "DOCUMENTATION"),
                    ("UniqueID", a.uniqueid),
                    ("UserField", ""),
                ],
                privilege="cdr,all",
            )
        )

    # --- click-to-call: Originate into [from-managers] ------------------------------------------

    def check_originate(self, action: Action) -> str | None:
        if not action.get("Channel"):
            return "Channel not specified"
        if not action.get("Exten") and not action.get("Application"):
            return "Exten not specified"
        return None

    async def originate(
        self,
        call: Call,
        action: Action,
        plan: Plan,
        customer: Plan,
        result: Callable[[bool], None],
        send_response: bool,
    ) -> None:
        request = self._read_originate(action, result, send_response)
        m = await self._ring_manager(call, request, plan)
        if m is not None:
            await self._manager_dials(call, m, request.exten, customer)

    def _read_originate(
        self, action: Action, result: Callable[[bool], None], send_response: bool
    ) -> _Originate:
        cid_name, cid_num = parse_callerid(action.get("CallerID"))
        try:
            timeout = max(1.0, int(action.get("Timeout") or "30000") / 1000)
        except ValueError:
            timeout = 30.0
        return _Originate(
            pbx=self.pbx,
            action=action,
            channel=action.get("Channel"),
            context=action.get("Context") or self.config.originate_context,
            exten=action.get("Exten"),
            cid_name=cid_name,
            cid_num=cid_num,
            timeout=timeout,
            result=result,
            send_response=send_response,
        )

    async def _ring_manager(self, call: Call, request: _Originate, plan: Plan) -> Chan | None:
        """The first leg: ring the manager's phone; the answered channel, or None (responded
        with the failure's reason)."""
        pbx, action, respond = self.pbx, request.action, request.respond
        tech, _, ext = request.channel.partition("/")
        if tech.upper() != "PJSIP" or ext not in pbx.extensions or action.get("Application"):
            respond(False, 0)  # no such phone (or an application we do not run)
            return None
        m = pbx.new_channel(
            f"PJSIP/{ext}", call, uniqueid=action.get("ChannelId") or None, context=request.context
        )
        for item in action.all("Variable"):
            key, _, value = item.partition("=")
            if key in m.variables:
                m.variables[key] = value
        cid_num, cid_name = request.cid_num, request.cid_name
        pbx.set_caller(m, cid_num, cid_name, (cid_num or UNKNOWN, cid_name or UNKNOWN))
        pbx.emit_dial("DialBegin", None, m, ("DialString", ext))
        if pbx.in_use(ext):
            respond(False, 5)
            pbx.hangup(m, 17, 486)
            return None
        pbx.emit_dial("DialState", None, m, ("DialStatus", "RINGING"))
        pbx.set_state(m, RINGING)
        ring = pbx.start_ringing(m)
        if plan.outcome == "answer":
            pbx.auto_answer(ring, plan.answer_after)
        try:
            done, _ = await asyncio.wait([ring.answered], timeout=request.timeout)
        except asyncio.CancelledError:  # hung up (AMI Hangup) while it rang
            if not request.responded:
                respond(False, 1)
            raise
        pbx.rings.pop(m.uniqueid, None)
        if not done:
            respond(False, 3)
            pbx.hangup(m, 19, 480)
            return None
        pbx.set_state(m, UP)
        pbx.emit_dial("DialEnd", None, m, ("DialStatus", "ANSWER"))
        respond(True, 4, m)
        return m

    async def _manager_dials(self, call: Call, m: Chan, exten: str, customer: Plan) -> None:
        """[from-managers] after the manager answered: record, then Dial the customer (or a
        colleague's extension) and talk."""
        pbx, loop = self.pbx, asyncio.get_running_loop()
        m.exten, m.priority = exten, 1
        if not exten.isdigit():
            pbx.hangup(m, 16)
            return
        m.priority = 2
        recording = await self._mixmonitor(m)
        m.priority, m.application = 3, "Dial"
        if exten in pbx.extensions:  # a colleague: exten => _1XX,1,Dial(PJSIP/${EXTEN},25,t)
            status, winner = await self.dial(m, [f"PJSIP/{exten}"], customer, loop.time() + 60)
        else:
            m.app_data = f"PJSIP/{exten}@trunk,45,T"
            winner = await self._dial_customer(m, exten, customer)
        if winner is None:
            pbx.hangup(m, 16)
            return
        call.answered_at = loop.time()
        await self._record(recording, customer)
        await asyncio.sleep(customer.talk_seconds)
        first, second = (winner, m) if customer.customer_hangs_up else (m, winner)
        pbx.end_bridged(first, second, lambda: self._cdr(m, winner, call, "ANSWERED"))

    async def _dial_customer(self, m: Chan, number: str, plan: Plan) -> Chan | None:
        pbx = self.pbx
        c = pbx.new_channel(TRUNK, pbx.calls[m.linkedid], context="from-trunk")
        c.exten = number
        pbx.set_caller(c, number, "", (m.caller_num, m.caller_name))
        pbx.emit_dial("DialBegin", m, c, ("DialString", f"{number}@trunk"))
        if plan.outcome == "busy":
            pbx.hangup_request(c, 17, 486)
            pbx.emit_dial("DialEnd", m, c, ("DialStatus", "BUSY"))
            pbx.hangup(c, 17, 486)
            return None
        pbx.set_state(c, RINGING)
        pbx.emit_dial("DialState", m, c, ("DialStatus", "RINGING"))
        if plan.outcome != "answer":
            await asyncio.sleep(min(self.config.customer_ring_timeout, plan.patience))
            pbx.emit_dial("DialEnd", m, c, ("DialStatus", "NOANSWER"))
            pbx.hangup(c, 0)
            return None
        await asyncio.sleep(plan.answer_after)
        pbx.set_state(c, UP)
        pbx.emit_dial("DialEnd", m, c, ("DialStatus", "ANSWER"))
        pbx.bridge(c, m)
        return c
