"""``Services``: the running service's parts, one typed container made in the app's lifespan.

``Services.build`` constructs every part and wires who listens to whom; it does no I/O. Each
feature's ``start`` and ``stop`` (``callcenter/<feature>/feature.py``) then do theirs.
Handlers reach the parts with ``services_of(request)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import HTTPConnection

from callcenter.calls.telephony import Telephony
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
    # The FastAGI server, once the routing feature has started it (None when it is off).
    agi: FastAgiServer | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        maker = make_sessionmaker(engine)
        telephony = Telephony(settings, maker)
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
            recordings=RecordingJobs(settings, maker),
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


def services_of(conn: HTTPConnection) -> Services:
    """The running services of the app serving this request or WebSocket."""
    return services_in(conn.app, Services)
