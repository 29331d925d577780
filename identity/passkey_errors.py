"""Why a passkey ceremony was refused: one exception per reason, so the server can say what to do.

Every class derives from `PasskeyError` (an `IdentityError`), so `server.errors` can map the
family to a 400 and a few members to something more precise. None of them carries personal
data: no names, no user handles, no client data. Only `SignCountRegression` and
`CredentialLocked` carry the credential id, because the caller needs it to lock or report the
credential.
"""

from __future__ import annotations

from identity.errors import IdentityError


class PasskeyError(IdentityError):
    """Base of every refusal of a passkey registration or sign-in."""


class ChallengeMissing(PasskeyError):
    """This session holds no pending challenge that the response answers: never issued here,
    already used (a challenge is single use), or issued to another session. Start again."""


class ChallengeExpired(PasskeyError):
    """The pending challenge is older than its time to live. Start again."""


class ChallengeWrongCeremony(PasskeyError):
    """The pending challenge was issued for the other ceremony (registration vs. sign-in)."""


class CeremonyTypeMismatch(PasskeyError):
    """clientDataJSON.type is not the one this ceremony expects (`webauthn.create` / `webauthn.get`)."""


class OriginMismatch(PasskeyError):
    """The browser reports an origin (or top origin) this service does not run on."""


class RpIdMismatch(PasskeyError):
    """The authenticator signed for another relying party (rpIdHash differs)."""


class UserPresenceMissing(PasskeyError):
    """The authenticator did not report a user gesture (UP flag clear)."""


class UserVerificationMissing(PasskeyError):
    """The authenticator did not verify the person (UV flag clear: no PIN, fingerprint or face)."""


class UnknownCredential(PasskeyError):
    """No stored passkey has this credential id (removed, or registered elsewhere)."""


class UserHandleMismatch(PasskeyError):
    """The user handle returned by the authenticator is absent or is not the passkey's owner."""


class SignatureInvalid(PasskeyError):
    """The assertion signature does not verify with the stored public key."""


class _CredentialError(PasskeyError):
    def __init__(self, *, credential_id: str) -> None:
        super().__init__("", credential_id=credential_id)
        self.credential_id = credential_id


class SignCountRegression(_CredentialError):
    """A correctly signed assertion whose signature counter did not increase: the authenticator
    may have been cloned. The caller locks the credential (WebAuthn L3 §6.1.1)."""


class CredentialLocked(_CredentialError):
    """The passkey was locked (e.g. after a sign-count regression) and cannot sign in."""


class PasskeyInvalid(PasskeyError):
    """Anything else wrong with the response: malformed JSON, base64url, CBOR or authenticator
    data, an unsupported algorithm, inconsistent backup flags, a bad attestation statement."""


__all__ = [
    "CeremonyTypeMismatch",
    "ChallengeExpired",
    "ChallengeMissing",
    "ChallengeWrongCeremony",
    "CredentialLocked",
    "OriginMismatch",
    "PasskeyError",
    "PasskeyInvalid",
    "RpIdMismatch",
    "SignCountRegression",
    "SignatureInvalid",
    "UnknownCredential",
    "UserHandleMismatch",
    "UserPresenceMissing",
    "UserVerificationMissing",
]
