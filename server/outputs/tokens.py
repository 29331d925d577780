"""The token in an output document's QR code: `/verifikasi/<token_id>.<mac>`.

`token_id` is 10 random bytes (hex) stored on the IssuedDocument; the MAC is the first 22
base64url characters (132 bits) of HMAC-SHA256 over it (RFC 2104), keyed with a secret derived
from the app's secret key. A token therefore carries no personal data, cannot be guessed, and a
forged or altered one is refused before the database is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MAC_CHARS = 22
TOKEN_ID_BYTES = 10


def new_token_id() -> str:
    return secrets.token_hex(TOKEN_ID_BYTES)


def _mac(secret: bytes, token_id: str) -> str:
    digest = hmac.new(secret, token_id.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:MAC_CHARS]


def make_token(secret: bytes, token_id: str) -> str:
    return f"{token_id}.{_mac(secret, token_id)}"


def read_token(secret: bytes, token: str) -> str | None:
    """The token id when the MAC is right; None for anything else (malformed, altered, forged)."""
    token_id, dot, mac = token.partition(".")
    if not dot or not token_id or len(token_id) > 64 or not token_id.isascii() or not mac.isascii():
        return None
    if not hmac.compare_digest(_mac(secret, token_id), mac):
        return None
    return token_id


def token_secret(settings) -> bytes:
    """The verification key, derived from SECRET_KEY so it is never the key used for anything else."""
    return hmac.new(settings.web.secret_key.encode("utf-8"), b"mpp-verifikasi", hashlib.sha256).digest()
