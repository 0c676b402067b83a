"""``Services``: the running service's parts, one typed container made in the app's lifespan.

``Services.build`` constructs every part and wires who listens to whom; it does no I/O. Each
feature's ``start`` and ``stop`` (``callcenter/<feature>/feature.py``) then do theirs.
Handlers reach the parts with ``services_of(request)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection

from callcenter.calls.telephony import Telephony
from callcenter.cluster.bus import Message
from callcenter.cluster.service import Cluster, Singletons
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.rate_limits import LoginRateLimiter
from callcenter.core.services import CoreServices, services_in
from callcenter.core.settings import Settings
from callcenter.dial_lists.jobs import DialListJobs
from callcenter.lines.service import LineBook
from callcenter.live.board import LiveBoard
from callcenter.live.listen import ListenService
from callcenter.recordings.jobs import RecordingJobs
from callcenter.reports.rollups import ReportRollups, RollupJob
from callcenter.reports.service import Reports
from callcenter.routing.service import CallRouting
from callcenter.screenpop.hub import ScreenPopHub
from callcenter.screenpop.notifier import ScreenPopNotifier
from callcenter.softphone.service import Softphones
from callcenter.tasks.callbacks import CallbackTasks, callback_pops
from callcenter.web_callback.service import WebCallbacks
from callcenter.webhooks.events import call_hook
from callcenter.webhooks.relay import WebhookRelay
from pbx_bridge.agi import FastAgiServer

log = logging.getLogger(__name__)


@dataclass
class Services(CoreServices):
    telephony: Telephony
    callbacks: CallbackTasks
    dial_lists: DialListJobs
    screenpop: ScreenPopHub
    screenpop_notifier: ScreenPopNotifier
    live_board: LiveBoard
    live_listen: ListenService
    routing: CallRouting
    recordings: RecordingJobs
    lines: LineBook
    reports: Reports
    report_job: RollupJob
    softphones: Softphones
    webhooks: WebhookRelay
    web_callbacks: WebCallbacks
    # Several instances on PostgreSQL: the bus and leaderships (None on SQLite), and the jobs
    # one instance runs for all.
    cluster: Cluster | None
    singletons: Singletons
    # The FastAGI server, once the routing feature has started it (None when it is off).
    agi: FastAgiServer | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        maker = make_sessionmaker(engine)
        cluster = Cluster.of(settings)
        telephony = Telephony(settings, maker, cluster)
        hub = ScreenPopHub()
        region = settings.default_region
        lines = LineBook(maker)
        callbacks = CallbackTasks(maker)
        rollups = ReportRollups(
            maker, settings.zone, dt.timedelta(hours=settings.report_order_window_hours)
        )
        services = cls(
            settings=settings,
            engine=engine,
            sessionmaker=maker,
            login_limiter=LoginRateLimiter(maker, settings.login_attempts_per_minute),
            telephony=telephony,
            callbacks=callbacks,
            dial_lists=DialListJobs(maker),
            screenpop=hub,
            screenpop_notifier=ScreenPopNotifier(hub, maker, region, lines=lines),
            live_board=LiveBoard(hub, maker, region),
            live_listen=ListenService(settings, telephony),
            routing=CallRouting(maker, telephony, region, settings.device_tech, lines=lines),
            recordings=RecordingJobs(settings, maker, shared=cluster is not None),
            lines=lines,
            reports=Reports(rollups, settings.report_service_level_seconds),
            report_job=RollupJob(rollups),
            softphones=Softphones(
                Path(settings.softphone_accounts) if settings.softphone_accounts else None,
                maker,
                telephony,
            ),
            webhooks=WebhookRelay(settings, engine),
            web_callbacks=WebCallbacks(settings, maker, telephony, callbacks),
            cluster=cluster,
            singletons=Singletons(cluster),
        )
        services._wire()
        return services

    def _wire(self) -> None:
        """Who hears of calls and tasks, in the order they hear. Early listeners hear a
        call's changes before the call log's write: pops and the board must not wait for it."""
        self.telephony.add_listener(self.callbacks)
        self.telephony.add_listener(self.dial_lists)
        self.telephony.add_listener(self.screenpop_notifier, early=True)
        self.telephony.add_listener(self.live_board.on_changes, early=True)
        self.telephony.add_listener(self.live_board.on_stored)
        self.telephony.add_listener(self.recordings)
        self.telephony.add_store_hook(call_hook(self.settings.public_url))
        self.callbacks.listeners.append(self.live_board.on_task)
        self.callbacks.listeners.append(callback_pops(self.screenpop, self.sessionmaker))
        if self.cluster is not None:
            self._wire_cluster(self.cluster)

    def _wire_cluster(self, cluster: Cluster) -> None:
        """What the instances tell each other: every change of the pops and the board, and
        new dial lists to build (the PBX's requests are ``Telephony``'s)."""
        bus, hub, dial_lists = cluster.bus, self.screenpop, self.dial_lists
        hub.relay = lambda change, args: bus.publish("hub", change=change, args=args)
        bus.on("hub", lambda m: hub.apply(str(m["change"]), list(m["args"])))

        async def pops(_args: Message) -> list[Message]:
            return hub.export()

        async def catch_up() -> None:
            """Started, or back on the bus: the pops as another instance holds them."""
            try:
                taken = hub.load(await bus.request("hub.pops", {}, 2))
            except TimeoutError:
                return  # nobody else runs
            except Exception:
                log.exception("screen-pops: asking another instance for its pops failed")
                return
            if taken:
                log.info("screen-pops: %d calls' pops taken from another instance", taken)

        bus.serve("hub.pops", pops)
        bus.on_listening.append(catch_up)
        hub.board_listeners.append(self.live_board.absorb)
        dial_lists.elsewhere = lambda list_id: bus.publish("dial_list.build", list_id=list_id)
        self.live_board.leaders = self._leaders

        def build(message: Message) -> None:
            if dial_lists.running:
                dial_lists.build(int(message["list_id"]))

        bus.on("dial_list.build", build)


    def _leaders(self) -> dict[str, Any]:
        """Who leads each PBX, as the live board shows it."""
        pbx = [
            {"name": name, "leader": state.get("leader_instance"), "here": bool(state["leader"])}
            for name, state in self.telephony.status().items()
        ]
        instance = self.cluster.instance if self.cluster else None
        return {"instance": instance, "pbx": pbx}


def services_of(conn: HTTPConnection) -> Services:
    """The running services of the app serving this request or WebSocket."""
    return services_in(conn.app, Services)
