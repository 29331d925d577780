"""Personal data at rest: NIK, KK number and phone are stored encrypted and found by a keyed hash.

A database dump, a backup or a replica must not hand out the NIKs of a region. So a column never
holds the number itself: it holds an AES-256-GCM token (to show the number back to its owner or
an officer) and, where the row must be found by that number, a keyed HMAC-SHA256 "lookup hash".
Both come from one secret, `PII_KEY`: 64 hexadecimal characters (32 bytes), kept outside the
database. Generate one with `python -c "import secrets; print(secrets.token_hex(32))"`.

Token format, version 1:

    v1.<base64url without padding of nonce(12) || ciphertext || tag(16)>

- AES-256-GCM (NIST SP 800-38D) with the 32-byte key; a fresh random 96-bit nonce per call
  (SP 800-38D §8.2.2, random construction). With random nonces one key should protect at most
  2^32 messages (§8.3), far beyond the people of one deployment.
- The associated data is the version label, so a token cannot be relabelled as another version.
- The `v1.` prefix leaves room for a later key or algorithm: a new version gets a new prefix and
  old tokens stay readable during a re-encryption.

Lookup hashes use a separate key derived with HKDF-SHA256 (RFC 5869) from `PII_KEY`, info
`mpp-lookup-v1`, so the hash key is never the encryption key. Each hash is domain-separated by
its kind ("nik", "kk", "phone"): the same digits as a NIK and as a KK number hash differently,
so one column cannot be joined against another. The value is hashed exactly as given: callers
pass the canonical form (the 16 digits for a NIK or KK, E.164 for a phone).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from identity.errors import IdentityError
from identity.nik import mask_nik

VERSION = "v1"
PREFIX = VERSION + "."
NONCE_BYTES = 12  # 96 bits, SP 800-38D §8.2
TAG_BYTES = 16
KEY_HEX_CHARS = 64
LOOKUP_INFO = b"mpp-lookup-v1"

_AAD = VERSION.encode("ascii")
_HEX = re.compile(r"[0-9a-fA-F]*")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")


class PiiDecryptError(IdentityError):
    """A stored token could not be read: altered, truncated, or written under another key.

    The detail never contains the token or any part of the plaintext.
    """


def generate_key() -> str:
    """A new PII_KEY: 32 random bytes as 64 hexadecimal characters."""
    return os.urandom(32).hex()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url: only the alphabet, and only the canonical encoding of the bytes.

    Python's decoder skips stray characters and ignores the unused low bits of the last one,
    so two different strings could decode to the same bytes; re-encoding rules that out.
    """
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


class PiiCipher:
    """Encrypts personal data for storage and computes keyed lookup hashes, from one PII_KEY."""

    __slots__ = ("_aead", "_lookup_key")

    def __init__(self, key_hex: str) -> None:
        key_hex = (key_hex or "").strip()
        # the message names the length only: a key, even a wrong one, is never echoed
        if len(key_hex) != KEY_HEX_CHARS or not _HEX.fullmatch(key_hex):
            raise ValueError(
                f"PII_KEY must be {KEY_HEX_CHARS} hexadecimal characters (32 bytes); got "
                f"{len(key_hex)} characters{'' if _HEX.fullmatch(key_hex) else ', not all hexadecimal'}. "
                'Generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
            )
        key = bytes.fromhex(key_hex)
        self._aead = AESGCM(key)
        self._lookup_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LOOKUP_INFO).derive(key)

    def __repr__(self) -> str:
        return "PiiCipher(<key hidden>)"

    def encrypt(self, text: str) -> str:
        """`text` as a `v1.` token; two calls with the same text give different tokens."""
        nonce = os.urandom(NONCE_BYTES)
        return PREFIX + _b64encode(nonce + self._aead.encrypt(nonce, text.encode("utf-8"), _AAD))

    def decrypt(self, token: str) -> str:
        """The text inside a token made by `encrypt` under the same key; PiiDecryptError otherwise."""
        if not isinstance(token, str) or not token.startswith(PREFIX):
            raise PiiDecryptError("Stored personal data has an unknown format.", version=VERSION)
        try:
            raw = _b64decode(token[len(PREFIX) :])
        except (ValueError, binascii.Error):
            raise PiiDecryptError("Stored personal data is not valid base64url.", version=VERSION) from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise PiiDecryptError("Stored personal data is truncated.", version=VERSION)
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD)
        except InvalidTag:
            # SP 800-38D §7.2: on a tag mismatch nothing of the plaintext is released
            raise PiiDecryptError(
                "Stored personal data failed its integrity check: it was altered or written under another PII_KEY.",
                version=VERSION,
            ) from None
        return plain.decode("utf-8")

    def lookup_hash(self, kind: str, value: str) -> str:
        """Keyed HMAC-SHA256 of `value` within `kind` ("nik", "kk", "phone"), as 64 hex characters."""
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise ValueError(f"lookup kind must be a short lowercase name such as 'nik', not {kind!r}")
        # kind cannot contain NUL, so `kind NUL value` is unambiguous
        message = kind.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def mask(value: str) -> str:
        return mask(value)


def mask(value: str) -> str:
    """`081234567890` -> `********7890`: screens and logs show at most the last four digits.

    Whitespace is dropped first; a value of eight characters or fewer is masked entirely, since
    four of them would be half the number.
    """
    return mask_nik(value)
