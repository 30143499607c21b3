"""Secrets the platform issues: tenant API keys and charger passwords.

API keys are 256-bit random tokens, so a fast SHA-256 digest is a safe lookup key and keeps each
request at one read. Charger passwords are shorter (chargers limit them to 40 characters) and
checked once per WebSocket connection, so they get a salted slow hash (scrypt).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

API_KEY_PREFIX = "evk_"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
# OCPP's BasicAuthPassword is 16 to 40 characters; 32 alphanumerics give ~190 bits and suit any charger UI.
CHARGER_PASSWORD_LENGTH = 32
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_hint(api_key: str) -> str:
    """The first characters, shown in key lists so a person can tell keys apart."""
    return api_key[: len(API_KEY_PREFIX) + 6]


def new_charger_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(CHARGER_PASSWORD_LENGTH))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(_unb64(expected)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
