from unittest import mock

from callcenter.core.security import (
    LoginRateLimiter,
    csrf_matches,
    hash_password,
    hash_token,
    new_api_token,
    verify_password,
)


def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_api_token_is_stored_as_hash_only() -> None:
    token, digest = new_api_token()
    assert token.startswith("cct_") and len(token) > 40
    assert digest == hash_token(token)
    assert token not in digest
    assert new_api_token()[0] != token


def test_csrf_compare() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches(None, None)
    assert not csrf_matches("", "")


def test_rate_limiter_blocks_per_login_and_per_address() -> None:
    clock = mock.Mock(return_value=1000.0)
    with mock.patch("callcenter.core.security.time.monotonic", clock):
        limiter = LoginRateLimiter(max_failures=3, window_seconds=60)
        for _ in range(3):
            assert limiter.retry_after("10.0.0.1", "anna") == 0
            limiter.failed("10.0.0.1", "anna")
        assert limiter.retry_after("10.0.0.1", "anna") == 61
        # The same login from elsewhere is blocked too, and so is this address for other logins.
        assert limiter.retry_after("10.0.0.2", "ANNA") > 0
        assert limiter.retry_after("10.0.0.1", "boris") > 0
        assert limiter.retry_after("10.0.0.2", "boris") == 0
        clock.return_value = 1061.0
        assert limiter.retry_after("10.0.0.1", "anna") == 0


def test_success_clears_the_login_counter() -> None:
    limiter = LoginRateLimiter(max_failures=2)
    limiter.failed("a", "vera")
    limiter.succeeded("a", "vera")
    limiter.failed("b", "vera")
    assert limiter.retry_after("c", "vera") == 0
