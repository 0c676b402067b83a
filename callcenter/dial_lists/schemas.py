"""Request and response bodies of the dial-rules and dial-lists API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callcenter.core.models import DialListStatus, EntryState
from callcenter.core.schemas import Name, Strict, Tags, Text, TimeZone
from callcenter.customers.schemas import CustomerOut
from callcenter.orders.schemas import OrderOut
from routing.dialing import DEFAULT_TIMEZONE, Outcome

SortKey = Literal[
    "total_spent_desc",
    "total_spent_asc",
    "orders_count_desc",
    "average_check_desc",
    "last_order_oldest",
    "last_order_newest",
    "created_newest",
    "created_oldest",
]

# --- rules ----------------------------------------------------------------------------------


class DialRuleIn(Strict):
    name: Name
    description: Text = ""
    tree: dict[str, Any] = Field(
        description='a rule tree: {"all": [...]}, {"any": [...]} or {"field", "op", "value"}'
    )


class DialRulePatch(Strict):
    name: Name | None = None
    description: Text | None = None
    tree: dict[str, Any] | None = None


class DialRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    tree: dict[str, Any]
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PreviewQuery(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
    sort: SortKey = "total_spent_desc"


class TreePreviewIn(Strict):
    tree: dict[str, Any]
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
    sort: SortKey = "total_spent_desc"


class PreviewOut(BaseModel):
    count: int = Field(description="customers the rule matches now")
    items: list[CustomerOut]
    limit: int
    offset: int
    took_ms: float


class RuleFieldOut(BaseModel):
    name: str
    kind: str
    ops: list[str]
    nullable: bool = Field(description='customers may have no value: "= null" finds them')
    needs_days: bool = Field(description='the condition takes "days" too')
    description: str


class RuleTemplateOut(BaseModel):
    key: str
    name: str
    description: str
    tree: dict[str, Any]


# --- lists ----------------------------------------------------------------------------------


class DialListSettings(Strict):
    call_from: dt.time = Field(default=dt.time(9), description="calling hours, customer's time")
    call_until: dt.time = Field(default=dt.time(21), description="end of calling hours")
    default_timezone: TimeZone = Field(
        default=DEFAULT_TIMEZONE, description="for customers without a time zone"
    )
    max_attempts: int = Field(default=3, ge=1, le=20, description="no answer / busy retries")
    retry_delay_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    lock_timeout_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="an entry held longer returns to the pool"
    )
    sort: SortKey = "total_spent_desc"
    assignment: Literal["spread", "pool"] = Field(
        default="spread",
        description="entries without a personal manager: spread evenly over the list's "
        "managers, or one common pool they all take from",
    )
    exclude_do_not_call: bool = True
    exclude_tags: Tags = ["bad"]
    skip_called_within_days: int = Field(
        default=7, ge=0, le=365, description="leave out customers called this recently; 0: off"
    )
    max_entries: int = Field(default=100_000, ge=1, le=500_000)

    @model_validator(mode="after")
    def _hours(self) -> DialListSettings:
        if self.call_from == self.call_until:
            raise ValueError("call_from and call_until must differ")
        return self

    @field_validator("default_timezone")
    @classmethod
    def _zone_given(cls, value: str | None) -> str:
        return value or DEFAULT_TIMEZONE


class WorkSettingsPatch(Strict):
    """What may change on a built list: how it is worked, not who is on it."""

    call_from: dt.time | None = None
    call_until: dt.time | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    retry_delay_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    lock_timeout_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


class DialListIn(Strict):
    rule_id: int
    name: Name
    manager_ids: list[int] | None = Field(
        default=None,
        max_length=500,
        description="who works the list; default: every active operator with an extension",
    )
    settings: DialListSettings = DialListSettings()


class DialListPatch(Strict):
    name: Name | None = None
    settings: WorkSettingsPatch | None = None


class Excluded(BaseModel):
    do_not_call: int = 0
    tag: int = 0
    recently_called: int = 0
    no_phone: int = 0
    duplicate_phone: int = 0
    over_limit: int = 0


class Progress(BaseModel):
    """How far the build is: customers examined of those the rule matched."""

    matched: int
    processed: int
    entries: int
    percent: float


class Counts(BaseModel):
    total: int = 0
    pending: int = 0
    in_progress: int = 0
    done: int = 0
    remaining: int = Field(default=0, description="pending + in progress")
    outcomes: dict[str, int] = Field(default_factory=dict, description="last outcome of each")
    ordered: int = 0
    conversion: float = Field(default=0.0, description="ordered / done")


class ManagerCounts(Counts):
    manager_id: int | None = Field(description="null: the common pool (remaining only)")
    name: str


class DialListOut(BaseModel):
    id: int
    name: str
    rule_id: int | None
    rule_name: str
    rule_tree: dict[str, Any]
    owner_id: int | None
    settings: DialListSettings
    status: DialListStatus
    error: str | None
    manager_ids: list[int]
    progress: Progress
    excluded: Excluded
    counts: Counts
    created_at: dt.datetime
    built_at: dt.datetime | None


class WaitingFor(BaseModel):
    manager_id: int
    name: str
    pending: int = Field(description="entries waiting for this manager alone")


class Waiting(BaseModel):
    """What waits to be handed out, and for whom: the list's managers (chosen for it and still
    active) and the common pool. An entry assigned to anyone else counts in the pool: that is
    where ``next`` hands it from."""

    pending: int = Field(description="every entry waiting to be handed out")
    pool: int = Field(description="of them in the common pool, which every manager takes from")
    managers: list[WaitingFor] = Field(
        description="per manager of the list; an operator sees their own row only"
    )


class DialListDetail(DialListOut):
    managers: list[ManagerCounts] = Field(
        description="per manager; an operator sees their own row only"
    )
    waiting: Waiting


class DialListQuery(Strict):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
    status: DialListStatus | None = None


# --- entries --------------------------------------------------------------------------------


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_id: int
    customer_id: int
    phone: str
    timezone: str
    manager_id: int | None
    personal: bool
    priority: int
    state: EntryState
    attempts: int
    next_attempt_at: dt.datetime | None
    callback_at: dt.datetime | None
    locked_by_id: int | None
    locked_at: dt.datetime | None
    outcome: Outcome | None
    note: str
    order_id: int | None
    worked_by_id: int | None
    worked_at: dt.datetime | None
    call_linkedid: str | None = Field(description="the last call placed from this entry")
    call_status: str | None = Field(description="what the PBX says became of that call")
    call_status_reason: str | None
    called_at: dt.datetime | None


class EntryCard(BaseModel):
    """An entry with what the screen-pop card shows."""

    entry: EntryOut
    customer: CustomerOut
    last_order: OrderOut | None
    local_time: dt.datetime = Field(description="the customer's wall-clock time now")


NextReason = Literal[
    "held",
    "callback_due",
    "next",
    "outside_calling_hours",
    "waiting",
    "assigned_to_others",
    "list_done",
    "not_ready",
]


class NextOut(BaseModel):
    card: EntryCard | None
    reason: NextReason = Field(
        description="held: the entry you already hold; callback_due / next: a new one; "
        "otherwise why there is none now: outside_calling_hours, waiting (a retry or callback "
        "later), assigned_to_others (none left for you or in the pool, but entries wait for "
        "other managers of the list), list_done (no entry waits for anyone), not_ready"
    )
    next_at: dt.datetime | None = Field(
        default=None, description="when an entry may come up next, when none is given now"
    )


class EntryQuery(Strict):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
    state: EntryState | None = None
    manager_id: int | None = None
    outcome: Outcome | None = None


class OutcomeIn(Strict):
    outcome: Outcome
    note: Text = ""
    callback_at: dt.datetime | None = Field(default=None, description="needed for a callback")
    order_id: int | None = Field(default=None, description="the order taken (ordered)")
