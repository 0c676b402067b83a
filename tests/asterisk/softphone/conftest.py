"""The softphone's tests drive real Chromium: the browser tier's fixtures, here too."""

from tests.browser.conftest import browser, playwright

__all__ = ["browser", "playwright"]
