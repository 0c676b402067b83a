"""Managers (the users) in the API: accounts, roles, presence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from callcenter.core.models import (
    Presence,
    Role,
)
from callcenter.core.schemas import Name, PageQuery, Strict

# --- managers -------------------------------------------------------------------------------

Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{2,64}$")]
Extension = Annotated[str, StringConstraints(pattern=r"^\d{2,6}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class ManagerIn(Strict):
    login: Login
    name: Name | None = None
    password: Password
    role: Role = Role.OPERATOR
    extension: Extension | None = None


class ManagerPatch(Strict):
    name: Name | None = None
    password: Password | None = None
    role: Role | None = None
    extension: Extension | None = None
    is_active: bool | None = None


class ManagerStatusIn(Strict):
    status: Presence


class ManagerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    name: str
    role: Role
    extension: str | None
    status: Presence
    status_changed_at: dt.datetime
    device_state: str | None = Field(description="the phone's state as the PBX reports it")
    softphone_state: str | None = Field(
        default=None,
        description="the browser softphone's state as the PBX reports it (null: none yet)",
    )
    is_active: bool


class ManagerQuery(PageQuery):
    status: Presence | None = None
    role: Role | None = None


class MeOut(BaseModel):
    manager: ManagerOut
    auth: Literal["session", "token"]
