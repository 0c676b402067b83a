"""What every feature's request and response bodies share: strict models, pages, money,
names, tags, time zones."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

T = TypeVar("T")

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
# Sums over many orders (a customer's total spent) outgrow one order's Numeric(12, 2).
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"^[\w\-. ]{1,64}$")


def _email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


def _timezone(value: str | None) -> str | None:
    if not value:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {value!r}; use an IANA name like Europe/Moscow"
        raise ValueError(message) from None
    return value


def _tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for raw in values:
        tag = raw.strip().lower()
        if not _TAG.match(tag):
            raise ValueError(f"bad tag {raw!r}: 1-64 letters, digits, spaces, '-', '_' or '.'")
        if tag not in tags:
            tags.append(tag)
    return tags


Email = Annotated[str | None, AfterValidator(_email)]
TimeZone = Annotated[str | None, AfterValidator(_timezone)]
Tags = Annotated[list[str], Field(max_length=50), AfterValidator(_tags)]
PhoneList = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=10)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageQuery(Strict):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
