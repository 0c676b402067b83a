"""The browsers' SIP accounts as Asterisk reads them. Pure: no I/O.

Each manager who takes calls gets an endpoint ``web<extension>`` (docker/asterisk/pjsip.conf
says why a browser cannot share the desk phone's endpoint) with a password the service makes
and never keeps: only Asterisk's ``md5_cred`` (RFC 2617's HA1, the MD5 of
``user:realm:password``) is stored. The browser registers with that same HA1 (JsSIP's ``ha1``),
fetched by the manager's own session at login: no person ever sees or types a SIP password,
and none is ever in a log. A new extension (the HA1 covers the user name) gets a new secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "web"
# What pjsip.conf's [manager-webrtc-auth] says; the HA1 is made for this realm.
REALM = "callcenter"
_EXTENSION = re.compile(r"^\d{2,6}$")
_HA1 = re.compile(r"^[0-9a-f]{32}$")
HEADER = (
    "; Written by the call-centre service (callcenter/softphone): the browsers' softphones.\n"
    "; Do not edit: the service rewrites this file whenever a manager changes, then reloads\n"
    "; res_pjsip. Templates: pjsip.conf ([manager-webrtc] and beside it).\n"
)


def endpoint_of(extension: str) -> str:
    """The browser's endpoint (and SIP user) of a manager's extension: 101 -> web101."""
    if not _EXTENSION.match(extension):
        raise ValueError(f"not an extension: {extension!r}")
    return PREFIX + extension


def new_ha1(user: str, realm: str = REALM) -> str:
    """The HA1 of a fresh random password, which is then forgotten."""
    password = secrets.token_urlsafe(32)
    return hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Account:
    extension: str
    ha1: str

    @property
    def user(self) -> str:
        return endpoint_of(self.extension)


def render(accounts: Iterable[Account]) -> str:
    """The pjsip config of these accounts, sorted so the same managers give the same file.
    Only digits and hex digits reach it: an extension or an HA1 of another form is refused."""
    parts = [HEADER]
    for account in sorted(accounts, key=lambda a: a.extension):
        if not _HA1.match(account.ha1):
            raise ValueError(f"not an HA1 for {account.user}")
        user = account.user
        parts.append(
            f"\n[{user}](manager-webrtc)\naors = {user}\nauth = {user}-auth\n"
            f"[{user}](manager-webrtc-aor)\n"
            f"[{user}-auth](manager-webrtc-auth)\nusername = {user}\nmd5_cred = {account.ha1}\n"
        )
    return "".join(parts)
