"""The browsers' SIP accounts as pjsip config: only digits and hex reach the file."""

from __future__ import annotations

import hashlib
import re

import pytest

from callcenter.softphone.accounts import REALM, Account, endpoint_of, new_ha1, render


def test_an_extension_names_the_browsers_endpoint() -> None:
    assert endpoint_of("101") == "web101"
    for bad in ("", "1", "10a", "101\n[evil]", "1234567"):
        with pytest.raises(ValueError):
            endpoint_of(bad)


def test_each_ha1_is_new_and_of_asterisks_form() -> None:
    first, second = new_ha1("web101"), new_ha1("web101")
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    # It is an HA1: MD5 of user:realm:password, which no password we know matches.
    assert first != hashlib.md5(f"web101:{REALM}:".encode()).hexdigest()


def test_the_file_holds_an_endpoint_aor_and_auth_per_manager_in_order() -> None:
    text = render([Account("102", "b" * 32), Account("101", "a" * 32)])
    assert text.index("[web101](manager-webrtc)") < text.index("[web102](manager-webrtc)")
    block = text[text.index("[web101](manager-webrtc)") : text.index("[web102]")]
    assert block.splitlines() == [
        "[web101](manager-webrtc)",
        "aors = web101",
        "auth = web101-auth",
        "[web101](manager-webrtc-aor)",
        "[web101-auth](manager-webrtc-auth)",
        "username = web101",
        f"md5_cred = {'a' * 32}",
        "",
    ]
    assert render([]).startswith("; Written by the call-centre service")


def test_anything_but_an_ha1_is_refused() -> None:
    with pytest.raises(ValueError, match="web101"):
        render([Account("101", "secret\npassword = x")])
