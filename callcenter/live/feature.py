"""The live feature, in two parts, as they start at different moments: the board listens to
the calls before the PBX connects; listening sessions are ended before it disconnects."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.live import api, pages
from callcenter.services import Services


async def start_board(services: Services) -> None:
    await services.live_board.start()


async def stop_board(services: Services) -> None:
    await services.live_board.stop()


async def start_listening(services: Services) -> None:
    await services.live_listen.start()


async def stop_listening(services: Services) -> None:
    await services.live_listen.stop()


board = Feature[Services]("live board", routes=pages.routes, start=start_board, stop=stop_board)
listening = Feature[Services](
    "live listening", api=[api.router], start=start_listening, stop=stop_listening
)
