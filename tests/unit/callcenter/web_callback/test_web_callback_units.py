"""The website callbacks' pure parts: the words a visitor reads, the settings, and every
string the feature's code names (the limits: tests/integration/core/test_rate_limits.py)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from pydantic import ValidationError

from callcenter.core.i18n import LANGUAGES, STRINGS
from callcenter.core.settings import Settings
from callcenter.web_callback.service import Outcome, callback_words, clean_name

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
PACKAGE = Path(__file__).resolve().parents[4] / "callcenter" / "web_callback"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("outcome", "ru", "en"),
    [
        (
            Outcome("calling", at(2026, 6, 15, 9, 0), 10),
            "Спасибо! Менеджер уже звонит вам — возьмите трубку.",
            "Thank you! A manager is calling you now: please pick up.",
        ),
        (
            Outcome("queued", at(2026, 6, 15, 9, 15), 15),
            "Спасибо! Все менеджеры сейчас заняты — перезвоним в течение 15 мин.",
            "Thank you! Every manager is busy right now: we will call you back within 15 min.",
        ),
        # Tuesday 16.06.2026 09:00 in Moscow.
        (
            Outcome("closed", at(2026, 6, 16, 6, 0), 10),
            "Спасибо! Сейчас магазин не работает — перезвоним во вторник, 16.06.2026 09:00 МСК.",
            "Thank you! The shop is closed now: we will call you back on Tuesday, "
            "16/06/2026 09:00 MSK.",
        ),
        (
            Outcome("closed", None, 10),
            "Спасибо! Сейчас магазин не работает — перезвоним, как только откроемся.",
            "Thank you! The shop is closed now: we will call you back as soon as it opens.",
        ),
    ],
)
def test_what_the_visitor_reads(outcome: Outcome, ru: str, en: str) -> None:
    assert callback_words(outcome, "ru", MSK) == ru
    assert callback_words(outcome, "en", MSK) == en


def test_the_day_is_the_shops() -> None:
    # 22:30 UTC on Monday is Tuesday 01:30 in Moscow.
    words = callback_words(Outcome("closed", at(2026, 6, 15, 22, 30), 10), "en", MSK)
    assert "on Tuesday, 16/06/2026 01:30 MSK" in words


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  Анна  ", "Анна"), ("Анна\nПетрова\t", "Анна Петрова"), ("\x00\x07", None), (None, None)],
)
def test_a_visitors_name_is_one_line_of_text(raw: str | None, clean: str | None) -> None:
    assert clean_name(raw) == clean


def test_every_string_the_feature_names_exists_in_every_language() -> None:
    named: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        named |= set(re.findall(r'"(web_callback\.[\w.]+)"', path.read_text(encoding="utf-8")))
    named.discard("web_callback.request")  # the audit log's action, not words
    assert "web_callback.error.phone" in named
    for key in named:
        assert key in STRINGS, key
        assert all(STRINGS[key].get(lang) for lang in LANGUAGES), key


def test_the_settings() -> None:
    settings = Settings(
        _env_file=None,
        callback_origins="https://Shop.example/, http://localhost:8080",
        callback_countries="ru, kz",
    )
    assert settings.callback_origin_set == {"https://shop.example", "http://localhost:8080"}
    assert settings.callback_country_set == {"RU", "KZ"}
    assert Settings(_env_file=None, default_region="by").callback_country_set == {"BY"}
    for bad in ("shop.example", "https://shop.example/page", "*"):
        with pytest.raises(ValidationError, match="CALLCENTER_CALLBACK_ORIGINS"):
            Settings(_env_file=None, callback_origins=bad)
    with pytest.raises(ValidationError, match="CALLCENTER_CALLBACK_COUNTRIES"):
        Settings(_env_file=None, callback_countries="Russia")
