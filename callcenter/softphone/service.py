"""Keeping the browsers' SIP accounts in Asterisk: the service writes them into the file
pjsip.conf includes (``CALLCENTER_SOFTPHONE_ACCOUNTS``) and reloads res_pjsip over AMI.

Why a generated include, not PJSIP realtime (Asterisk's ``ps_*`` tables): realtime would need
PostgreSQL, but SQLite is the embedded default, and the same file works with both; a reload
re-reads only what changed and drops no call. The file is rewritten, and Asterisk reloaded,
only when its text changes: at start, every ``SYNC_SECONDS``, and when a manager without an
account asks for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.telephony import PbxUnavailable, Telephony
from callcenter.cluster.bus import RemoteError
from callcenter.core.models import Manager
from callcenter.softphone.accounts import Account, endpoint_of, new_ha1, render
from pbx_bridge.ami import AmiError

log = logging.getLogger(__name__)
SYNC_SECONDS = 30.0


def write_if_changed(path: Path, text: str) -> bool:
    """Replace the file in one step (Asterisk never reads half of it); False when it already
    says this."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(text)
    os.chmod(part, 0o640)
    os.replace(part, path)
    return True


class Softphones:
    def __init__(
        self,
        path: Path | None,
        sessionmaker: async_sessionmaker[AsyncSession],
        telephony: Telephony,
    ) -> None:
        self.path = path
        self.sessionmaker = sessionmaker
        self.telephony = telephony
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        # A PBX that missed a reload (AMI down) gets one at the next round.
        self._unreloaded = False

    @property
    def enabled(self) -> bool:
        return self.path is not None

    async def sync(self) -> bool:
        """Give every manager who takes calls an account, write the file; True when Asterisk
        was told to reload."""
        if self.path is None:
            return False
        async with self._lock:
            async with self.sessionmaker() as session, session.begin():
                people = await session.scalars(select(Manager).where(Manager.takes_calls))
                accounts = [self._account(m) for m in people]
            changed = write_if_changed(self.path, render(accounts))
            if not changed and not self._unreloaded:
                return False
            if changed:
                log.info("softphones: %d accounts written to %s", len(accounts), self.path)
            self._unreloaded = not await self._reload()
            return True

    def _account(self, manager: Manager) -> Account:
        extension = manager.extension or ""
        user = endpoint_of(extension)
        if manager.softphone_user != user or not manager.softphone_ha1:
            manager.softphone_user, manager.softphone_ha1 = user, new_ha1(user)
        return Account(extension, manager.softphone_ha1)

    async def _reload(self) -> bool:
        """Every PBX re-reads the file; False when one could not be asked."""
        done = True
        for pbx in self.telephony.servers:
            try:
                reload = {"Action": "Reload", "Module": "res_pjsip.so"}
                await self.telephony.send_action(pbx, reload)
            except (AmiError, PbxUnavailable, RemoteError, TimeoutError) as exc:
                log.warning("softphones: PBX %s did not reload res_pjsip: %s", pbx, exc)
                done = False
        return done

    async def start(self) -> None:
        if self.path is None:
            return
        await self.sync()
        self._task = asyncio.create_task(self._run(), name="softphone accounts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            try:
                await self.sync()
            except Exception:  # keep syncing: the next round may well succeed
                log.exception("softphones: writing the accounts failed")
