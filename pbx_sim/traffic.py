"""Who calls and how each call goes: regular customers, VIPs, problem customers, other known
customers and new numbers, at a steady pace, with some calls nobody answers and some busy."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pbx_sim.flows import Plan

# Russian mobile ranges (so that the service parses the numbers as valid).
MOBILE_PREFIXES = ("903", "905", "906", "909", "915", "916", "917", "919", "925", "926", "977")


@dataclass
class CallerPools:
    """Phone numbers (E.164) of the shop's customers, by kind; the demo reads them from its
    database and hands them over (the simulator knows nothing of the service)."""

    regulars: list[str] = field(default_factory=list)
    vips: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    # Shares of the calls; "new" are numbers nobody has seen.
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "regulars": 0.35,
            "vips": 0.15,
            "bad": 0.05,
            "others": 0.2,
            "new": 0.25,
        }
    )

    def pick(self, rng: random.Random) -> tuple[str, str]:
        """(the number as the trunk sends it, its kind)."""
        kinds = [k for k in self.weights if k == "new" or getattr(self, k)]
        kind = rng.choices(kinds, [self.weights[k] for k in kinds])[0]
        if kind == "new":
            return f"7{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}", kind
        return as_trunk_sends(rng.choice(getattr(self, kind)), rng), kind


def as_trunk_sends(number: str, rng: random.Random) -> str:
    """Providers send caller IDs as 7916…, 8916… or +7916…; the service must cope with all."""
    digits = number.lstrip("+")
    if len(digits) == 11 and digits.startswith("7"):
        return rng.choice([digits, digits, "8" + digits[1:], "+" + digits])
    return number


@dataclass(frozen=True)
class Pace:
    answer_after: float = 4.0
    talk_seconds: float = 15.0
    answered_share: float = 0.75
    busy_share: float = 0.1


def inbound_plan(rng: random.Random, pace: Pace) -> Plan:
    roll = rng.random()
    if roll < pace.answered_share:
        outcome = "answer"
    elif roll < pace.answered_share + pace.busy_share:
        outcome = "busy"
    else:
        outcome = "noanswer"
    return Plan(
        outcome=outcome,
        answer_after=pace.answer_after * rng.uniform(0.5, 1.5),
        talk_seconds=max(1.0, pace.talk_seconds * rng.uniform(0.6, 1.4)),
        patience=rng.uniform(8.0, 14.0) if outcome == "noanswer" else 60.0,
        customer_hangs_up=rng.random() < 0.6,
        seed=rng.randrange(1 << 30),
    )


def manager_plan(rng: random.Random, pace: Pace) -> Plan:
    """The manager's own phone on click-to-call: they asked for the call, so they pick up."""
    return Plan(answer_after=min(pace.answer_after, 2.0) * rng.uniform(0.5, 1.2))


def customer_plan(rng: random.Random, pace: Pace) -> Plan:
    roll = rng.random()
    outcome = "answer" if roll < 0.8 else ("busy" if roll < 0.9 else "noanswer")
    return Plan(
        outcome=outcome,
        answer_after=rng.uniform(2.0, 5.0),
        talk_seconds=max(1.0, pace.talk_seconds * rng.uniform(0.6, 1.4)),
        patience=15.0,
        customer_hangs_up=rng.random() < 0.5,
        seed=rng.randrange(1 << 30),
    )
