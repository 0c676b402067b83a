"""The signature shops check: a hand-computed vector, and what ``verify`` refuses."""

from __future__ import annotations

import time

import pytest

from callcenter.webhooks.signing import BadSignature, sign, verify

# printf '%s' '1790000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
VECTOR = "e32657f3e678d33b41ec084c16ac0e125d25480a06cb3902286dc5942c6fd259"


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    assert sign("whsec_test", b'{"id":"evt_1"}', 1790000000) == f"t=1790000000,v1={VECTOR}"


def test_verify_takes_a_fresh_signature_and_returns_its_time() -> None:
    now = int(time.time())
    header = sign("s3cret-s3cret-s3cret", b"{}", now)
    assert verify("s3cret-s3cret-s3cret", b"{}", header) == now


@pytest.mark.parametrize(
    ("secret", "body", "age", "why"),
    [
        ("other-secret-xxxxxx", b"{}", 0, "does not match"),
        ("s3cret-s3cret-s3cret", b'{"x":1}', 0, "does not match"),
        ("s3cret-s3cret-s3cret", b"{}", 3600, "too old"),
    ],
)
def test_verify_refuses(secret: str, body: bytes, age: int, why: str) -> None:
    header = sign("s3cret-s3cret-s3cret", b"{}", int(time.time()) - age)
    with pytest.raises(BadSignature, match=why):
        verify(secret, body, header)


def test_verify_refuses_a_header_without_a_timestamp() -> None:
    with pytest.raises(BadSignature, match="no timestamp"):
        verify("s3cret-s3cret-s3cret", b"{}", "v1=abc")
