"""The ``callcenter`` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import func, select

from callcenter.core import migrate
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.errors import ApiError
from callcenter.core.instance import AnotherInstance, sole_instance
from callcenter.core.models import Manager, Role
from callcenter.core.settings import Settings
from callcenter.managers.schemas import ManagerIn

log = logging.getLogger("callcenter")


def _fail(message: str, code: int = 2) -> int:
    print(f"callcenter: error: {message}", file=sys.stderr)
    return code


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from callcenter.app import create_app

    try:
        with sole_instance(settings.database_url):
            if not args.no_migrate:
                migrate.upgrade(settings.database_url)
            host, port = settings.http_host_port
            print(f"callcenter: serving on http://{host}:{port}/", flush=True)
            app = create_app(settings)
            uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
    except AnotherInstance as exc:
        return _fail(str(exc))
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from callcenter.demo import command as demo

    try:
        with sole_instance(demo.database_url(settings)):
            return demo.run(settings, args)
    except AnotherInstance as exc:
        return _fail(str(exc))


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database is up to date")
    return 0


async def _find_manager(session: object, login: str) -> Manager | None:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    return (
        await session.scalars(select(Manager).where(func.lower(Manager.login) == login.lower()))
    ).first()


def cmd_users_add(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from callcenter.core.errors import from_validation_error
    from callcenter.managers import service

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            return _fail("no --password given and no terminal to ask for one")
        password = getpass.getpass(f"password for {args.login}: ")
        if password != getpass.getpass("again: "):
            return _fail("the passwords differ")
    try:
        body = ManagerIn(
            login=args.login,
            name=args.name,
            password=password,
            role=Role(args.role),
            extension=args.extension,
        )
    except ValidationError as exc:
        return _fail(from_validation_error(exc).message)

    async def run() -> Manager:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                manager = await service.create(session, body)
                await session.commit()
                return manager
        finally:
            await engine.dispose()

    try:
        manager = asyncio.run(run())
    except ApiError as exc:
        return _fail(exc.message)
    print(f"created {manager.role.value} {manager.login} (id {manager.id})")
    return 0


def cmd_tokens_create(settings: Settings, args: argparse.Namespace) -> int:
    from callcenter.managers import service

    async def run() -> tuple[int, str] | None:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                manager = await _find_manager(session, args.login)
                if manager is None:
                    return None
                result = await service.create_token(session, manager, args.name)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    if result is None:
        return _fail(f"no user with login {args.login!r}")
    token_id, token = result
    print(f"token id {token_id} for {args.login}; it is shown only once:", file=sys.stderr)
    print(token)
    return 0


def cmd_tokens_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from callcenter.managers import service

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await service.revoke_token(session, args.token_id)
                await session.commit()
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except ApiError as exc:
        return _fail(exc.message)
    print(f"token {args.token_id} revoked")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from callcenter.csv_import import importer

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"no such file: {path}")
    try:
        report = asyncio.run(
            importer.import_file(settings, args.kind, path, progress=not args.quiet)
        )
    except importer.ImportFailed as exc:
        return _fail(str(exc))
    for error in report.errors[: args.max_errors]:
        print(f"{path.name}:{error.line}: {error.message}", file=sys.stderr)
    if len(report.errors) > args.max_errors:
        print(f"... and {len(report.errors) - args.max_errors} more bad rows", file=sys.stderr)
    if args.errors_csv:
        report.write_errors_csv(Path(args.errors_csv))
    print(report.summary())
    return 1 if report.errors else 0


def _number_between(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}: {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="web app, API, AMI bridge and AGI server")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.set_defaults(func=cmd_serve)
    _demo_arguments(
        sub.add_parser(
            "demo", help="the service on a fresh seeded SQLite database, with a PBX simulator"
        )
    )
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    users = sub.add_parser("users", help="user accounts").add_subparsers(
        dest="users", required=True
    )
    _users_add_arguments(users.add_parser("add", help="create a user"))
    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(
        dest="tokens", required=True
    )
    create = tokens.add_parser("create", help="print a new API token for a user")
    create.add_argument("login")
    create.add_argument("--name", default="", help="what the token is for")
    create.set_defaults(func=cmd_tokens_create)
    revoke = tokens.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(func=cmd_tokens_revoke)
    _import_arguments(sub.add_parser("import", help="import CSV files"))
    return parser


def _demo_arguments(demo: argparse.ArgumentParser) -> None:
    demo.add_argument(
        "--customers",
        type=lambda text: int(_number_between(10, 100_000)(text)),
        default=3000,
        help="customers in the demo shop (10 to 100000)",
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed of the data and calls")
    demo.add_argument("--port", type=int, help="HTTP port (default: that of CALLCENTER_HTTP_BIND)")
    demo.add_argument(
        "--calls-per-minute",
        type=_number_between(0, 120),
        default=6.0,
        help="inbound calls the simulator places a minute (0: none; click-to-call still works)",
    )
    demo.add_argument(
        "--answer-after",
        type=_number_between(0.2, 120),
        default=4.0,
        help="seconds a phone rings before the simulator answers it, on average",
    )
    demo.add_argument(
        "--talk-seconds",
        type=_number_between(1, 600),
        default=15.0,
        help="how long an answered call lasts, on average",
    )
    demo.add_argument(
        "--no-simulator",
        action="store_true",
        help="no PBX simulator: use the configured PBX (CALLCENTER_AMI_*), if any",
    )
    demo.set_defaults(func=cmd_demo)


def _users_add_arguments(add: argparse.ArgumentParser) -> None:
    add.add_argument("login")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OPERATOR.value)
    add.add_argument("--extension", help="the PBX extension of the user's phone, e.g. 101")
    add.add_argument("--name", help="display name")
    add.add_argument("--password", help="asked for when not given")
    add.set_defaults(func=cmd_users_add)


def _import_arguments(imp: argparse.ArgumentParser) -> None:
    imp.add_argument("kind", choices=["customers", "orders"])
    imp.add_argument("file")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.add_argument("--max-errors", type=int, default=50, help="bad rows to print")
    imp.add_argument("--errors-csv", help="write the bad rows with their reasons to this file")
    imp.set_defaults(func=cmd_import)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's ValidationError: a bad environment variable
        return _fail(f"bad settings: {exc}")
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
