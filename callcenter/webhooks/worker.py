"""The webhook sender's own process: ``python -m callcenter.webhooks.worker``.

Started and watched by the service (``callcenter.webhooks.relay``), never by hand: its
settings come from the environment the service gives it, and each line on its standard
input wakes it (the service writes one after a commit that emitted events). The end of its
standard input means the service is gone: it stops too. Answers it had not written yet are
sent again once their lease runs out (at least once).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from callcenter.core.db import make_engine
from callcenter.core.settings import Settings
from callcenter.webhooks.guard import AllowList
from callcenter.webhooks.sender import Policy, WebhookSender

log = logging.getLogger("callcenter.webhooks.worker")


async def run(settings: Settings, wakes: asyncio.StreamReader) -> None:
    engine = make_engine(settings.database_url)
    sender = WebhookSender(
        engine, AllowList.parse(settings.webhook_allow_list), Policy.of(settings)
    )
    await sender.start()
    log.info("webhook sender started")
    try:
        while await wakes.readline():
            sender.wake()
    finally:
        await sender.stop()
        await engine.dispose()
        log.info("webhook sender stopped")


async def _main() -> None:
    loop = asyncio.get_running_loop()
    wakes = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(wakes), sys.stdin)
    await run(Settings(), wakes)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_main())


if __name__ == "__main__":
    main()
