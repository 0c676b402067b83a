"""``PbxSimulator``: the AMI server, the dialplan and the traffic, started and stopped as one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from dataclasses import dataclass, field
from pathlib import Path

from pbx_sim.ami_server import AmiServer, Handlers
from pbx_sim.flows import Dialplan, DialplanConfig, Plan
from pbx_sim.pbx import Call, Pbx
from pbx_sim.traffic import CallerPools, Pace, customer_plan, inbound_plan, manager_plan
from pbx_sim.wire import Action

log = logging.getLogger(__name__)

__all__ = ["CallerPools", "PbxSimulator", "Plan", "SimConfig"]


@dataclass
class SimConfig:
    ami_username: str = "sim"
    ami_secret: str = "sim-secret"
    agi_url: str = "agi://127.0.0.1:4573/route"
    # Managers' phones (PJSIP/<extension>); other endpoints are unavailable.
    extensions: tuple[str, ...] = ("101", "102", "103")
    # The dialplan's FALLBACK_GROUP; empty means every phone above.
    fallback_group: tuple[str, ...] = ()
    shop_number: str = "74951234567"
    monitor_prefix: str = "/var/spool/asterisk/monitor"  # the paths as the PBX reports them…
    inbox: Path = Path("./var/monitor")  # …and where the files are written
    calls_per_minute: float = 6.0
    first_call_after: float = 1.0
    max_calls: int = 8
    ring_timeout: float = 20.0
    pace: Pace = field(default_factory=Pace)
    seed: int | None = None


class PbxSimulator:
    def __init__(self, config: SimConfig, pools: CallerPools | None = None) -> None:
        self.config = config
        self.pools = pools or CallerPools()
        self.rng = random.Random(config.seed)
        self.ami = AmiServer(
            config.ami_username,
            config.ami_secret,
            Handlers(
                live_channels=lambda: self.pbx.live_channels(),
                originate=self._originate,
                hangup=lambda name, cause: self.pbx.hangup_channel(name, cause),
            ),
        )
        self.pbx = Pbx(self.ami.emit, config.extensions)
        self.dialplan = Dialplan(
            self.pbx,
            DialplanConfig(
                agi_url=config.agi_url,
                fallback_group=config.fallback_group or config.extensions,
                shop_number=config.shop_number,
                monitor_prefix=config.monitor_prefix,
                inbox=config.inbox,
                ring_timeout=config.ring_timeout,
            ),
            self.rng,
        )
        self.calls_placed = 0
        # Scripted click-to-calls (tests, a scripted demo): (manager's phone, customer) plans,
        # used in order before random ones.
        self.originate_plans: list[tuple[Plan, Plan]] = []
        self._traffic: asyncio.Task[None] | None = None

    # --- life -------------------------------------------------------------------------------

    async def start(
        self, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
    ) -> None:
        self.config.inbox.mkdir(parents=True, exist_ok=True)
        await self.ami.start(host, port, sock)

    def start_traffic(self) -> None:
        if self._traffic is None and self.config.calls_per_minute > 0:
            self._traffic = asyncio.create_task(self._place_calls(), name="pbx-sim-traffic")

    async def stop_calls(self) -> None:
        """No new calls; the calls in progress hang up (their Hangup events still go out)."""
        if self._traffic is not None:
            self._traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._traffic
            self._traffic = None
        await self.pbx.stop()

    async def stop(self) -> None:
        await self.stop_calls()
        await self.ami.stop()

    @property
    def ami_port(self) -> int:
        return self.ami.port

    @property
    def agi_url(self) -> str:
        return self.dialplan.config.agi_url

    @agi_url.setter
    def agi_url(self, url: str) -> None:
        self.dialplan.config.agi_url = url

    @property
    def recordings_written(self) -> int:
        return self.dialplan.recordings_written

    # --- calls ------------------------------------------------------------------------------

    def place_call(self, number: str | None = None, plan: Plan | None = None) -> asyncio.Task[None]:
        """An inbound call from ``number`` (or someone from the pools) into the shop's number."""
        if number is None:
            number, _kind = self.pools.pick(self.rng)
        plan = plan or inbound_plan(self.rng, self.config.pace)
        self.calls_placed += 1
        call = Call()
        return self.pbx.spawn(
            call, lambda c: self.dialplan.inbound(c, number, plan), f"pbx-sim-call-{number}"
        )

    def answer(self, extension: str, call_id: str | None = None) -> bool:
        """The browser's "Answer": pick up the ringing phone of ``extension``."""
        return self.pbx.answer(extension, call_id)

    def ringing(self) -> list[tuple[str, str]]:
        return self.pbx.ringing()

    async def _place_calls(self) -> None:
        await asyncio.sleep(self.config.first_call_after)
        interval = 60.0 / self.config.calls_per_minute
        while True:
            if len(self.pbx.calls) < self.config.max_calls:
                self.place_call()
            await asyncio.sleep(interval * self.rng.uniform(0.6, 1.4))

    async def _originate(self, action: Action) -> str | None:
        error = self.dialplan.check_originate(action)
        if error:
            return error
        wait_for_it = action.get("Async", "false").lower() not in ("true", "yes", "1")
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def result(success: bool) -> None:
            if not outcome.done():
                outcome.set_result(success)

        if self.originate_plans:
            manager, customer = self.originate_plans.pop(0)
        else:
            manager = manager_plan(self.rng, self.config.pace)
            customer = customer_plan(self.rng, self.config.pace)
        task = self.pbx.spawn(
            Call(),
            lambda c: self.dialplan.originate(
                c, action, manager, customer, result, send_response=not wait_for_it
            ),
            f"pbx-sim-originate-{action.get('Channel')}",
        )
        task.add_done_callback(lambda _t: result(False))
        if wait_for_it:  # Async: false answers once the first leg is up, or failed
            return None if await outcome else "Originate failed"
        return None
