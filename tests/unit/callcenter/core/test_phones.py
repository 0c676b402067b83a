import pytest

from callcenter.core.phones import InvalidPhone, is_extension, normalize_phone, try_normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # Russia: every way customers and shops write the same mobile number.
        ("+7 916 123-45-67", "RU", "+79161234567"),
        ("8 (916) 123-45-67", "RU", "+79161234567"),
        ("89161234567", "RU", "+79161234567"),
        ("79161234567", "RU", "+79161234567"),
        ("9161234567", "RU", "+79161234567"),
        ("+7(916)1234567", "RU", "+79161234567"),
        ("8 (495) 123-45-67", "RU", "+74951234567"),
        ("8 800 555-35-35", "RU", "+78005553535"),
        ("tel:+79161234567", "RU", "+79161234567"),
        # Ukraine, Kazakhstan, Germany, USA: with a plus, with 00, or with the country code only.
        ("+380 44 123 4567", "RU", "+380441234567"),
        ("380441234567", "RU", "+380441234567"),
        ("044 123 4567", "UA", "+380441234567"),
        ("+7 701 123 4567", "RU", "+77011234567"),
        ("8 701 123 4567", "KZ", "+77011234567"),
        ("+49 30 12345678", "RU", "+493012345678"),
        ("0049 30 12345678", "RU", "+493012345678"),
        ("030 12345678", "DE", "+493012345678"),
        ("+1 (212) 555-0123", "RU", "+12125550123"),
        ("12125550123", "RU", "+12125550123"),
        ("(212) 555-0123", "US", "+12125550123"),
    ],
)
def test_normalises_to_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["101", "1002", "  102 ", "555555"])
def test_internal_extensions_are_not_customer_numbers(raw: str) -> None:
    assert is_extension(raw)
    with pytest.raises(InvalidPhone, match="internal extension"):
        normalize_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "+7 916 abc",
        "12345678901234567890",
        "++79161234567",
        "8 (916) 123",
        "drop table customers",
        None,
    ],
)
def test_garbage_is_rejected_with_a_reason(raw: str | None) -> None:
    with pytest.raises(InvalidPhone) as err:
        normalize_phone(raw)
    assert str(err.value)
    assert try_normalize_phone(raw) is None


def test_plus_number_is_never_an_extension() -> None:
    assert not is_extension("+7101")
    assert not is_extension("89161234567")
