"""What the public endpoint takes and answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from callcenter.core.schemas import Strict

# The most a request's fields may hold; the body as a whole is capped in api.MAX_BODY.
PHONE_MAX = 40
ORDER_MAX = 40
NAME_MAX = 100


class CallbackRequestIn(Strict):
    """A visitor's request; any other field is refused (422 naming it)."""

    phone: str = Field(
        max_length=PHONE_MAX,
        description="the visitor's number in any format (+7 916 123-45-67, 8 916 1234567); "
        "a mobile or landline number of CALLCENTER_CALLBACK_COUNTRIES",
    )
    order: str | None = Field(
        default=None,
        max_length=ORDER_MAX,
        description="an order number, optional; an unknown one is refused (422 on order)",
    )
    name: str | None = Field(default=None, max_length=NAME_MAX, description="optional")
    lang: str | None = Field(
        default=None,
        max_length=35,
        description="the visitor's language for the answer and errors: ru or en (another "
        "reads as en); without it, Accept-Language",
    )
    homepage: str | None = Field(
        default=None,
        max_length=500,
        description="a honeypot the widget hides from people: a request with it filled in is "
        "answered as usual (202) and nothing is made",
    )


class CallbackAnswer(BaseModel):
    status: Literal["calling", "queued", "closed"] = Field(
        description="calling: a manager's phone rings now and then the visitor's; queued: open, "
        "every manager is busy, the shop calls within the callback deadline; closed: outside "
        "the working hours, the shop calls after it opens"
    )
    message: str = Field(description="what to tell the visitor, in their language")
    call_at: dt.datetime | None = Field(
        description="when the shop will call at the latest (UTC): now, the deadline, or the "
        "next opening; null when the shop has no working hours at all"
    )


class WidgetForm(BaseModel):
    lang: str = Field(description="ru or en")
    strings: dict[str, str] = Field(description="the form's labels, by key")
