"""Real headless Chromium (Debian's ``chromium``) driven by Playwright, against the real
service under uvicorn with a fake AMI server as its PBX.

Never ``playwright install``: it downloads a browser build, which cannot be fetched here; the
tests launch /usr/bin/chromium. Under CI=true a missing or broken Chromium fails the run;
locally it skips loudly. Screenshots of failed tests land in test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from callcenter.core.migrate import upgrade
from callcenter.core.models import Role
from callcenter.core.settings import Settings
from callcenter.managers import service as manager_service
from callcenter.managers.schemas import ManagerIn
from tests.conftest import require_component
from tests.fakes.live_server import LiveServer
from tests.fakes.threaded_ami import ThreadedAmi, wait_until

CHROMIUM = Path(os.environ.get("CALLCENTER_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "correct-horse-1"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_component(
            "Chromium", f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        require_component("playwright", f"the Python package is not installed: {exc}")
    with sync_playwright() as driver:
        yield driver


@dataclass
class User:
    id: int
    login: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Shop:
    """The running service, its fake PBX, and an API client for setting up data."""

    live: LiveServer
    ami: ThreadedAmi
    api: httpx2.Client
    users: dict[str, User] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.live.url

    def user(self, login: str, role: Role, extension: str | None = None, name: str = "") -> User:
        async def create() -> User:
            async with self.live.app.state.services.sessionmaker() as session:
                body = ManagerIn(
                    login=login,
                    password=PASSWORD,
                    role=role,
                    extension=extension,
                    name=name or None,
                )
                manager = await manager_service.create(session, body)
                _, token = await manager_service.create_token(session, manager, "browser tests")
                await session.commit()
                return User(manager.id, login, token)

        user: User = self.live.call(create())
        self.users[login] = user
        return user

    def post(self, path: str, body: dict[str, Any], as_user: User) -> dict[str, Any]:
        response = self.api.post(f"/api/v1{path}", json=body, headers=as_user.auth)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())


@pytest.fixture
def shop_settings() -> dict[str, Any]:
    """More settings for the service under test; a test module overrides it."""
    return {}


@pytest.fixture
def shop(tmp_path: Path, shop_settings: dict[str, Any]) -> Iterator[Shop]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}"
    # Playwright's sync API runs an event loop in this thread: migrate from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
    ami = ThreadedAmi()
    settings = Settings(
        _env_file=None,
        database_url=url,
        var_dir=tmp_path,
        secret_key="browser-test-secret",
        recordings_dir=tmp_path / "recordings",
        agi_bind="127.0.0.1:0",
        ami_username="crm",
        ami_secret="crm-secret",
        ami_port=ami.server.port,
        # The webhook tests' receiver listens on loopback, which the SSRF guard refuses else.
        **{"webhook_allow": "127.0.0.1", **shop_settings},
    )
    live = LiveServer(settings).start()
    api = httpx2.Client(base_url=live.url, timeout=30)
    try:
        wait_until(lambda: api.get("/healthz").json()["pbx"]["default"]["state"] == "connected", 10)
        yield Shop(live, ami, api)
    finally:
        api.close()
        live.stop()
        ami.close()


Browser = Callable[..., Any]


@pytest.fixture
def browser(playwright: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """``browser()`` opens one more Chromium with a fresh profile (its own cookies: one user
    each) and returns its page; ``browser(args=[...])`` adds Chromium switches (fake media),
    ``ignore_https_errors`` accepts a self-signed pair (the test PBX's WSS).
    Console errors (CSP violations, script errors) fail the test."""
    contexts: list[Any] = []
    pages: list[Any] = []
    problems: list[str] = []

    def open_page(args: list[str] | None = None, ignore_https_errors: bool = False) -> Any:
        profile = tmp_path / f"chromium-profile-{len(contexts)}"
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS + (args or []),
                ignore_https_errors=ignore_https_errors,
                headless=True,
                locale="ru-RU",
                timezone_id="Europe/Moscow",
                viewport={"width": 1400, "height": 900},
            )
        except Exception as exc:
            require_component("Chromium", f"{CHROMIUM} does not start under Playwright: {exc}")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console {msg.type}: {msg.text} {msg.location}")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        pages.append(page)
        return page

    yield open_page

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        for i, page in enumerate(pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
                (ARTIFACTS / f"{name}-{i}.html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # the page may be gone already
                print(f"no screenshot of page {i}: {exc}")
    for context in contexts:
        context.close()
    # Not problems: the reconnect loop's "connection refused" once the server stops, and API
    # errors the page shows to the user (a failed click-to-call is a 409).
    real = [
        p
        for p in problems
        if "ERR_CONNECTION_REFUSED" not in p
        and not ("Failed to load resource" in p and "/api/v1/" in p)
    ]
    if report is not None and report.passed:
        assert not real, real


def log_in(page: Any, shop: Shop, login: str) -> None:
    page.goto(f"{shop.url}/login")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{shop.url}/")
    # The screen-pop socket is open: pops from now on reach this page.
    page.wait_for_selector('body[data-ws="open"]')


@pytest.fixture(autouse=True, scope="session")
def _clean_artifacts() -> None:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
