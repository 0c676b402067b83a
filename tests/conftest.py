"""Shared fixtures. Under CI=true a missing real component fails the run; locally it skips loudly."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Each phase's report on the test item (``item.report_call``): fixtures that look at
    the outcome (the browser's screenshots and console errors) read it there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def require_component(name: str, reason: str) -> None:
    """Fail under CI, skip with a loud reason locally."""
    message = f"{name} is not available: {reason}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    print(f"\n!!! SKIPPING: {message}", file=sys.stderr)
    pytest.skip(message)


def run_async(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Real argon2, with the cheapest parameters: the suite creates hundreds of users."""
    from argon2 import PasswordHasher

    from callcenter.core import security

    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = original
