from callcenter.core.security import (
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
