"""Phone numbers: everything a customer or a PBX sends, normalised to E.164.

``+7 916 123-45-67``, ``8 (916) 123-45-67``, ``89161234567`` and ``79161234567`` are one number.
Short internal extensions (``101``) are never customer numbers.
"""

from __future__ import annotations

import re

import phonenumbers

# Internal extensions and short service codes: at most this many digits.
MAX_EXTENSION_DIGITS = 6
_ALLOWED = re.compile(r"^[\d\s()+\-./]*$")


class InvalidPhone(ValueError):
    """A string that is not a dialable customer number; ``str()`` says why."""


def is_extension(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    return bool(digits) and len(digits) <= MAX_EXTENSION_DIGITS and not raw.strip().startswith("+")


def normalize_phone(raw: str | None, region: str = "RU") -> str:
    """Return ``raw`` as E.164 (``+79161234567``) or raise :class:`InvalidPhone`."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("empty phone number")
    if text.lower().startswith(("tel:", "sip:")):
        text = text[4:].split("@", 1)[0]
    if not _ALLOWED.match(text) or "+" in text[1:]:
        raise InvalidPhone(f"not a phone number: {raw!r}")
    digits = re.sub(r"\D", "", text)
    if is_extension(text):
        raise InvalidPhone(f"{raw!r} is an internal extension, not a customer number")
    if text.startswith("00"):
        text = "+" + digits[2:]
    candidates = [text]
    if not text.startswith("+"):
        # International numbers written without the plus: 380441234567, 12125550123.
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhone(f"not a valid phone number: {raw!r}")


def try_normalize_phone(raw: str | None, region: str = "RU") -> str | None:
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        return None


def phone_display(e164: str | None) -> str:
    """How a stored number is shown, everywhere: the international format
    (``+7 916 123-45-67``). The browser shows it the same way, with libphonenumber-js over
    the same metadata (``static/ui.js``)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
