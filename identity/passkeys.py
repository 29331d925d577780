"""Passkeys: the WebAuthn registration and sign-in ceremonies, with no storage and no HTTP.

The server wires these functions to its SQL tables and its per-person session; this module only
needs two things from it:

- the session, a `MutableMapping[str, Any]` kept server-side (or in a signed cookie), in which
  the pending challenge lives under `SESSION_KEY` as plain JSON strings
  (`{"ceremony", "challenge", "expires", "user_id"}`). A challenge is single use (taken out on
  every finish, whether it succeeds or not), expires after `PasskeyConfig.challenge_ttl`, and
  is bound to its ceremony. A challenge issued to another session is simply not there. One
  session holds one pending ceremony: beginning a new one replaces the old challenge.
- for sign-in, a `lookup(credential_id_b64url) -> StoredCredential | None`.

Verification is py_webauthn 3.0.1, but every check that has its own exception is done here
first, so each refusal raises one precise, data-free exception (`identity.passkey_errors`)
rather than depending on the wording of py_webauthn's messages; `_translate` maps those
messages only as a fallback. Step numbers in comments are those of WebAuthn Level 3
(https://www.w3.org/TR/webauthn-3/), §7.1 "Registering a New Credential" and §7.2 "Verifying
an Authentication Assertion".

Registration asks for a discoverable credential (resident key required) with user
verification and no attestation, so sign-in needs no user name: the authenticator returns the
user handle, which is checked against the stored credential's owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import options_to_json, parse_attestation_object, parse_authenticator_data
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorData,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from identity.passkey_errors import (
    CeremonyTypeMismatch,
    ChallengeExpired,
    ChallengeMissing,
    ChallengeWrongCeremony,
    CredentialLocked,
    OriginMismatch,
    PasskeyError,
    PasskeyInvalid,
    RpIdMismatch,
    SignatureInvalid,
    SignCountRegression,
    UnknownCredential,
    UserHandleMismatch,
    UserPresenceMissing,
    UserVerificationMissing,
)

SESSION_KEY = "passkey_challenge"
REGISTRATION = "registration"
AUTHENTICATION = "authentication"

# Offered in this order of preference: ES256 (every platform authenticator), RS256 (Windows
# Hello on older builds), EdDSA (some security keys).
ALGORITHMS: tuple[COSEAlgorithmIdentifier, ...] = (
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
)
MAX_CREDENTIAL_ID_BYTES = 1023  # §7.1 step 25
MAX_USER_ID_BYTES = 64  # §5.4.3: user.id is at most 64 bytes

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64encode(data: bytes) -> str:
    """base64url without padding, as WebAuthn's JSON forms use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict base64url (padding optional); `ValueError` on anything else."""
    if not isinstance(text, str):
        raise ValueError("base64url value must be a string")
    text = text.rstrip("=")
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasskeyConfig:
    """The relying party: its RP ID (bare host name), display name and the exact origins it serves.

    `origins` are compared exactly with clientDataJSON.origin: scheme, host and port, no
    trailing slash (`https://mpp.batam.go.id`, `http://localhost:8000`).
    """

    rp_id: str
    rp_name: str
    origins: list[str]
    challenge_ttl: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        rp_id = self.rp_id
        if not rp_id or rp_id != rp_id.lower() or any(c in rp_id for c in ":/ "):
            raise ValueError(f"rp_id must be a bare lower-case host name such as mpp.batam.go.id, not {rp_id!r}")
        try:
            ipaddress.ip_address(rp_id)
        except ValueError:
            pass
        else:
            raise ValueError(f"rp_id cannot be an IP address ({rp_id}); browsers refuse it. Use a host name, e.g. localhost")
        if not self.rp_name:
            raise ValueError("rp_name must not be empty")
        if not self.origins:
            raise ValueError("origins must list at least one origin, e.g. https://mpp.batam.go.id")
        for origin in self.origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https"):
                continue  # e.g. android:apk-key-hash:…, compared as given
            host = parts.hostname or ""
            if origin != f"{parts.scheme}://{parts.netloc}" or parts.netloc != parts.netloc.lower():
                raise ValueError(f"origin {origin!r} must be scheme://host[:port] in lower case, without path or trailing slash")
            if host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(f"origin {origin!r} is not on rp_id {rp_id!r} or one of its subdomains")
            if parts.scheme == "http" and host != "localhost" and not host.endswith(".localhost"):
                raise ValueError(f"origin {origin!r} must use https (http is only allowed for localhost)")
        if self.challenge_ttl <= timedelta(0):
            raise ValueError("challenge_ttl must be positive")


@dataclass(frozen=True)
class NewCredential:
    """A verified new passkey, ready to store; `user_id` is the user handle it was created for."""

    id_b64url: str
    public_key: bytes  # COSE_Key, as py_webauthn's verify_authentication_response takes it
    sign_count: int
    transports: tuple[str, ...]
    backed_up: bool
    user_id: bytes


@dataclass(frozen=True)
class StoredCredential:
    """What the caller's `lookup` returns for a credential id."""

    id: str  # base64url
    user_handle: bytes
    public_key: bytes
    sign_count: int
    locked: bool = False


@dataclass(frozen=True)
class AuthResult:
    """A verified sign-in: store `new_sign_count` on the credential; `user_handle` names the account."""

    credential_id: str
    user_handle: bytes
    new_sign_count: int


# --- registration (§7.1) ------------------------------------------------------------------------


def begin_registration(
    cfg: PasskeyConfig,
    session: MutableMapping[str, Any],
    *,
    user_id: bytes,
    user_name: str,
    display_name: str,
    exclude: Sequence[bytes] = (),
    now: datetime | None = None,
) -> dict:
    """Options for `navigator.credentials.create()` (the JSON form); the challenge goes into `session`.

    `exclude` lists the account's existing credential ids, so an authenticator that already
    holds one of them is not registered twice.
    """
    if not isinstance(user_id, bytes) or not 0 < len(user_id) <= MAX_USER_ID_BYTES:
        raise ValueError(f"user_id must be 1 to {MAX_USER_ID_BYTES} bytes")
    options = generate_registration_options(
        rp_id=cfg.rp_id,
        rp_name=cfg.rp_name,
        user_id=user_id,
        user_name=user_name,
        user_display_name=display_name,
        timeout=_timeout_ms(cfg),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=bytes(c)) for c in exclude],
        supported_pub_key_algs=list(ALGORITHMS),
    )
    _put_challenge(cfg, session, REGISTRATION, options.challenge, now, user_id=b64encode(user_id))
    return json.loads(options_to_json(options))  # plain JSON types: ints, not COSE enum members


def finish_registration(
    cfg: PasskeyConfig,
    session: MutableMapping[str, Any],
    credential: dict,
    now: datetime | None = None,
) -> NewCredential:
    """Verify the `PublicKeyCredential.toJSON()` of a `create()` call against the pending challenge.

    §7.1 step 26 (the credential id is not registered to anyone yet) is the caller's: the
    credential table's primary key.
    """
    pending = _take_challenge(session, REGISTRATION, now)
    raw_id, response = _credential_parts(credential)
    # §7.1 steps 5-10: clientDataJSON
    client_data = _client_data(response)
    _check_client_data(cfg, client_data, "webauthn.create", pending["challenge"])
    # §7.1 step 12: CBOR-decode the attestation object to get fmt, authData and attStmt
    try:
        attestation = parse_attestation_object(_b64_field(response, "attestationObject"))
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise PasskeyInvalid("attestationObject is malformed") from exc
    auth_data = attestation.auth_data
    # §7.1 steps 13-16: rpIdHash, UP, UV, BE/BS
    _check_authenticator_data(cfg, auth_data)
    attested = auth_data.attested_credential_data
    if not auth_data.flags.at or attested is None or not attested.credential_id:
        raise PasskeyInvalid("authenticator data carries no attested credential")
    # §7.1 step 25: credential ids longer than 1023 bytes are refused
    if len(attested.credential_id) > MAX_CREDENTIAL_ID_BYTES:
        raise PasskeyInvalid("credential id is longer than 1023 bytes")
    if not hmac.compare_digest(attested.credential_id, raw_id):
        raise PasskeyInvalid("rawId is not the credential id in the authenticator data")
    # §7.1 step 19 (alg is one we offered) and steps 21-24 (attestation statement; "none" is our
    # policy, self attestation is also acceptable) are py_webauthn's; it repeats the checks above.
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=b64decode(pending["challenge"]),
            expected_rp_id=cfg.rp_id,
            expected_origin=list(cfg.origins),
            require_user_presence=True,
            require_user_verification=True,
            supported_pub_key_algs=list(ALGORITHMS),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise _translate(exc) from exc
    return NewCredential(
        id_b64url=b64encode(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=_transports(response),
        backed_up=verified.credential_backed_up,
        user_id=b64decode(pending["user_id"]),
    )


# --- authentication (§7.2) ----------------------------------------------------------------------


def begin_authentication(cfg: PasskeyConfig, session: MutableMapping[str, Any], now: datetime | None = None) -> dict:
    """Options for `navigator.credentials.get()`: no allowCredentials (discoverable passkeys), UV required."""
    options = generate_authentication_options(
        rp_id=cfg.rp_id,
        timeout=_timeout_ms(cfg),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _put_challenge(cfg, session, AUTHENTICATION, options.challenge, now)
    result = json.loads(options_to_json(options))
    result.pop("allowCredentials", None)  # empty anyway; absent says "any discoverable passkey"
    return result


def finish_authentication(
    cfg: PasskeyConfig,
    session: MutableMapping[str, Any],
    credential: dict,
    lookup: Callable[[str], StoredCredential | None],
    now: datetime | None = None,
) -> AuthResult:
    """Verify the `toJSON()` of a `get()` call; `lookup` finds the stored credential by its id.

    On `SignCountRegression` the caller locks the credential. That exception is only raised for
    an assertion whose signature verified, so nobody can lock someone else's passkey by sending
    a forged response with a low counter.
    """
    pending = _take_challenge(session, AUTHENTICATION, now)
    raw_id, response = _credential_parts(credential)
    # §7.2 steps 7-13: clientDataJSON
    client_data = _client_data(response)
    _check_client_data(cfg, client_data, "webauthn.get", pending["challenge"])
    try:
        auth_data = parse_authenticator_data(_b64_field(response, "authenticatorData"))
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise PasskeyInvalid("authenticatorData is malformed") from exc
    # §7.2 steps 14-17: rpIdHash, UP, UV, BE/BS
    _check_authenticator_data(cfg, auth_data)

    # §7.2 step 6 (user not identified before the ceremony): the credential record named by
    # rawId must exist, and response.userHandle must be present and name its owner. Done after
    # the cheap checks above, so malformed or foreign responses never reach storage.
    stored = lookup(b64encode(raw_id))
    if stored is None:
        raise UnknownCredential()
    if stored.locked:
        raise CredentialLocked(credential_id=stored.id)
    user_handle = _optional_b64_field(response, "userHandle")
    if not user_handle or not hmac.compare_digest(user_handle, stored.user_handle):
        raise UserHandleMismatch()

    # §7.2 steps 20-21: signature over authData || SHA-256(cData), by py_webauthn. It is given a
    # current count of 0 so that it never judges the counter itself: py_webauthn checks the
    # counter before the signature, and step 22 below must only run on a verified signature.
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=b64decode(pending["challenge"]),
            expected_rp_id=cfg.rp_id,
            expected_origin=list(cfg.origins),
            credential_public_key=stored.public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise _translate(exc, credential_id=stored.id) from exc

    # §7.2 step 22: if either counter is non-zero, the new one must be greater (§6.1.1)
    new_count = verified.new_sign_count
    if (new_count or stored.sign_count) and new_count <= stored.sign_count:
        raise SignCountRegression(credential_id=stored.id)
    return AuthResult(credential_id=stored.id, user_handle=stored.user_handle, new_sign_count=new_count)


# --- the challenge in the session -----------------------------------------------------------------


def _put_challenge(
    cfg: PasskeyConfig,
    session: MutableMapping[str, Any],
    ceremony: str,
    challenge: bytes,
    now: datetime | None,
    **extra: str,
) -> None:
    expires = _utc(now) + cfg.challenge_ttl
    session[SESSION_KEY] = {"ceremony": ceremony, "challenge": b64encode(challenge), "expires": expires.isoformat(), **extra}


def _take_challenge(session: MutableMapping[str, Any], ceremony: str, now: datetime | None) -> Mapping[str, str]:
    """Pop the pending challenge (single use, whatever happens next) and check it is current."""
    entry = session.pop(SESSION_KEY, None)
    if not isinstance(entry, Mapping) or not isinstance(entry.get("challenge"), str):
        raise ChallengeMissing()
    if entry.get("ceremony") != ceremony:
        raise ChallengeWrongCeremony()
    if ceremony == REGISTRATION and not isinstance(entry.get("user_id"), str):
        raise ChallengeMissing()
    try:
        expires = _utc(datetime.fromisoformat(entry["expires"]))
    except (KeyError, TypeError, ValueError):
        raise ChallengeMissing() from None
    if _utc(now) >= expires:
        raise ChallengeExpired()
    return entry


# --- parsing and the checks that have their own exception -----------------------------------------


def _credential_parts(credential: Any) -> tuple[bytes, Mapping[str, Any]]:
    """rawId and response of a `toJSON()` dict; id and rawId must agree, type must be public-key."""
    if not isinstance(credential, Mapping):
        raise PasskeyInvalid("credential is not a JSON object")
    response = credential.get("response")
    if not isinstance(response, Mapping):
        raise PasskeyInvalid("credential has no response")
    if credential.get("type") != "public-key":
        raise PasskeyInvalid("credential type is not public-key")
    raw_id = _b64_field(credential, "rawId")
    if not raw_id or credential.get("id") != b64encode(raw_id):
        raise PasskeyInvalid("credential id and rawId differ")
    return raw_id, response


def _b64_field(obj: Mapping[str, Any], name: str) -> bytes:
    value = obj.get(name)
    try:
        return b64decode(value)
    except ValueError:
        raise PasskeyInvalid(f"{name} is missing or not base64url") from None


def _optional_b64_field(obj: Mapping[str, Any], name: str) -> bytes | None:
    return None if obj.get(name) in (None, "") else _b64_field(obj, name)


def _client_data(response: Mapping[str, Any]) -> dict[str, Any]:
    """§7.1 steps 5-6 / §7.2 steps 8-9: UTF-8 decode (a leading BOM stripped), then parse JSON."""
    raw = _b64_field(response, "clientDataJSON")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise PasskeyInvalid("clientDataJSON is not UTF-8 JSON") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("type", "challenge", "origin")):
        raise PasskeyInvalid("clientDataJSON lacks type, challenge or origin")
    return data


def _check_client_data(cfg: PasskeyConfig, data: Mapping[str, Any], expected_type: str, challenge: str) -> None:
    # §7.1 step 7 / §7.2 step 10: the ceremony type
    if data["type"] != expected_type:
        raise CeremonyTypeMismatch()
    # §7.1 step 8 / §7.2 step 11: the challenge this session issued. Any other challenge (say,
    # one issued to another session) was, as far as this session knows, never issued.
    if not hmac.compare_digest(data["challenge"].encode(), challenge.encode()):
        raise ChallengeMissing()
    # §7.1 step 9 / §7.2 step 12: an origin we serve, compared exactly
    if data["origin"] not in cfg.origins:
        raise OriginMismatch()
    # §7.1 step 10 / §7.2 step 13: in a cross-origin iframe, the top-level page must be ours too
    # (no one else may embed the sign-in). Browsers without topOrigin cannot show it is ours.
    if data.get("crossOrigin") is True or "topOrigin" in data:
        if data.get("topOrigin") not in cfg.origins:
            raise OriginMismatch()


def _check_authenticator_data(cfg: PasskeyConfig, auth_data: AuthenticatorData) -> None:
    # §7.1 step 13 / §7.2 step 14: rpIdHash is SHA-256 of our RP ID
    if not hmac.compare_digest(auth_data.rp_id_hash, hashlib.sha256(cfg.rp_id.encode("utf-8")).digest()):
        raise RpIdMismatch()
    # §7.1 step 14 / §7.2 step 15: user present
    if not auth_data.flags.up:
        raise UserPresenceMissing()
    # §7.1 step 15 / §7.2 step 16: user verified (we always require it)
    if not auth_data.flags.uv:
        raise UserVerificationMissing()
    # §7.1 step 16 / §7.2 step 17: a credential that is not backup eligible cannot be backed up
    if auth_data.flags.bs and not auth_data.flags.be:
        raise PasskeyInvalid("backup state set without backup eligibility")


def _transports(response: Mapping[str, Any]) -> tuple[str, ...]:
    """getTransports() as reported, unknown values included: a newer browser may know them."""
    value = response.get("transports")
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(t for t in value if isinstance(t, str) and 0 < len(t) <= 32))[:8]


# Fallback: py_webauthn's messages (3.0.1) for checks that normally fail earlier, here.
_MESSAGES: tuple[tuple[str, type[PasskeyError]], ...] = (
    ("Unexpected client data type", CeremonyTypeMismatch),
    ("Client data challenge was not expected challenge", ChallengeMissing),
    ("Unexpected client data origin", OriginMismatch),
    ("Unexpected RP ID hash", RpIdMismatch),
    ("User presence was required", UserPresenceMissing),
    ("User was not present", UserPresenceMissing),
    ("User verification is required", UserVerificationMissing),
    ("Could not verify authentication signature", SignatureInvalid),
    ("Response sign count of", SignCountRegression),
)


def _translate(exc: Exception, credential_id: str = "") -> PasskeyError:
    message = str(exc)
    for prefix, cls in _MESSAGES:
        if message.startswith(prefix):
            if cls is SignCountRegression:
                return SignCountRegression(credential_id=credential_id)
            return cls()
    return PasskeyInvalid("the response was refused by the WebAuthn verifier")


def _timeout_ms(cfg: PasskeyConfig) -> int:
    return int(cfg.challenge_ttl.total_seconds() * 1000)


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


__all__ = [
    "ALGORITHMS",
    "SESSION_KEY",
    "AuthResult",
    "CeremonyTypeMismatch",
    "ChallengeExpired",
    "ChallengeMissing",
    "ChallengeWrongCeremony",
    "CredentialLocked",
    "NewCredential",
    "OriginMismatch",
    "PasskeyConfig",
    "PasskeyError",
    "PasskeyInvalid",
    "RpIdMismatch",
    "SignCountRegression",
    "SignatureInvalid",
    "StoredCredential",
    "UnknownCredential",
    "UserHandleMismatch",
    "UserPresenceMissing",
    "UserVerificationMissing",
    "b64decode",
    "b64encode",
    "begin_authentication",
    "begin_registration",
    "finish_authentication",
    "finish_registration",
]
