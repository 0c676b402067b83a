"""The signed-in manager's own softphone account, for the browser to register with.

Only a browser session gets it (an API token is refused: a shop's integration has no business
with a manager's SIP credential), and only its own: there is no way to ask for another
manager's. The answer is never cached (``Cache-Control: no-store``) and never logged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.errors import Conflict, Forbidden, ServiceUnavailable
from callcenter.core.models import Manager
from callcenter.services import services_of
from callcenter.softphone.accounts import REALM, endpoint_of
from callcenter.softphone.schemas import SoftphoneAccountOut

router = ApiRouter()
TAG = "softphone"


async def _fresh(session: AsyncSession, manager: Manager) -> Manager:
    await session.refresh(manager)
    return manager


@router.route(
    "/softphone/account",
    "GET",
    summary="My browser softphone's SIP account (browser sessions only)",
    tag=TAG,
    response=SoftphoneAccountOut,
)
async def my_account(ctx: Ctx) -> SoftphoneAccountOut:
    if ctx.principal.via != "session":
        raise Forbidden("the softphone's account goes to a signed-in browser only")
    softphones = services_of(ctx.request).softphones
    if not softphones.enabled or not ctx.settings.softphone_ws_url:
        raise ServiceUnavailable("the softphone is not set up (CALLCENTER_SOFTPHONE_ACCOUNTS)")
    manager = ctx.principal.manager
    if not manager.takes_calls:
        raise Conflict("you have no extension: ask an admin for one", code="no_extension")
    if manager.softphone_user != endpoint_of(manager.extension or "") or not manager.softphone_ha1:
        # New, or a new extension: the account is written (and Asterisk reloaded) first.
        await ctx.session.commit()
        await softphones.sync()
        manager = await _fresh(ctx.session, manager)
    if not manager.softphone_user or not manager.softphone_ha1:
        raise ServiceUnavailable("the softphone's account is not written yet: try again")
    host = urlsplit(ctx.settings.softphone_ws_url).hostname or "localhost"
    return SoftphoneAccountOut(
        ws_url=ctx.settings.softphone_ws_url,
        uri=f"sip:{manager.softphone_user}@{host}",
        user=manager.softphone_user,
        realm=REALM,
        ha1=manager.softphone_ha1,
        display_name=manager.name or manager.login,
    )
