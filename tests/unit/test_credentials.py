from chalicelib.tenancy.credentials import (
    API_KEY_PREFIX,
    CHARGER_PASSWORD_LENGTH,
    api_key_digest,
    hash_password,
    new_api_key,
    new_charger_password,
    verify_password,
)


def test_a_charger_password_verifies_against_its_hash_and_nothing_else() -> None:
    password = new_charger_password()
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert not verify_password("", stored)


def test_password_hashes_are_salted_and_do_not_contain_the_password() -> None:
    password = new_charger_password()
    first, second = hash_password(password), hash_password(password)
    assert first != second
    assert password not in first
    assert first.startswith("scrypt$")


def test_a_corrupt_stored_hash_never_verifies() -> None:
    assert not verify_password("anything", "not-a-hash")
    assert not verify_password("anything", "bcrypt$1$2$3$abc$def")
    assert not verify_password("anything", "scrypt$x$8$1$abc$def")


def test_charger_passwords_fit_ocpp_basic_auth_limits() -> None:
    password = new_charger_password()
    assert len(password) == CHARGER_PASSWORD_LENGTH
    assert 16 <= len(password) <= 40
    assert password.isalnum()
    assert new_charger_password() != password


def test_api_keys_are_random_and_looked_up_by_digest() -> None:
    key = new_api_key()
    assert key.startswith(API_KEY_PREFIX)
    assert new_api_key() != key
    digest = api_key_digest(key)
    assert key not in digest and len(digest) == 64
    assert api_key_digest(key) == digest
