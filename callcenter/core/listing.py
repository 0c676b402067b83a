"""A filtered list page: the filters in the address, the shop's days, the API's query model
and its errors, a total and a pager. The call log, tasks and orders pages share it, so a
report's number leads to the same rows on each of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError
from callcenter.core.pages import field_errors, parse_form
from callcenter.core.schemas import Page
from callcenter.core.shop_days import picked_days

T = TypeVar("T")
Q = TypeVar("Q", bound=BaseModel)
PAGE_SIZE = 50
MAX_CHARS = 40


@dataclass
class Listing(Generic[T]):
    """One page of rows with the filters that chose them (as typed) and their errors."""

    typed: dict[str, str]
    found: Page[T]
    errors: dict[str, str] = field(default_factory=dict)
    status_code: int = 200

    @property
    def filters(self) -> dict[str, str]:
        """The filters given, for the pager's links."""
        return {k: v for k, v in self.typed.items() if v}

    def context(self) -> dict[str, Any]:
        """What the template needs: ``typed``, ``errors``, ``found``, ``filters`` and the
        pager's offsets (``none`` at either end)."""
        offset, total = self.found.offset, self.found.total
        return {
            "typed": self.typed,
            "errors": self.errors,
            "found": self.found,
            "filters": self.filters,
            "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
            "prev_offset": max(0, offset - PAGE_SIZE) if offset else None,
        }


def typed_filters(ctx: Ctx, names: Iterable[str]) -> dict[str, str]:
    params = ctx.request.query_params
    return {name: params.get(name, "").strip()[:MAX_CHARS] for name in names}


async def listing(
    ctx: Ctx,
    typed: dict[str, str],
    model: type[Q],
    fetch: Callable[[Q], Awaitable[Page[T]]],
) -> Listing[T]:
    """Parse ``typed`` into ``model`` (``from``/``until`` are the shop's days, both
    included) and fetch one page. Bad input is a field error on the page; a 403 is raised."""
    raw = ctx.request.query_params.get("offset", "")
    offset = int(raw) if raw.isdigit() else 0
    empty: Page[T] = Page(items=[], total=0, limit=PAGE_SIZE, offset=offset)
    try:
        start, end = picked_days(typed, ctx.settings.zone)
        body: dict[str, Any] = {k: v for k, v in typed.items() if v and k not in ("from", "until")}
        if start is not None:
            body["from"] = start
        if end is not None:
            body["until"] = end
        query: Q = parse_form(model, {**body, "limit": PAGE_SIZE, "offset": offset})
        return Listing(typed, await fetch(query))
    except ApiError as exc:
        if exc.status == 403:
            raise
        return Listing(typed, empty, field_errors(exc), exc.status)
