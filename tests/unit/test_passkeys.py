"""Passkey ceremonies against a software authenticator: what is accepted, and each reason to refuse.

Every negative test breaks one property of an otherwise valid response and expects the one
exception that names it. The last tests pin py_webauthn's messages, which `_translate` maps
when a check is left to py_webauthn.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import decode_credential_public_key
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse

from identity import passkey_errors, passkeys
from identity.errors import IdentityError
from identity.passkeys import (
    SESSION_KEY,
    AuthResult,
    CeremonyTypeMismatch,
    ChallengeExpired,
    ChallengeMissing,
    ChallengeWrongCeremony,
    CredentialLocked,
    NewCredential,
    OriginMismatch,
    PasskeyConfig,
    PasskeyInvalid,
    RpIdMismatch,
    SignatureInvalid,
    SignCountRegression,
    StoredCredential,
    UnknownCredential,
    UserHandleMismatch,
    UserPresenceMissing,
    UserVerificationMissing,
    b64decode,
    b64encode,
    begin_authentication,
    begin_registration,
    finish_authentication,
    finish_registration,
)
from tests.support.softauthn import SoftAuthenticator

RP_ID = "mpp.example.go.id"
ORIGIN = "https://mpp.example.go.id"
CFG = PasskeyConfig(rp_id=RP_ID, rp_name="MPP Digital", origins=[ORIGIN])
USER = bytes.fromhex("8f14e45fceea167a5a36dedd4bea2543")  # an account id, as the server uses it
OTHER_USER = bytes.fromhex("c9f0f895fb98ab9159f51fd0297e236d")
DISPLAY_NAME = "BUDI SANTOSO"
T0 = datetime(2025, 11, 24, 8, 0, tzinfo=timezone.utc)


class Store:
    """The caller's credential table, as far as the ceremonies see it."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredCredential] = {}

    def add(self, new: NewCredential, *, sign_count: int | None = None, locked: bool = False) -> None:
        count = new.sign_count if sign_count is None else sign_count
        self.rows[new.id_b64url] = StoredCredential(id=new.id_b64url, user_handle=new.user_id, public_key=new.public_key,
                                                    sign_count=count, locked=locked)

    def lookup(self, credential_id: str) -> StoredCredential | None:
        return self.rows.get(credential_id)

    def record(self, result: AuthResult) -> None:
        row = self.rows[result.credential_id]
        self.rows[row.id] = StoredCredential(row.id, row.user_handle, row.public_key, result.new_sign_count, row.locked)


def registration_options(session: dict, user: bytes = USER, exclude: list[bytes] | None = None, now: datetime = T0) -> dict:
    return begin_registration(CFG, session, user_id=user, user_name="NIK …9901", display_name=DISPLAY_NAME,
                              exclude=exclude or [], now=now)


def register(authenticator: SoftAuthenticator, **knobs) -> NewCredential:
    session: dict = {}
    options = registration_options(session)
    return finish_registration(CFG, session, authenticator.create(options, **knobs), now=T0)


def sign_in(authenticator: SoftAuthenticator, store: Store, **knobs) -> AuthResult:
    session: dict = {}
    options = begin_authentication(CFG, session, now=T0)
    return finish_authentication(CFG, session, authenticator.get(options, **knobs), store.lookup, now=T0)


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN)


@pytest.fixture
def store(authenticator: SoftAuthenticator) -> Store:
    """A store holding one passkey of USER, made by `authenticator`."""
    store = Store()
    store.add(register(authenticator))
    return store


# --- what is accepted --------------------------------------------------------------------------------


def test_registration_options_ask_for_a_discoverable_verified_passkey_without_attestation():
    session: dict = {}
    options = registration_options(session, exclude=[b"\x01\x02\x03"])
    assert options["rp"] == {"id": RP_ID, "name": "MPP Digital"}
    assert options["user"] == {"id": b64encode(USER), "name": "NIK …9901", "displayName": DISPLAY_NAME}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257, -8]  # ES256, RS256, EdDSA
    assert options["excludeCredentials"] == [{"id": "AQID", "type": "public-key"}]
    assert options["timeout"] == 5 * 60 * 1000
    assert json.loads(json.dumps(options)) == options  # plain JSON, ready for parseCreationOptionsFromJSON
    assert session[SESSION_KEY]["challenge"] == options["challenge"]


def test_sign_in_options_name_no_credential_and_require_verification():
    session: dict = {}
    options = begin_authentication(CFG, session)
    assert "allowCredentials" not in options
    assert options["rpId"] == RP_ID and options["userVerification"] == "required"
    assert len(b64decode(options["challenge"])) >= 16
    assert json.loads(json.dumps(options)) == options


def test_registration_yields_the_passkey_its_public_key_and_the_account_it_was_made_for(authenticator):
    new = register(authenticator)
    (made,) = authenticator.credentials.values()
    assert new.id_b64url == b64encode(made.id)
    assert new.user_id == USER
    assert decode_credential_public_key(new.public_key).alg == -7
    assert new.sign_count == 0
    assert new.transports == ("internal", "hybrid")
    assert new.backed_up is True


def test_registration_reports_a_device_bound_passkey_as_not_backed_up(authenticator):
    assert register(authenticator, be=False, bs=False).backed_up is False


def test_signing_in_twice_raises_the_sign_count_each_time(authenticator, store):
    first = sign_in(authenticator, store)
    assert (first.credential_id, first.user_handle, first.new_sign_count) == (next(iter(store.rows)), USER, 1)
    store.record(first)
    second = sign_in(authenticator, store)
    assert second.new_sign_count == 2 and second.user_handle == USER


def test_authenticator_without_a_counter_signs_in_with_zero_every_time(authenticator, store):
    for _ in range(2):
        store.record(sign_in(authenticator, store, sign_count=0))
    assert next(iter(store.rows.values())).sign_count == 0


def test_pending_challenge_is_plain_json_in_the_session_and_gone_after_finishing(authenticator):
    session: dict = {}
    options = registration_options(session)
    entry = json.loads(json.dumps(session))[SESSION_KEY]
    assert entry == {"ceremony": "registration", "challenge": options["challenge"],
                     "expires": (T0 + timedelta(minutes=5)).isoformat(), "user_id": b64encode(USER)}
    finish_registration(CFG, session, authenticator.create(options), now=T0)
    assert SESSION_KEY not in session


def test_challenge_is_accepted_until_just_before_its_time_to_live_ends(authenticator, store):
    session: dict = {}
    options = begin_authentication(CFG, session, now=T0)
    finish_authentication(CFG, session, authenticator.get(options), store.lookup, now=T0 + timedelta(minutes=5, seconds=-1))


def test_another_origin_of_the_same_site_is_accepted_when_configured(authenticator):
    cfg = PasskeyConfig(rp_id=RP_ID, rp_name="MPP Digital", origins=[ORIGIN, "https://loket.mpp.example.go.id"])
    session: dict = {}
    options = begin_registration(cfg, session, user_id=USER, user_name="x", display_name="X", exclude=[])
    new = finish_registration(cfg, session, authenticator.create(options, origin="https://loket.mpp.example.go.id"))
    assert new.user_id == USER


def test_an_iframe_inside_our_own_page_is_accepted(authenticator, store):
    assert sign_in(authenticator, store, cross_origin=True, top_origin=ORIGIN).new_sign_count == 1


# --- the twelve-plus refusals, one property broken at a time ---------------------------------------


@pytest.mark.parametrize("origin", ["https://evil.example", "http://mpp.example.go.id", "https://mpp.example.go.id:8443",
                                    "https://loket.mpp.example.go.id"])
def test_registration_from_a_foreign_origin_is_refused(authenticator, origin):
    with pytest.raises(OriginMismatch):
        register(authenticator, origin=origin)


def test_sign_in_from_a_foreign_origin_is_refused(authenticator, store):
    with pytest.raises(OriginMismatch):
        sign_in(authenticator, store, origin="https://mpp-example.go.id")


@pytest.mark.parametrize("knobs", [{"cross_origin": True, "top_origin": "https://evil.example"},
                                   {"cross_origin": True},
                                   {"top_origin": "https://evil.example"}])
def test_sign_in_inside_a_foreign_page_is_refused(authenticator, store, knobs):
    with pytest.raises(OriginMismatch):
        sign_in(authenticator, store, **knobs)


@pytest.mark.parametrize("rp_id", ["evil.example", "example.go.id", "loket.mpp.example.go.id"])
def test_registration_for_another_rp_id_is_refused(authenticator, rp_id):
    with pytest.raises(RpIdMismatch):
        register(authenticator, rp_id=rp_id)


def test_sign_in_for_another_rp_id_is_refused(authenticator, store):
    with pytest.raises(RpIdMismatch):
        sign_in(authenticator, store, rp_id="evil.example")


def test_replayed_registration_is_refused(authenticator):
    session: dict = {}
    response = authenticator.create(registration_options(session))
    finish_registration(CFG, session, response, now=T0)
    with pytest.raises(ChallengeMissing):
        finish_registration(CFG, session, response, now=T0)


def test_replayed_sign_in_is_refused(authenticator, store):
    session: dict = {}
    response = authenticator.get(begin_authentication(CFG, session, now=T0))
    finish_authentication(CFG, session, response, store.lookup, now=T0)
    with pytest.raises(ChallengeMissing):
        finish_authentication(CFG, session, response, store.lookup, now=T0)


def test_a_refused_response_uses_up_the_challenge(authenticator, store):
    session: dict = {}
    options = begin_authentication(CFG, session, now=T0)
    with pytest.raises(UserVerificationMissing):
        finish_authentication(CFG, session, authenticator.get(options, uv=False), store.lookup, now=T0)
    with pytest.raises(ChallengeMissing):
        finish_authentication(CFG, session, authenticator.get(options), store.lookup, now=T0)


def test_expired_registration_challenge_is_refused(authenticator):
    session: dict = {}
    response = authenticator.create(registration_options(session, now=T0))
    with pytest.raises(ChallengeExpired):
        finish_registration(CFG, session, response, now=T0 + timedelta(minutes=5))


def test_expired_sign_in_challenge_is_refused(authenticator, store):
    session: dict = {}
    response = authenticator.get(begin_authentication(CFG, session, now=T0))
    with pytest.raises(ChallengeExpired):
        finish_authentication(CFG, session, response, store.lookup, now=T0 + timedelta(hours=1))


def test_challenge_ttl_comes_from_the_config(authenticator, store):
    cfg = PasskeyConfig(rp_id=RP_ID, rp_name="MPP Digital", origins=[ORIGIN], challenge_ttl=timedelta(seconds=30))
    session: dict = {}
    options = begin_authentication(cfg, session, now=T0)
    assert options["timeout"] == 30_000
    with pytest.raises(ChallengeExpired):
        finish_authentication(cfg, session, authenticator.get(options), store.lookup, now=T0 + timedelta(seconds=30))


def test_registration_without_user_verification_is_refused(authenticator):
    with pytest.raises(UserVerificationMissing):
        register(authenticator, uv=False)


def test_sign_in_without_user_verification_is_refused(authenticator, store):
    with pytest.raises(UserVerificationMissing):
        sign_in(authenticator, store, uv=False)


def test_registration_without_user_presence_is_refused(authenticator):
    with pytest.raises(UserPresenceMissing):
        register(authenticator, up=False)


def test_sign_in_without_user_presence_is_refused(authenticator, store):
    with pytest.raises(UserPresenceMissing):
        sign_in(authenticator, store, up=False)


@pytest.mark.parametrize("stored, sent", [(5, 5), (5, 3), (5, 0)])
def test_sign_count_that_does_not_increase_is_a_regression_naming_the_credential(authenticator, stored, sent):
    new = register(authenticator)
    store = Store()
    store.add(new, sign_count=stored)
    with pytest.raises(SignCountRegression) as caught:
        sign_in(authenticator, store, sign_count=sent)
    assert caught.value.credential_id == new.id_b64url
    assert caught.value.details == {"credential_id": new.id_b64url}


def test_forged_assertion_with_a_low_counter_cannot_get_a_passkey_locked(authenticator):
    store = Store()
    store.add(register(authenticator), sign_count=5)
    with pytest.raises(SignatureInvalid):
        sign_in(authenticator, store, sign_count=1, bad_signature=True)


def test_sign_in_with_an_unknown_credential_is_refused(authenticator, store):
    stranger = SoftAuthenticator(origin=ORIGIN)
    register(stranger)  # registered somewhere, but not in this store
    with pytest.raises(UnknownCredential):
        sign_in(stranger, store)


def test_sign_in_with_another_accounts_user_handle_is_refused(authenticator, store):
    with pytest.raises(UserHandleMismatch):
        sign_in(authenticator, store, user_handle=OTHER_USER)


def test_sign_in_without_a_user_handle_is_refused(authenticator, store):
    with pytest.raises(UserHandleMismatch):
        sign_in(authenticator, store, user_handle=None)


def test_sign_in_with_a_bad_signature_is_refused(authenticator, store):
    with pytest.raises(SignatureInvalid):
        sign_in(authenticator, store, bad_signature=True)


def test_sign_in_signed_by_another_key_is_refused(authenticator, store):
    register(authenticator)  # a second credential; sign with it while claiming the first
    first, second = authenticator.credentials.values()
    second.id, second.user_handle = first.id, first.user_handle
    with pytest.raises(SignatureInvalid):
        sign_in(authenticator, store, credential_id=None)


def test_sign_in_client_data_sent_to_finish_registration_is_refused(authenticator):
    with pytest.raises(CeremonyTypeMismatch):
        register(authenticator, type="webauthn.get")


def test_registration_client_data_sent_to_finish_authentication_is_refused(authenticator, store):
    with pytest.raises(CeremonyTypeMismatch):
        sign_in(authenticator, store, type="webauthn.create")


def test_registration_challenge_used_to_sign_in_is_refused(authenticator, store):
    session: dict = {}
    reg_options = registration_options(session)
    response = authenticator.get({"challenge": reg_options["challenge"], "rpId": RP_ID})
    with pytest.raises(ChallengeWrongCeremony):
        finish_authentication(CFG, session, response, store.lookup, now=T0)


def test_sign_in_challenge_used_to_register_is_refused(authenticator):
    session: dict = {}
    auth_options = begin_authentication(CFG, session, now=T0)
    options = {**registration_options({}), "challenge": auth_options["challenge"]}
    with pytest.raises(ChallengeWrongCeremony):
        finish_registration(CFG, session, authenticator.create(options), now=T0)


def test_challenge_from_another_session_is_not_found(authenticator, store):
    session_a: dict = {}
    session_b: dict = {}
    response = authenticator.get(begin_authentication(CFG, session_a, now=T0))
    with pytest.raises(ChallengeMissing):
        finish_authentication(CFG, session_b, response, store.lookup, now=T0)
    # the session that asked can still finish with it
    assert finish_authentication(CFG, session_a, response, store.lookup, now=T0).user_handle == USER


def test_challenge_from_another_session_does_not_match_this_sessions_own(authenticator, store):
    session_a: dict = {}
    session_b: dict = {}
    response = authenticator.get(begin_authentication(CFG, session_a, now=T0))
    begin_authentication(CFG, session_b, now=T0)
    with pytest.raises(ChallengeMissing):
        finish_authentication(CFG, session_b, response, store.lookup, now=T0)
    assert SESSION_KEY not in session_b


def test_registration_answering_another_challenge_is_refused(authenticator):
    with pytest.raises(ChallengeMissing):
        register(authenticator, challenge=b64encode(b"\x00" * 32))


def test_locked_credential_is_refused_even_with_a_valid_signature(authenticator):
    new = register(authenticator)
    store = Store()
    store.add(new, locked=True)
    with pytest.raises(CredentialLocked) as caught:
        sign_in(authenticator, store)
    assert caught.value.credential_id == new.id_b64url


def test_backed_up_but_not_backup_eligible_is_refused(authenticator, store):
    with pytest.raises(PasskeyInvalid):
        register(authenticator, be=False, bs=True)
    with pytest.raises(PasskeyInvalid):
        sign_in(authenticator, store, be=False, bs=True)


# --- malformed responses are refused as such, never with a crash -------------------------------------


def _set(path: str, value):
    def mutate(credential: dict) -> dict:
        target = credential
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        target[last] = value
        return credential
    return mutate


def _drop(path: str):
    def mutate(credential: dict) -> dict:
        *parents, last = path.split(".")
        target = credential
        for key in parents:
            target = target[key]
        del target[last]
        return credential
    return mutate


MALFORMED = {
    "not an object": lambda c: ["not", "a", "credential"],
    "no response": _drop("response"),
    "wrong type": _set("type", "password"),
    "id differs from rawId": _set("id", "AAAA"),
    "rawId not base64url": _set("rawId", "a+b/c="),
    "clientDataJSON missing": _drop("response.clientDataJSON"),
    "clientDataJSON not base64url": _set("response.clientDataJSON", "%%%"),
    "clientDataJSON not JSON": _set("response.clientDataJSON", b64encode(b"{type: webauthn")),
    "clientDataJSON without origin": _set("response.clientDataJSON",
                                          b64encode(b'{"type":"webauthn.get","challenge":"AA"}')),
}


@pytest.mark.parametrize("mutate", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_sign_in_response_is_refused_as_invalid(authenticator, store, mutate):
    session: dict = {}
    response = authenticator.get(begin_authentication(CFG, session, now=T0))
    with pytest.raises(PasskeyInvalid):
        finish_authentication(CFG, session, mutate(response), store.lookup, now=T0)


@pytest.mark.parametrize("mutate", [*MALFORMED.values(), _set("response.attestationObject", b64encode(b"\xff\x00")),
                                    _drop("response.attestationObject")],
                         ids=[*MALFORMED.keys(), "attestationObject not CBOR", "attestationObject missing"])
def test_malformed_registration_response_is_refused_as_invalid(authenticator, mutate):
    session: dict = {}
    response = authenticator.create(registration_options(session))
    with pytest.raises(PasskeyInvalid):
        finish_registration(CFG, session, mutate(response), now=T0)


def test_malformed_authenticator_data_is_refused_as_invalid(authenticator, store):
    session: dict = {}
    response = authenticator.get(begin_authentication(CFG, session, now=T0))
    response["response"]["authenticatorData"] = b64encode(b"\x00" * 36)
    with pytest.raises(PasskeyInvalid):
        finish_authentication(CFG, session, response, store.lookup, now=T0)


@pytest.mark.parametrize("knobs", [{"at": False}, {"raw_id": b"\x07" * 16}, {"credential_id": b"\x01" * 1024},
                                   {"fmt": "packed"}],
                         ids=["no attested credential", "rawId is not the attested id", "credential id over 1023 bytes",
                              "packed attestation without a statement"])
def test_registration_with_an_unusable_credential_is_refused_as_invalid(authenticator, knobs):
    with pytest.raises(PasskeyInvalid):
        register(authenticator, **knobs)


# --- the exceptions ---------------------------------------------------------------------------------


ALL_ERRORS = [getattr(passkey_errors, name) for name in passkey_errors.__all__]


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_passkey_error_is_an_identity_error_exported_by_passkeys(cls):
    assert issubclass(cls, IdentityError)
    assert getattr(passkeys, cls.__name__) is cls


def test_refusals_carry_no_personal_data(authenticator, store):
    caught: list[Exception] = []
    for knobs in ({"uv": False}, {"user_handle": OTHER_USER}, {"origin": "https://evil.example"}, {"bad_signature": True}):
        with pytest.raises(IdentityError) as info:
            sign_in(authenticator, store, **knobs)
        caught.append(info.value)
    with pytest.raises(IdentityError) as info:
        register(authenticator, rp_id="evil.example")
    caught.append(info.value)
    for exc in caught:
        shown = str(exc) + repr(exc.details)
        for secret in (DISPLAY_NAME, "9901", b64encode(USER), USER.hex(), b64encode(OTHER_USER), "evil.example"):
            assert secret not in shown, (type(exc).__name__, secret)
        assert set(exc.details) <= {"credential_id"}


# --- py_webauthn's own messages map to the same exceptions -----------------------------------------


REGISTRATION_BREAKS = {
    "origin": ({"origin": "https://evil.example"}, OriginMismatch),
    "rp_id": ({"rp_id": "evil.example"}, RpIdMismatch),
    "type": ({"type": "webauthn.get"}, CeremonyTypeMismatch),
    "challenge": ({"challenge": b64encode(b"\x00" * 32)}, ChallengeMissing),
    "up": ({"up": False}, UserPresenceMissing),
    "uv": ({"uv": False}, UserVerificationMissing),
}


@pytest.mark.parametrize("knobs, expected", REGISTRATION_BREAKS.values(), ids=REGISTRATION_BREAKS.keys())
def test_py_webauthn_registration_messages_map_to_our_exceptions(authenticator, knobs, expected):
    session: dict = {}
    options = registration_options(session)
    response = authenticator.create(options, **knobs)
    with pytest.raises(InvalidRegistrationResponse) as refused:
        verify_registration_response(credential=response, expected_challenge=b64decode(options["challenge"]),
                                     expected_rp_id=RP_ID, expected_origin=[ORIGIN], require_user_verification=True)
    assert type(passkeys._translate(refused.value)) is expected
    with pytest.raises(expected):
        finish_registration(CFG, session, response, now=T0)


AUTHENTICATION_BREAKS = {
    "origin": ({"origin": "https://evil.example"}, OriginMismatch),
    "rp_id": ({"rp_id": "evil.example"}, RpIdMismatch),
    "type": ({"type": "webauthn.create"}, CeremonyTypeMismatch),
    "challenge": ({"challenge": b64encode(b"\x00" * 32)}, ChallengeMissing),
    "up": ({"up": False}, UserPresenceMissing),
    "uv": ({"uv": False}, UserVerificationMissing),
    "signature": ({"bad_signature": True}, SignatureInvalid),
    "sign count": ({"sign_count": 0}, SignCountRegression),
}


@pytest.mark.parametrize("knobs, expected", AUTHENTICATION_BREAKS.values(), ids=AUTHENTICATION_BREAKS.keys())
def test_py_webauthn_authentication_messages_map_to_our_exceptions(authenticator, knobs, expected):
    new = register(authenticator)
    store = Store()
    store.add(new, sign_count=7)
    session: dict = {}
    options = begin_authentication(CFG, session, now=T0)
    response = authenticator.get(options, **{"sign_count": 8, **knobs})
    with pytest.raises(InvalidAuthenticationResponse) as refused:
        verify_authentication_response(credential=response, expected_challenge=b64decode(options["challenge"]),
                                       expected_rp_id=RP_ID, expected_origin=[ORIGIN], credential_public_key=new.public_key,
                                       credential_current_sign_count=7, require_user_verification=True)
    assert type(passkeys._translate(refused.value, credential_id=new.id_b64url)) is expected
    with pytest.raises(expected):
        finish_authentication(CFG, session, response, store.lookup, now=T0)


# --- configuration ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rp_id, origins", [
    ("127.0.0.1", ["http://127.0.0.1:8000"]),
    ("mpp.example.go.id", ["https://mpp.example.go.id/"]),
    ("mpp.example.go.id", ["https://mpp.other.go.id"]),
    ("mpp.example.go.id", ["http://mpp.example.go.id"]),
    ("https://mpp.example.go.id", ["https://mpp.example.go.id"]),
    ("mpp.example.go.id", []),
], ids=["ip address", "trailing slash", "origin off the rp id", "http off localhost", "rp id with scheme", "no origin"])
def test_config_that_browsers_would_refuse_is_rejected_at_startup(rp_id, origins):
    with pytest.raises(ValueError):
        PasskeyConfig(rp_id=rp_id, rp_name="MPP Digital", origins=origins)


def test_localhost_over_http_is_a_valid_development_config():
    cfg = PasskeyConfig(rp_id="localhost", rp_name="MPP Digital", origins=["http://localhost:8000"])
    assert cfg.challenge_ttl == timedelta(minutes=5)
