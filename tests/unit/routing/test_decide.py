from __future__ import annotations

import pytest

from routing.decide import (
    Caller,
    ManagerState,
    Reason,
    RoutingConfig,
    callback_manager,
    choose_personal_manager,
    decide_route,
)


def m(
    id: int, presence: str = "available", device: str | None = "NOT_INUSE", **kw: object
) -> ManagerState:
    return ManagerState(
        id=id, extension=str(100 + id), presence=presence, device_state=device, **kw
    )  # type: ignore[arg-type]


TEAM = {1: m(1), 2: m(2), 3: m(3), 4: m(4)}
CONFIG = RoutingConfig(default_group=(1, 2, 3), vip_group=(4,), bad_group=(), ring_at_once=0)
REGULAR = Caller(customer_id=77, personal_manager_id=2)
VIP = Caller(customer_id=78, tags=frozenset({"vip"}))
NEW = Caller()


def team(**changes: ManagerState) -> dict[int, ManagerState]:
    states = dict(TEAM)
    for key, state in changes.items():
        states[int(key[1:])] = state
    return states


@pytest.mark.parametrize(
    ("caller", "managers", "config", "reason", "dial", "manager_id"),
    [
        # 1. A regular's own manager, free.
        (REGULAR, TEAM, CONFIG, Reason.PERSONAL_MANAGER, "PJSIP/102", 2),
        # 2. ...on a break, on a call, ringing, unreachable, logged out → the VIP group.
        (REGULAR, team(m2=m(2, "break")), CONFIG, Reason.VIP, "PJSIP/104", None),
        (REGULAR, team(m2=m(2, device="INUSE")), CONFIG, Reason.VIP, "PJSIP/104", None),
        (REGULAR, team(m2=m(2, ringing=True)), CONFIG, Reason.VIP, "PJSIP/104", None),
        (REGULAR, team(m2=m(2, device="UNAVAILABLE")), CONFIG, Reason.VIP, "PJSIP/104", None),
        (REGULAR, team(m2=m(2, "offline")), CONFIG, Reason.VIP, "PJSIP/104", None),
        # A browser softphone: registered, it rings beside the desk phone, or alone when the
        # manager has no desk phone; unregistered, with no desk phone, the manager is away.
        (
            REGULAR,
            team(m2=m(2, softphone_state="NOT_INUSE")),
            CONFIG,
            Reason.PERSONAL_MANAGER,
            "PJSIP/102&PJSIP/web102",
            2,
        ),
        (
            REGULAR,
            team(m2=m(2, device="UNAVAILABLE", softphone_state="NOT_INUSE")),
            CONFIG,
            Reason.PERSONAL_MANAGER,
            "PJSIP/web102",
            2,
        ),
        (
            REGULAR,
            team(m2=m(2, device="UNAVAILABLE", softphone_state="UNAVAILABLE")),
            CONFIG,
            Reason.VIP,
            "PJSIP/104",
            None,
        ),
        # On a call in the browser is busy, however free the desk phone is.
        (REGULAR, team(m2=m(2, softphone_state="INUSE")), CONFIG, Reason.VIP, "PJSIP/104", None),
        (
            REGULAR,
            team(m2=m(2, softphone_state="UNAVAILABLE")),
            CONFIG,
            Reason.PERSONAL_MANAGER,
            "PJSIP/102",
            2,
        ),
        # A device the PBX has not reported yet is not held against the manager.
        (REGULAR, team(m2=m(2, device=None)), CONFIG, Reason.PERSONAL_MANAGER, "PJSIP/102", 2),
        # VIP without a personal manager → VIP group.
        (VIP, TEAM, CONFIG, Reason.VIP, "PJSIP/104", None),
        # VIP group busy too → the default group.
        (VIP, team(m4=m(4, "busy")), CONFIG, Reason.GROUP, "PJSIP/101&PJSIP/102&PJSIP/103", None),
        # 3. New caller → the default group.
        (NEW, TEAM, CONFIG, Reason.GROUP, "PJSIP/101&PJSIP/102&PJSIP/103", None),
        # 4. Nobody free → fallback with an empty dial.
        (
            NEW,
            {i: m(i, "break") for i in TEAM},
            CONFIG,
            Reason.FALLBACK,
            "",
            None,
        ),
        # Bad callers go to their group when one is configured...
        (
            Caller(customer_id=9, personal_manager_id=2, tags=frozenset({"bad"})),
            TEAM,
            RoutingConfig(default_group=(1, 2), bad_group=(3,), ring_at_once=0),
            Reason.BAD,
            "PJSIP/103",
            None,
        ),
        # ...and are treated like anyone else when not.
        (
            Caller(customer_id=9, personal_manager_id=2, tags=frozenset({"bad"})),
            TEAM,
            CONFIG,
            Reason.PERSONAL_MANAGER,
            "PJSIP/102",
            2,
        ),
        # An empty default group means every manager with an extension.
        (
            NEW,
            {1: m(1), 5: m(5)},
            RoutingConfig(ring_at_once=0),
            Reason.GROUP,
            "PJSIP/101&PJSIP/105",
            None,
        ),
    ],
)
def test_decide_route(
    caller: Caller,
    managers: dict[int, ManagerState],
    config: RoutingConfig,
    reason: Reason,
    dial: str,
    manager_id: int | None,
) -> None:
    route = decide_route(caller, managers, config)
    assert (route.reason, route.dial, route.manager_id) == (reason, dial, manager_id)
    assert route.customer_id == caller.customer_id
    assert route.variables()["CRM_ROUTE"] == reason.value


def test_least_recently_offered_first_and_ring_at_once() -> None:
    managers = {
        1: m(1, last_offered_at=30.0),
        2: m(2, last_offered_at=10.0),
        3: m(3),
        4: m(4, last_offered_at=20.0),
    }
    route = decide_route(NEW, managers, RoutingConfig(ring_at_once=2))
    assert route.offered == (3, 2)
    assert route.dial == "PJSIP/103&PJSIP/102"


def test_contract_variables() -> None:
    route = decide_route(REGULAR, TEAM, CONFIG)
    assert route.variables() == {
        "CRM_DIAL": "PJSIP/102",
        "CRM_ROUTE": "personal_manager",
        "CRM_CUSTOMER_ID": "77",
        "CRM_MANAGER_ID": "2",
    }
    assert decide_route(NEW, {}, CONFIG).variables() == {
        "CRM_DIAL": "",
        "CRM_ROUTE": "fallback",
        "CRM_CUSTOMER_ID": "",
        "CRM_MANAGER_ID": "",
    }


@pytest.mark.parametrize(
    ("completed", "threshold", "order_mgr", "call_mgr", "expected"),
    [
        (1, 2, 5, 6, None),
        (2, 2, 5, 6, 5),
        (3, 2, None, 6, 6),
        (5, 2, None, None, None),
        (5, 0, 5, 6, None),  # 0 turns the automatic assignment off
    ],
)
def test_choose_personal_manager(
    completed: int,
    threshold: int,
    order_mgr: int | None,
    call_mgr: int | None,
    expected: int | None,
) -> None:
    assert choose_personal_manager(completed, threshold, order_mgr, call_mgr) == expected


# --- who rings first for a callback the customer asked for (the shop's website) -------------


@pytest.mark.parametrize(
    ("personal", "group", "managers", "expected"),
    [
        # The customer's own manager, free: them, whatever the group.
        (2, (1, 3), TEAM, 2),
        # ...on a break, on a call, ringing or away: the group's least recently offered.
        (2, (1, 3), team(m2=m(2, "break")), 1),
        (2, (1, 3), team(m2=m(2, device="INUSE")), 1),
        (2, (1, 3), team(m2=m(2, ringing=True)), 1),
        (2, (3, 1), team(m2=m(2, "offline"), m1=m(1, last_offered_at=50.0)), 3),
        # No customer: the group; its busy members are passed over.
        (None, (1, 3), team(m1=m(1, device="RINGING")), 3),
        # An empty group is every active manager with an extension.
        (None, (), team(m1=m(1, "busy"), m2=m(2, active=False)), 3),
        # Nobody can take a call.
        (None, (1,), team(m1=m(1, "break")), None),
        (9, (), {}, None),
    ],
)
def test_callback_manager(
    personal: int | None,
    group: tuple[int, ...],
    managers: dict[int, ManagerState],
    expected: int | None,
) -> None:
    assert callback_manager(personal, group, managers) == expected
