"""Personal data at rest: AES-256-GCM tokens and keyed lookup hashes from one PII_KEY."""

from __future__ import annotations

import base64

import pytest

from identity.crypto import PiiCipher, PiiDecryptError, generate_key, mask
from identity.errors import IdentityError

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
OTHER_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
NIK = "2171015203859901"  # made up: real area prefix, serial a kecamatan does not reach


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher(KEY)


def raw_of(token: str) -> bytes:
    body = token.removeprefix("v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def token_of(raw: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("text", [NIK, "", "+6281234567890", "Jl. Melati No. 5, RT 004/RW 002 — Nur’aini"])
def test_a_token_decrypts_to_the_text_it_was_made_from(cipher, text):
    token = cipher.encrypt(text)
    assert token.startswith("v1.") and (not text or text not in token)
    assert cipher.decrypt(token) == text


def test_a_token_is_nonce_then_ciphertext_then_tag_in_unpadded_base64url(cipher):
    token = cipher.encrypt(NIK)
    assert "=" not in token and "+" not in token and "/" not in token
    assert len(raw_of(token)) == 12 + len(NIK) + 16
    assert len(token) <= 200  # fits Account.nik_cipher


def test_the_same_text_encrypts_under_a_fresh_nonce_every_time(cipher):
    tokens = [cipher.encrypt(NIK) for _ in range(200)]
    assert len(set(tokens)) == 200
    assert len({raw_of(t)[:12] for t in tokens}) == 200


@pytest.mark.parametrize("part", ["nonce", "ciphertext", "tag"])
def test_a_flipped_bit_anywhere_is_detected(cipher, part):
    raw = bytearray(raw_of(cipher.encrypt(NIK)))
    index = {"nonce": 0, "ciphertext": 12 + 3, "tag": len(raw) - 1}[part]
    raw[index] ^= 0x01
    with pytest.raises(PiiDecryptError) as caught:
        cipher.decrypt(token_of(bytes(raw)))
    assert NIK not in str(caught.value)


def test_an_altered_truncated_or_foreign_token_is_refused(cipher):
    token = cipher.encrypt(NIK)
    for broken in [token[:-2], token[:10], "v2." + token[3:], token[3:], token + "!", token[:-1] + "*", "v1.", ""]:
        with pytest.raises(PiiDecryptError):
            cipher.decrypt(broken)


def test_a_token_with_a_non_canonical_last_character_is_refused(cipher):
    """Python's base64 ignores the unused low bits of the last character; we do not."""
    token = next(t for t in (cipher.encrypt(NIK) for _ in range(50)) if len(t[3:]) % 4 in (2, 3))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[last ^ 1]  # differs only in a bit the decoder drops
    assert raw_of(twin) == raw_of(token)
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(twin)


def test_a_token_made_under_another_key_cannot_be_read(cipher):
    token = PiiCipher(OTHER_KEY).encrypt(NIK)
    with pytest.raises(PiiDecryptError, match="another PII_KEY"):
        cipher.decrypt(token)


def test_decrypt_errors_belong_to_the_identity_package():
    assert issubclass(PiiDecryptError, IdentityError)


def test_lookup_hash_is_deterministic_per_key_and_kind(cipher):
    first = cipher.lookup_hash("nik", NIK)
    assert first == PiiCipher(KEY).lookup_hash("nik", NIK)
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != PiiCipher(OTHER_KEY).lookup_hash("nik", NIK)
    assert first != cipher.lookup_hash("nik", "2171015203859902")


def test_the_same_digits_hash_differently_as_nik_kk_and_phone(cipher):
    hashes = {kind: cipher.lookup_hash(kind, NIK) for kind in ("nik", "kk", "phone")}
    assert len(set(hashes.values())) == 3


def test_the_lookup_key_is_not_the_encryption_key(cipher):
    import hashlib
    import hmac

    plain = hmac.new(bytes.fromhex(KEY), b"nik\x00" + NIK.encode(), hashlib.sha256).hexdigest()
    assert cipher.lookup_hash("nik", NIK) != plain


@pytest.mark.parametrize("kind", ["", "NIK", "nik\x00kk", "n ik", 5])
def test_a_lookup_kind_must_be_a_short_lowercase_name(cipher, kind):
    with pytest.raises(ValueError, match="lookup kind"):
        cipher.lookup_hash(kind, NIK)


@pytest.mark.parametrize("key", ["", KEY[:62], KEY + "00", "zz" + KEY[2:], KEY[:32]])
def test_a_key_of_the_wrong_length_or_alphabet_is_refused_with_a_clear_message(key):
    with pytest.raises(ValueError, match="PII_KEY must be 64 hexadecimal characters") as caught:
        PiiCipher(key)
    assert "secrets.token_hex(32)" in str(caught.value)
    if key:
        assert key not in str(caught.value)  # the key itself is never echoed


def test_a_key_is_accepted_in_either_case_with_surrounding_whitespace():
    token = PiiCipher(KEY.upper()).encrypt(NIK)
    assert PiiCipher(f"  {KEY}\n").decrypt(token) == NIK


def test_the_cipher_never_shows_its_key():
    assert KEY not in repr(PiiCipher(KEY)) and KEY.upper() not in repr(PiiCipher(KEY))


def test_generated_keys_are_fresh_and_usable():
    a, b = generate_key(), generate_key()
    assert a != b and len(a) == 64
    assert PiiCipher(a).decrypt(PiiCipher(a).encrypt("x")) == "x"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(NIK, "************9901"), ("0812 3456 7890", "********7890"), ("12345678", "********"), ("", "")],
)
def test_mask_shows_at_most_the_last_four_digits(value, shown):
    assert mask(value) == shown == PiiCipher.mask(value)
