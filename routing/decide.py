"""Who gets an inbound call: a pure function of the caller and the current state.

1. A customer with a personal manager who can take the call → that manager (personal_manager).
2. The personal manager cannot, or a VIP without one → the VIP group (vip).
3. Anyone else → the default group, least recently offered first (group).
4. Nobody can take it → an empty dial string (fallback): the dialplan's own fallback decides.
A ``bad``-tagged caller goes to the configured group for them (bad), when one is configured.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Device states in which a phone cannot take another call.
BUSY_DEVICE_STATES = frozenset(
    {"INUSE", "BUSY", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD", "INVALID"}
)
# A device in these states is not there at all: no phone registered, or no such endpoint.
GONE_DEVICE_STATES = frozenset({"UNAVAILABLE", "INVALID"})
# The browser softphone's endpoint beside a manager's desk phone: web101 beside 101
# (callcenter/softphone/accounts.py makes them; pbx_bridge maps both to the extension).
SOFTPHONE_PREFIX = "web"


def browser_registered(softphone_state: str | None) -> bool:
    """Whether the manager's browser softphone is registered (None: no account, or no word of
    it from the PBX yet)."""
    return softphone_state is not None and softphone_state.upper() not in GONE_DEVICE_STATES


def reachable(device_state: str | None, softphone_state: str | None) -> bool:
    """Whether a manager has a phone that can ring at all: the desk phone (not heard of yet
    counts as there, as before softphones) or a registered browser."""
    desk = (device_state or "").upper() not in GONE_DEVICE_STATES
    return desk or browser_registered(softphone_state)


def phone_busy(device_state: str | None, softphone_state: str | None) -> bool:
    """Whether either of a manager's phones is in a call, ringing or on hold."""
    return any(
        (state or "").upper() in BUSY_DEVICE_STATES - GONE_DEVICE_STATES
        for state in (device_state, softphone_state)
    )


class Reason(enum.StrEnum):
    PERSONAL_MANAGER = "personal_manager"
    VIP = "vip"
    BAD = "bad"
    GROUP = "group"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class ManagerState:
    id: int
    extension: str | None
    presence: str  # available | busy | break | offline, as set in the UI
    device_state: str | None = None  # as the PBX reports it; None = not heard of yet
    ringing: bool = False  # already ringing for another call
    last_offered_at: float | None = None
    active: bool = True
    # The browser softphone's device state; None = the manager has no softphone account.
    softphone_state: str | None = None

    @property
    def can_take_a_call(self) -> bool:
        return (
            self.active
            and bool(self.extension)
            and self.presence == "available"
            and reachable(self.device_state, self.softphone_state)
            and not phone_busy(self.device_state, self.softphone_state)
            and not self.ringing
        )

    def devices(self, tech: str) -> list[str]:
        """What Dial() rings for this manager: the desk phone unless it is known to be gone,
        and the browser when one is registered; the first to answer takes the call."""
        desk = f"{tech}/{self.extension}"
        if not self.softphone_state or self.softphone_state.upper() in GONE_DEVICE_STATES:
            return [desk]
        browser = f"{tech}/{SOFTPHONE_PREFIX}{self.extension}"
        if (self.device_state or "").upper() in GONE_DEVICE_STATES:
            return [browser]
        return [desk, browser]


@dataclass(frozen=True)
class Caller:
    customer_id: int | None = None
    personal_manager_id: int | None = None
    tags: frozenset[str] = frozenset()

    @property
    def vip(self) -> bool:
        return "vip" in self.tags

    @property
    def bad(self) -> bool:
        return "bad" in self.tags


@dataclass(frozen=True)
class RoutingConfig:
    # Manager ids. An empty default group means every operator with an extension.
    default_group: tuple[int, ...] = ()
    vip_group: tuple[int, ...] = ()
    bad_group: tuple[int, ...] = ()
    ring_at_once: int = 3  # group calls ring this many managers together (0 = all)
    device_tech: str = "PJSIP"


@dataclass(frozen=True)
class Route:
    reason: Reason
    managers: tuple[int, ...] = ()  # in the order they are offered
    dial: str = ""
    customer_id: int | None = None
    manager_id: int | None = None  # set when one manager was chosen (personal manager)
    offered: tuple[int, ...] = field(default=())

    def variables(self) -> dict[str, str]:
        """The channel variables of the contract."""
        return {
            "CRM_DIAL": self.dial,
            "CRM_ROUTE": self.reason.value,
            "CRM_CUSTOMER_ID": "" if self.customer_id is None else str(self.customer_id),
            "CRM_MANAGER_ID": "" if self.manager_id is None else str(self.manager_id),
        }


def fallback(customer_id: int | None = None) -> Route:
    return Route(Reason.FALLBACK, customer_id=customer_id)


def _available(ids: Iterable[int], managers: Mapping[int, ManagerState]) -> list[ManagerState]:
    found = [managers[i] for i in ids if i in managers and managers[i].can_take_a_call]
    # Least recently offered first; never offered before anyone else; ties by id.
    return sorted(found, key=lambda m: (m.last_offered_at or 0.0, m.id))


def _dial(states: list[ManagerState], config: RoutingConfig) -> str:
    return "&".join(device for m in states for device in m.devices(config.device_tech))


def _group_route(
    reason: Reason,
    ids: Iterable[int],
    caller: Caller,
    managers: Mapping[int, ManagerState],
    config: RoutingConfig,
) -> Route | None:
    states = _available(ids, managers)
    if config.ring_at_once > 0:
        states = states[: config.ring_at_once]
    if not states:
        return None
    offered = tuple(m.id for m in states)
    return Route(reason, offered, _dial(states, config), caller.customer_id, offered=offered)


def decide_route(
    caller: Caller, managers: Mapping[int, ManagerState], config: RoutingConfig
) -> Route:
    if caller.bad and config.bad_group:
        route = _group_route(Reason.BAD, config.bad_group, caller, managers, config)
        if route is not None:
            return route
    personal = managers.get(caller.personal_manager_id) if caller.personal_manager_id else None
    if personal is not None and personal.can_take_a_call:
        return Route(
            Reason.PERSONAL_MANAGER,
            (personal.id,),
            _dial([personal], config),
            caller.customer_id,
            personal.id,
            offered=(personal.id,),
        )
    if caller.personal_manager_id is not None or caller.vip:
        route = _group_route(Reason.VIP, config.vip_group, caller, managers, config)
        if route is not None:
            return route
    default = config.default_group or tuple(
        m.id for m in managers.values() if m.extension and m.active
    )
    route = _group_route(Reason.GROUP, default, caller, managers, config)
    return route if route is not None else fallback(caller.customer_id)


def callback_manager(
    personal_manager_id: int | None,
    group: Iterable[int],
    managers: Mapping[int, ManagerState],
) -> int | None:
    """Who rings first for a callback a customer asked for (the shop's website): their personal
    manager when they can take a call now, else the least recently offered of ``group`` who
    can (an empty group is every active manager with an extension, as for inbound calls);
    None when nobody can."""
    personal = managers.get(personal_manager_id) if personal_manager_id is not None else None
    if personal is not None and personal.can_take_a_call:
        return personal.id
    ids = tuple(group) or tuple(m.id for m in managers.values() if m.extension and m.active)
    found = _available(ids, managers)
    return found[0].id if found else None


def choose_personal_manager(
    completed_orders: int,
    threshold: int,
    last_order_manager_id: int | None,
    last_answered_call_manager_id: int | None,
) -> int | None:
    """Who becomes a customer's personal manager automatically, once they are a regular:
    the manager of their last completed order, else of their last answered call."""
    if threshold <= 0 or completed_orders < threshold:
        return None
    return last_order_manager_id or last_answered_call_manager_id
