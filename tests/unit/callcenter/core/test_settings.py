"""The shop's time zone is a setting of its own, checked when the service starts."""

from __future__ import annotations

import zoneinfo

import pytest
from pydantic import ValidationError

from callcenter.core.settings import Settings


def test_the_shop_is_in_moscow_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCENTER_TIMEZONE", raising=False)
    settings = Settings(_env_file=None)
    assert settings.timezone == "Europe/Moscow"
    assert settings.zone == zoneinfo.ZoneInfo("Europe/Moscow")


def test_the_zone_comes_from_callcenter_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_TIMEZONE", "Asia/Yekaterinburg")
    assert Settings(_env_file=None).zone == zoneinfo.ZoneInfo("Asia/Yekaterinburg")


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../../etc/passwd", "europe/moscow"])
def test_a_zone_that_is_not_an_iana_name_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, timezone=bad)
    assert "CALLCENTER_TIMEZONE: unknown time zone" in str(caught.value)
