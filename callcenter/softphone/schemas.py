"""The softphone's account in the API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SoftphoneAccountOut(BaseModel):
    ws_url: str = Field(description="where the browser registers: wss://host:8089/ws")
    uri: str = Field(description="the SIP address it registers: sip:web101@host")
    user: str = Field(description="the SIP user (authorization user) of the account")
    realm: str
    ha1: str = Field(
        description="the account's digest credential (JsSIP's ha1): the browser registers with "
        "it; there is no password to type"
    )
    display_name: str
