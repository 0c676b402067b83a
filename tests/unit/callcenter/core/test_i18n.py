"""Every UI string the templates and the page script use exists in Russian and English."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest

from callcenter.core.i18n import (
    DEVICE_STATE_KEYS,
    DEVICE_STATES,
    LANGUAGES,
    STRINGS,
    local_datetime,
    translate,
)
from callcenter.core.pages import JS_STRINGS, feature_dirs
from callcenter.dial_lists.pages import DIAL_JS_STRINGS
from callcenter.live.pages import LIVE_JS_STRINGS
from callcenter.web_callback.api import WIDGET_STRINGS

TEMPLATES = [path for folder in feature_dirs("templates") for path in folder.glob("*.html")]
# t("key") and t('key'), not the computed ones (t("presence." ~ status)).
_KEY = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")
# Computed keys: prefix -> the values it is completed with.
COMPUTED = {
    "presence.": ["available", "busy", "break", "offline"],
    "role.": ["operator", "supervisor", "admin"],
    "direction.": ["in", "out", "internal"],
    "call_status.": ["answered", "missed", "busy", "failed", "live"],
    "order_status.": ["new", "approved", "assembling", "delivering", "complete", "cancelled"],
    "segment.": ["vip", "prospect", "new", "regular", "lapsed"],
    "rec_status.": ["ready", "ingesting", "failed"],
    "task.event.": ["missed", "missed_again", "closed", "website", "ring_failed"],
    "hours.day.": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "web_callback.on.": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "error.code.": ["already_done", "already_taken", "supervisors_only", "csrf_failed"],
    "error.message_": ["400", "403", "404", "409", "422", "503"],
}


def used_keys() -> set[str]:
    keys: set[str] = {*JS_STRINGS, *LIVE_JS_STRINGS, *DIAL_JS_STRINGS}
    keys |= {f"web_callback.{key}" for key in WIDGET_STRINGS}
    for path in TEMPLATES:
        keys |= {k for k in _KEY.findall(path.read_text(encoding="utf-8")) if k[-1] != "."}
    for prefix, values in COMPUTED.items():
        keys |= {prefix + v for v in values}
    return keys


@pytest.mark.parametrize("key", sorted(used_keys()))
def test_key_exists_in_every_language(key: str) -> None:
    assert key in STRINGS, key
    for lang in LANGUAGES:
        assert STRINGS[key].get(lang), (key, lang)


def test_every_template_is_read() -> None:
    package = Path(__file__).resolve().parents[4] / "callcenter"
    assert sorted(TEMPLATES) == sorted(package.glob("*/templates/*.html"))
    assert len(TEMPLATES) > 20


def test_russian_is_the_default_and_cyrillic() -> None:
    assert translate("nav.customers") == "Клиенты"
    assert translate("nav.customers", "en") == "Customers"
    assert translate("money", "ru", amount="1 000,00") == "1 000,00 ₽"


def test_every_language_has_the_same_placeholders() -> None:
    for key, texts in STRINGS.items():
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in texts.items()}
        assert len({frozenset(f) for f in fields.values()}) == 1, key


def test_every_device_state_has_its_own_words_in_every_language() -> None:
    assert len(DEVICE_STATES) == len(DEVICE_STATE_KEYS) == 9
    for lang in LANGUAGES:
        words = [translate(key, lang) for key in DEVICE_STATE_KEYS]
        assert len(set(words)) == len(words), (lang, words)
        assert not set(words) & {*DEVICE_STATES, *DEVICE_STATE_KEYS}, (lang, words)
    assert translate("device.not_inuse") == "свободен"
    assert translate("device.inuse", "en") == "on a call"


def test_the_live_board_passes_every_device_state_to_its_script() -> None:
    assert set(DEVICE_STATE_KEYS) <= set(LIVE_JS_STRINGS)
    assert "device.unknown" in LIVE_JS_STRINGS


MOMENT = dt.datetime(2026, 9, 21, 14, 13, 20)  # naive UTC, as the database keeps it


@pytest.mark.parametrize(
    ("zone", "lang", "shown"),
    [
        ("Europe/Moscow", "ru", "21.09.2026 17:13 МСК"),
        ("Europe/Moscow", "en", "21/09/2026 17:13 MSK"),
        ("Asia/Yekaterinburg", "ru", "21.09.2026 19:13 +05"),
        ("Europe/London", "en", "21/09/2026 15:13 BST"),  # summer time
        ("UTC", "ru", "21.09.2026 14:13 UTC"),
        ("Europe/Moscow", "xx", "21.09.2026 17:13 MSK"),  # another language: the default's form
    ],
)
def test_a_moment_on_the_shops_clock(zone: str, lang: str, shown: str) -> None:
    assert local_datetime(MOMENT, lang, zoneinfo.ZoneInfo(zone)) == shown


def test_an_aware_moment_is_moved_not_relabelled() -> None:
    aware = MOMENT.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    assert local_datetime(aware, "ru", moscow) == "21.09.2026 17:13 МСК"
