"""``CallRouting``: the FastAGI ``route`` handler inside the service, which feeds
``routing.decide_route`` with the caller and the managers' state."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.call_log import line_number
from callcenter.calls.telephony import Telephony
from callcenter.core.models import Customer, CustomerPhone, CustomerTag, Manager, utcnow
from callcenter.core.phones import try_normalize_phone
from callcenter.lines.service import LineBook
from callcenter.routing.settings import load_routing_settings
from pbx_bridge.agi import AgiRequest
from routing.decide import Caller, ManagerState, RoutingConfig, decide_route, fallback

log = logging.getLogger(__name__)


class CallRouting:
    """The FastAGI ``route`` script. Managers and settings are cached for ``cache_seconds``
    so that a decision costs one indexed query (the caller)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        telephony: Telephony,
        region: str,
        device_tech: str,
        cache_seconds: float = 1.0,
        lines: LineBook | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.telephony = telephony
        self.region = region
        self.device_tech = device_tech
        self.cache_seconds = cache_seconds
        self.lines = lines
        self._cached_at = -1e9
        self._managers: dict[int, ManagerState] = {}
        self._config = RoutingConfig(device_tech=device_tech)
        self._offered: dict[int, float] = {}
        self._pending_writes: set[asyncio.Task[None]] = set()
        self.engine = sessionmaker.kw["bind"]
        # Every customer with this phone, the most recent buyer first, with their tags.
        self._caller_query = (
            select(Customer.id, Customer.manager_id, CustomerTag.tag)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .outerjoin(CustomerTag, CustomerTag.customer_id == Customer.id)
            .where(CustomerPhone.phone == bindparam("phone"))
            .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
            .limit(20)
        )

    def invalidate(self) -> None:
        self._cached_at = -1e9

    async def warm_up(self) -> None:
        """Load managers and settings before the first call, so it is not the slow one."""
        async with self.sessionmaker() as session:
            await self._refresh(session)
        if self.lines is not None:
            await self.lines.refresh()

    def _config_for(self, line: str | None) -> RoutingConfig:
        """The routing settings, with the line's own group in place of the default one."""
        info = self.lines.get(line_number(line, self.region)) if self.lines else None
        if info is None or not info.group:
            return self._config
        return dataclasses.replace(self._config, default_group=info.group)

    async def _refresh(self, session: AsyncSession) -> None:
        if time.monotonic() - self._cached_at < self.cache_seconds:
            return
        settings = await load_routing_settings(session)
        rows = await session.scalars(select(Manager).where(Manager.is_active.is_(True)))
        self._managers = {
            m.id: ManagerState(
                id=m.id,
                extension=m.extension,
                presence=m.status.value,
                device_state=m.device_state,
                softphone_state=m.softphone_state,
                last_offered_at=m.last_offered_at.timestamp() if m.last_offered_at else None,
            )
            for m in rows
        }
        self._config = RoutingConfig(
            default_group=tuple(settings.default_group),
            vip_group=tuple(settings.vip_group),
            bad_group=tuple(settings.bad_group),
            ring_at_once=settings.ring_at_once,
            device_tech=self.device_tech,
        )
        self._cached_at = time.monotonic()

    async def _caller(self, phone: str | None) -> Caller:
        """The caller in one indexed query on a bare connection (no ORM session): this runs
        on every inbound call, inside the AGI time budget."""
        if phone is None:
            return Caller()
        async with self.engine.connect() as conn:
            rows = (await conn.execute(self._caller_query, {"phone": phone})).all()
        if not rows:
            return Caller()
        customer_id, manager_id = rows[0][0], rows[0][1]
        tags = frozenset(r[2] for r in rows if r[0] == customer_id and r[2])
        return Caller(customer_id, manager_id, tags)

    async def route(self, request: AgiRequest) -> Mapping[str, str]:
        phone = try_normalize_phone(request.caller_id, self.region)
        if time.monotonic() - self._cached_at >= self.cache_seconds:
            async with self.sessionmaker() as session:
                await self._refresh(session)
        caller = await self._caller(phone)
        if self.lines is not None:
            await self.lines.refresh()
        ringing = self.telephony.ringing_extensions()
        states = {
            mid: dataclasses.replace(
                state,
                ringing=state.extension in ringing,
                last_offered_at=self._offered.get(mid, state.last_offered_at),
            )
            for mid, state in self._managers.items()
        }
        route = decide_route(caller, states, self._config_for(request.line))
        if route.offered:
            now = time.time()
            for mid in route.offered:
                self._offered[mid] = now
            self._remember_offers(route.offered)
        log.info(
            "route %s → %s %s (customer %s)",
            phone or request.caller_id or "anonymous",
            route.reason.value,
            route.dial or "-",
            caller.customer_id,
        )
        return route.variables()

    def _remember_offers(self, ids: tuple[int, ...]) -> None:
        """Persist 'last offered' off the AGI path; the in-memory value is what routing uses."""

        async def write() -> None:
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(
                        update(Manager).where(Manager.id.in_(ids)).values(last_offered_at=utcnow())
                    )
            except Exception:
                log.exception("could not store last_offered_at")

        task = asyncio.get_running_loop().create_task(write())
        self._pending_writes.add(task)
        task.add_done_callback(self._pending_writes.discard)

    @staticmethod
    def fallback_variables(request: AgiRequest | None) -> Mapping[str, str]:
        return fallback().variables()
