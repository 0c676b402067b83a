"""``callcenter demo``: the whole product alive on one machine.

A fresh SQLite database seeded with a demo shop, a ready dial rule with its list built, the
full service (AMI bridge, FastAGI routing, recordings worker with its inbox in the var
directory), and the PBX simulator (``pbx_sim``) in the same process: it speaks real AMI on a
free loopback port with credentials made up for this run and asks our FastAGI server for
routes, so the bridge runs the code it runs against Asterisk. The logged-in manager's phone
rings in the page, with an "Answer" button that only the demo has.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from callcenter.core import migrate
from callcenter.core.api import API_PREFIX, ApiRouter, Ctx
from callcenter.core.auth import Principal
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.errors import Conflict
from callcenter.core.models import (
    Customer,
    CustomerPhone,
    CustomerTag,
    DialListEntry,
    Manager,
    Role,
    utcnow,
)
from callcenter.core.services import services_in
from callcenter.core.settings import Settings
from callcenter.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed
from callcenter.dial_lists import lists as dial_lists
from callcenter.dial_lists import rules as dial_rules
from callcenter.dial_lists.builder import DialListBuilder
from callcenter.dial_lists.schemas import DialListIn, DialRuleIn
from callcenter.routing.settings import RoutingSettings, save_routing_settings
from callcenter.services import Services
from pbx_sim import CallerPools, Pace, PbxSimulator, SimConfig

PBX_PREFIX = "/var/spool/asterisk/monitor"
AMI_USER = "demo"
# Who may not have bought for a while but spent well: a list worth calling.
RULE = {
    "all": [
        {"field": "days_since_last_order", "op": ">=", "value": 90},
        {"field": "total_spent", "op": ">", "value": 10000},
    ]
}


@dataclass(frozen=True)
class DemoShop:
    counts: dict[str, int]
    extensions: tuple[str, ...]
    pools: CallerPools
    dial_list: str
    dial_list_entries: int


# --- the data -------------------------------------------------------------------------------


async def _phones(session: AsyncSession, *where: Any, limit: int = 300) -> list[str]:
    rows = await session.scalars(
        select(CustomerPhone.phone)
        .join(Customer, Customer.id == CustomerPhone.customer_id)
        .where(CustomerPhone.position == 0, *where)
        .order_by(CustomerPhone.customer_id)
        .limit(limit)
    )
    return list(rows)


def _tagged(tag: str) -> Any:
    return exists().where(and_(CustomerTag.customer_id == Customer.id, CustomerTag.tag == tag))


async def caller_pools(session: AsyncSession) -> CallerPools:
    """The numbers the simulator calls from, by kind."""
    plain = [~_tagged("vip"), ~_tagged("bad")]
    return CallerPools(
        regulars=await _phones(session, Customer.manager_id.is_not(None), *plain),
        vips=await _phones(session, _tagged("vip")),
        bad=await _phones(session, _tagged("bad")),
        others=await _phones(
            session, Customer.manager_id.is_(None), Customer.orders_count > 0, *plain
        ),
    )


async def prepare(url: str, customers: int, rng_seed: int) -> DemoShop:
    """Seed the shop, set routing groups, save a dial rule and build its list."""
    engine = make_engine(url)
    try:
        maker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        async with maker() as session:
            counts = await seed(session, customers, rng_seed)
            by_login = {m.login: m for m in await session.scalars(select(Manager))}
            await save_routing_settings(
                session,
                RoutingSettings(
                    vip_group=[by_login["anna"].id, by_login["boris"].id],
                    bad_group=[by_login["supervisor"].id],
                ),
                by_login["admin"].id,
            )
            supervisor = Principal(by_login["supervisor"], "session")
            rule = await dial_rules.create(
                session,
                supervisor.id,
                DialRuleIn(
                    name="Давно не заказывали, потратили больше 10 000 ₽",
                    description="Последний заказ больше 90 дней назад, покупок на 10 000 ₽+",
                    tree=RULE,
                ),
            )
            dial_list = await dial_lists.create(
                session,
                supervisor,
                DialListIn(rule_id=rule.id, name="Вернуть постоянных клиентов"),
                utcnow(),
            )
            await session.commit()
            list_id, list_name = dial_list.id, dial_list.name
        await DialListBuilder(maker).build(list_id)
        async with maker() as session:
            entries = await session.scalar(
                select(func.count(DialListEntry.id)).where(DialListEntry.list_id == list_id)
            )
            extensions = await session.scalars(
                select(Manager.extension)
                .where(Manager.extension.is_not(None), Manager.is_active.is_(True))
                .order_by(Manager.extension)
            )
            phones = tuple(ext for ext in extensions if ext)
            pools = await caller_pools(session)
        return DemoShop(counts, phones, pools, list_name, int(entries or 0))
    finally:
        await engine.dispose()


# --- "Answer" in the browser ------------------------------------------------------------------


class AnswerIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=64, description="the call's Linkedid")


class AnswerOut(BaseModel):
    call_id: str
    extension: str


def demo_router(simulator: PbxSimulator) -> ApiRouter:
    """The demo's "Answer" endpoint, on the simulator this demo runs."""
    router = ApiRouter(API_PREFIX)

    @router.route(
        "/demo/answer",
        "POST",
        summary="Demo only: pick up your ringing phone on the PBX simulator",
        tag="demo",
        body=AnswerIn,
        response=AnswerOut,
        roles=(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN),
    )
    async def demo_answer(ctx: Ctx, body: AnswerIn) -> AnswerOut:
        extension = ctx.principal.manager.extension
        if not extension:
            raise Conflict("you have no extension, so no phone rings for you", code="no_phone")
        if not simulator.answer(extension, body.call_id):
            raise Conflict("your phone is not ringing for this call any more", code="not_ringing")
        ctx.audit("demo.answer", "call", body.call_id, extension=extension)
        return AnswerOut(call_id=body.call_id, extension=extension)

    return router


def attach_simulator(app: Starlette, simulator: PbxSimulator, ami_socket: socket.socket) -> None:
    """Run the simulator inside the app's lifespan (its AMI listening before the bridge
    connects, its calls once FastAGI is up) and mount the demo's "Answer" endpoint."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(the_app: Starlette) -> AsyncIterator[Any]:
        await simulator.start(sock=ami_socket)
        try:
            async with inner(the_app) as state:
                agi = services_in(the_app, Services).agi
                if agi is not None:
                    simulator.agi_url = f"agi://127.0.0.1:{agi.port}/route"
                simulator.start_traffic()
                try:
                    yield state
                finally:
                    await simulator.stop_calls()
        finally:
            await simulator.stop()

    app.router.lifespan_context = lifespan
    app.router.routes[0:0] = demo_router(simulator).starlette_routes()
    app.state.demo = True  # templates show the "Answer" button


# --- the command ------------------------------------------------------------------------------


def _fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def database_url(settings: Settings) -> str:
    """The demo's own database, made anew at every start."""
    return f"sqlite+aiosqlite:///{settings.var_dir / 'demo.db'}"


def demo_settings(settings: Settings, args: argparse.Namespace, ami_port: int | None) -> Settings:
    var = settings.var_dir
    host, port = settings.http_host_port
    update: dict[str, Any] = {
        "database_url": database_url(settings),
        "http_bind": f"{host}:{args.port if args.port is not None else port}",
        "recordings_dir": var / "demo-recordings",
        "recordings_pbx_prefix": PBX_PREFIX,
        "recordings_inbox": str(var / "demo-monitor"),
    }
    if ami_port is not None:
        update |= {
            "ami_host": "127.0.0.1",
            "ami_port": ami_port,
            "ami_username": AMI_USER,
            "ami_secret": SecretStr(secrets.token_urlsafe(24)),
            "ami_servers": [],
            "agi_bind": "127.0.0.1:0",
            "audiosocket_bind": "127.0.0.1:0",
        }
    return settings.model_copy(update=update)


def run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from callcenter.app import create_app

    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    db = var / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    ami_socket = None if args.no_simulator else _loopback_socket()
    settings = demo_settings(
        settings, args, None if ami_socket is None else ami_socket.getsockname()[1]
    )
    _fresh_dir(settings.recordings_dir)
    inbox = _fresh_dir(settings.recordings_inbox_path)
    migrate.upgrade(settings.database_url)
    shop = asyncio.run(prepare(settings.database_url, args.customers, args.seed))

    app = create_app(settings)
    if ami_socket is not None:
        simulator = PbxSimulator(
            SimConfig(
                ami_username=settings.ami_username,
                ami_secret=settings.ami_secret.get_secret_value(),
                extensions=shop.extensions,
                monitor_prefix=PBX_PREFIX,
                inbox=inbox,
                calls_per_minute=args.calls_per_minute,
                pace=Pace(answer_after=args.answer_after, talk_seconds=args.talk_seconds),
                seed=args.seed,
            ),
            shop.pools,
        )
        attach_simulator(app, simulator, ami_socket)

    host, port = settings.http_host_port
    counts = shop.counts
    print(f"\nDemo shop: {counts['customers']} customers, {counts['orders']} orders.")
    print(f'Dial list "{shop.dial_list}": {shop.dial_list_entries} customers to call.')
    if ami_socket is not None:
        print(
            f"PBX simulator: about {args.calls_per_minute:g} calls a minute to the phones "
            f"{', '.join(shop.extensions)}; AMI on 127.0.0.1:{settings.ami_port}."
        )
        print(
            "Log in as an operator (anna, say): when your phone rings, the caller's card pops "
            "up on the right; «Ответить» (Answer) picks up."
        )
    print(f"\nOpen http://{host}:{port}/ and log in as one of (password {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        ext = f", extension {user.extension}" if user.extension else ""
        print(f"  {user.login:<11} {user.role.value}{ext}")
    print(flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0
