"""``callcenter demo``: the service on a fresh SQLite database seeded with a demo shop.

The PBX simulator joins it with the demo issue; until then the demo serves the seeded shop.
"""

from __future__ import annotations

import argparse
import asyncio

from callcenter import migrate
from callcenter.db import make_engine, make_sessionmaker
from callcenter.seed import DEMO_PASSWORD, DEMO_USERS, seed
from callcenter.settings import Settings


async def _seed(url: str, customers: int, rng_seed: int) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            counts = await seed(session, customers, rng_seed)
            await session.commit()
            return counts
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from callcenter.app import create_app

    path = settings.var_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{path}"})
    migrate.upgrade(settings.database_url)
    counts = asyncio.run(_seed(settings.database_url, args.customers, args.seed))
    host, port = settings.http_host_port
    print(f"\nDemo shop: {counts['customers']} customers, {counts['orders']} orders.")
    print(f"Open http://{host}:{port}/ and log in as one of (password {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        ext = f", extension {user.extension}" if user.extension else ""
        print(f"  {user.login:<11} {user.role.value}{ext}")
    print(flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    return 0
