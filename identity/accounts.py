"""Accounts: enrolment against the population registry, passkeys, devices, one-time codes,
in-person verification and staff roles.

The rules in one place (the server only maps HTTP to these calls):
- A citizen enrols with NIK + full name + birth date + birth place; the registry answers
  match/no_match per field, and "no such NIK" looks exactly like "data does not match".
- Enrolment ends with a passkey (resident key, user verification); no passwords anywhere.
- Enrolment and recovery codes are argon2id-hashed, single use; enrolment codes last 24 h.
- An officer who checked the KTP in person raises the account to `verified` (audited).
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import passkeys
from identity.crypto import PiiCipher
from identity.errors import IdentityError
from identity.models import Account, AssuranceEvent, Credential, Device, OneTimeCode, RoleGrant, Throttle, utcnow
from identity.nik import validate_nik
from identity.phone import PhoneInvalid, normalize_phone
from identity.passkey_errors import SignCountRegression
from identity.registry import PopulationRegistry
from sync.applicants import enqueue_for_new_account

ROLES = ("citizen", "field_officer", "agency_operator", "region_admin", "national_monitor")
STAFF_ROLES = ROLES[1:]
ENROLL_CODE_TTL = timedelta(hours=24)
RECOVERY_CODES = 10
RECENT_AUTH = timedelta(minutes=10)
PENDING_TTL = timedelta(minutes=10)

# (attempts, window) per IP and per NIK for registry checks
LIMIT_PER_IP = (20, timedelta(minutes=15))
LIMIT_PER_NIK = (5, timedelta(minutes=15))

_hasher = PasswordHasher()  # argon2id, m=64 MiB, t=3, p=4


# --- errors ------------------------------------------------------------------------------------


class NikInvalid(IdentityError):
    """The NIK breaks a structural rule; details carry the rule's code and message."""


class IdentityNotMatched(IdentityError):
    """The registry did not confirm the data — also what an unknown NIK gives (no enumeration)."""


class PhoneNumberInvalid(IdentityError):
    """The optional phone number is not an Indonesian mobile number."""


class AlreadyEnrolled(IdentityError):
    """The NIK (with matching data) already has an account: sign in or recover instead."""


class TooManyAttempts(IdentityError):
    """A rate limit was hit; details carry `minutes` until the next try."""


class EnrollmentExpired(IdentityError):
    """No pending enrolment in this session (or it timed out): start again."""


class CodeInvalid(IdentityError):
    """An enrolment or recovery code is unknown, used, or expired."""


class NotSignedIn(IdentityError):
    pass


class SessionRevoked(IdentityError):
    """The device was signed out elsewhere (or revoked); sign in again — local data stays."""


class ReauthRequired(IdentityError):
    """Adding or removing a passkey or revoking a device needs a sign-in in the last minutes."""


class LastPasskey(IdentityError):
    """The only passkey cannot be removed."""


class AccountNotFound(IdentityError):
    pass


class RoleInvalid(IdentityError):
    pass


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    role: str
    region_code: str | None
    agency_id: int | None


@dataclass(frozen=True)
class Identity:
    """Who is calling: the account, its roles and the device (session) it signed in on."""

    account_id: str
    kind: str
    display_name: str
    assurance: str
    device_id: str
    auth_at: datetime
    grants: tuple[Grant, ...] = ()

    @property
    def roles(self) -> set[str]:
        return {"citizen"} if self.kind == "citizen" else {g.role for g in self.grants}

    def has_role(self, role: str, region_code: str | None = None, agency_id: int | None = None) -> bool:
        if role == "citizen":
            return self.kind == "citizen"
        for g in self.grants:
            if g.role != role:
                continue
            if region_code is not None and g.region_code not in (None, region_code):
                continue
            if agency_id is not None and g.agency_id not in (None, agency_id):
                continue
            return True
        return False

    def recently_authenticated(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.auth_at <= RECENT_AUTH


@dataclass
class Enrolled:
    account: Account
    device: Device
    recovery_codes: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


def new_id() -> str:
    return secrets.token_hex(16)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


async def spend_attempt(session: AsyncSession, key: str, limit: tuple[int, timedelta], now: datetime) -> int | None:
    """Count one attempt under `key` (a rate limit of `limit` = (attempts, window)) in the caller's
    transaction; the minutes to wait instead when the limit is already reached."""
    attempts, window = limit
    row = await session.get(Throttle, key)
    if row is None or now - _aware(row.window_start) >= window:
        row = row or Throttle(key=key)
        row.window_start, row.count = now, 0
    if row.count >= attempts:
        return max(1, int((_aware(row.window_start) + window - now).total_seconds() // 60) + 1)
    row.count += 1
    session.add(row)
    return None


def _new_code() -> tuple[str, str, str]:
    """(public id, secret, printable code). The code is what a person types: 4-4-4 groups."""
    public = secrets.token_hex(4)
    secret = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    return public, secret, f"{public[:4]}-{public[4:]}-{secret[:4]}-{secret[4:]}".upper()


def _split_code(code: str) -> tuple[str, str] | None:
    raw = code.replace("-", "").replace(" ", "").strip()
    if len(raw) != 16:
        return None
    return raw[:8].lower(), raw[8:].upper()


def device_name(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next((b for b in ("Edg", "SamsungBrowser", "Firefox", "Chrome", "Safari") if b in ua), "Peramban")
    system = next((s for s in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux") if s in ua), "perangkat")
    return f"{ {'Edg': 'Edge', 'SamsungBrowser': 'Samsung Internet'}.get(browser, browser)} di {system}".strip()


# --- who is calling ---------------------------------------------------------------------------


async def load_identity(session: AsyncSession, account_id: str, device_id: str, auth_at: datetime,
                        now: datetime | None = None) -> Identity:
    """The caller's identity for a session; a revoked device or a disabled account ends it."""
    now = now or utcnow()
    device = await session.get(Device, device_id)
    account = await session.get(Account, account_id)
    if device is None or device.revoked_at is not None or device.account_id != account_id or account is None or account.disabled_at:
        raise SessionRevoked()
    if now - _aware(device.last_seen_at) > timedelta(minutes=5):
        device.last_seen_at = now
        session.add(device)
        await session.commit()
    grants = (await session.exec(select(RoleGrant).where(RoleGrant.account_id == account_id))).all()
    return Identity(account_id=account.id, kind=account.kind, display_name=account.display_name, assurance=account.assurance,
                    device_id=device.id, auth_at=_aware(auth_at), grants=tuple(Grant(g.role, g.region_code, g.agency_id) for g in grants))


# --- the service ------------------------------------------------------------------------------


class AccountService:
    def __init__(self, session: AsyncSession, cipher: PiiCipher, registry: PopulationRegistry, passkey_config: passkeys.PasskeyConfig):
        self.session = session
        self.cipher = cipher
        self.registry = registry
        self.pk = passkey_config

    # rate limits -------------------------------------------------------------------------

    async def _throttle(self, kind: str, value: str, limit: tuple[int, timedelta], now: datetime) -> None:
        key = f"{kind}:{self.cipher.lookup_hash('throttle_' + kind, value)[:48]}"
        minutes = await spend_attempt(self.session, key, limit, now)
        if minutes:
            raise TooManyAttempts(minutes=minutes)
        await self.session.commit()

    # citizen enrolment -------------------------------------------------------------------

    async def start_enrollment(self, web_session: MutableMapping[str, Any], *, nik: str, full_name: str, birth_date: date,
                               birth_place: str, client_ip: str, phone: str | None = None, now: datetime | None = None) -> dict:
        """Check the person against the registry; on a match, return passkey creation options.

        The phone number is optional (for SMS when an application changes); kept only encrypted.
        """
        now = now or utcnow()
        phone_e164 = None
        if phone and phone.strip():
            try:
                phone_e164 = normalize_phone(phone)
            except PhoneInvalid:
                raise PhoneNumberInvalid() from None
        await self._throttle("ip", client_ip, LIMIT_PER_IP, now)
        result = validate_nik(nik, claimed_birth_date=birth_date)
        if result.errors:
            first = result.errors[0]
            raise NikInvalid(rule=first.code, reason=first.message)
        nik = result.nik
        await self._throttle("nik", nik, LIMIT_PER_NIK, now)
        answer = await self.registry.verify(nik, {"full_name": full_name, "birth_date": birth_date.isoformat(), "birth_place": birth_place})
        if not answer or any(v != "match" for v in answer.values()):
            raise IdentityNotMatched()
        if await self._account_by_nik(nik) is not None:
            raise AlreadyEnrolled()
        account_id = new_id()
        web_session["enroll"] = {"kind": "citizen", "account_id": account_id, "nik": self.cipher.encrypt(nik),
                                 "name": " ".join(full_name.split()).upper(), "birth_date": birth_date.isoformat(),
                                 "phone": self.cipher.encrypt(phone_e164) if phone_e164 else None,
                                 "expires": (now + PENDING_TTL).isoformat()}
        return passkeys.begin_registration(self.pk, web_session, user_id=bytes.fromhex(account_id),
                                           user_name=f"NIK …{nik[-4:]}", display_name=web_session["enroll"]["name"], exclude=[])

    async def start_enrollment_with_code(self, web_session: MutableMapping[str, Any], code: str, now: datetime | None = None) -> dict:
        """Assisted enrolment, staff enrolment and recovery: a one-time code opens passkey creation."""
        now = now or utcnow()
        row = await self._valid_code(code, now)
        account = await self.session.get(Account, row.account_id)
        existing = (await self.session.exec(select(Credential.id).where(Credential.account_id == account.id))).all()
        web_session["enroll"] = {"kind": "code", "account_id": account.id, "code_id": row.id, "expires": (now + PENDING_TTL).isoformat()}
        return passkeys.begin_registration(self.pk, web_session, user_id=bytes.fromhex(account.id), user_name=account.display_name,
                                           display_name=account.display_name, exclude=[passkeys.b64decode(c) for c in existing])

    async def finish_enrollment(self, web_session: MutableMapping[str, Any], credential: dict, user_agent: str,
                                now: datetime | None = None) -> Enrolled:
        now = now or utcnow()
        pending = web_session.pop("enroll", None)
        if not pending or datetime.fromisoformat(pending["expires"]) < now:
            web_session.pop(passkeys.SESSION_KEY, None)
            raise EnrollmentExpired()
        new = passkeys.finish_registration(self.pk, web_session, credential, now=now)
        codes: list[str] = []
        if pending["kind"] == "citizen":
            nik = self.cipher.decrypt(pending["nik"])
            if await self._account_by_nik(nik) is not None:
                raise AlreadyEnrolled()
            account = Account(id=pending["account_id"], kind="citizen", display_name=pending["name"],
                              nik_hash=self.cipher.lookup_hash("nik", nik), nik_cipher=pending["nik"],
                              phone_cipher=pending.get("phone"), birth_date=date.fromisoformat(pending["birth_date"]),
                              assurance="basic")
            self.session.add(account)
            await self.session.flush()
            codes = await self._issue_recovery_codes(account.id)
            await enqueue_for_new_account(self.session, account.id, account.nik_hash)  # filed for them by an officer before
        else:
            account = await self.session.get(Account, pending["account_id"])
            row = await self.session.get(OneTimeCode, pending["code_id"])
            if account is None or row is None or row.used_at is not None:
                raise CodeInvalid()
            row.used_at = now
            self.session.add(row)
            if row.purpose == "enroll" and account.kind == "citizen":
                codes = await self._issue_recovery_codes(account.id)
        self.session.add(Credential(id=new.id_b64url, account_id=account.id, public_key=new.public_key, sign_count=new.sign_count,
                                    transports=list(new.transports or []), backed_up=bool(new.backed_up),
                                    name=device_name(user_agent)))
        device = Device(id=new_id(), account_id=account.id, name=device_name(user_agent))
        self.session.add(device)
        await self.session.commit()
        return Enrolled(account=account, device=device, recovery_codes=codes)

    # sign-in -----------------------------------------------------------------------------

    def start_sign_in(self, web_session: MutableMapping[str, Any]) -> dict:
        return passkeys.begin_authentication(self.pk, web_session)

    async def finish_sign_in(self, web_session: MutableMapping[str, Any], credential: dict, user_agent: str,
                             current: Identity | None = None, now: datetime | None = None) -> tuple[Account, Device]:
        """Verify the passkey; a new device session, or — when already signed in — a fresh auth time."""
        now = now or utcnow()
        stored: dict[str, Credential] = {}

        def lookup(credential_id: str) -> passkeys.StoredCredential | None:
            row = stored.get(credential_id)
            if row is None:
                return None
            return passkeys.StoredCredential(id=row.id, user_handle=bytes.fromhex(row.account_id), public_key=row.public_key,
                                             sign_count=row.sign_count, locked=row.locked_at is not None)

        raw_id = str(credential.get("id") or credential.get("rawId") or "")
        row = await self.session.get(Credential, raw_id) if raw_id else None
        if row is not None:
            stored[row.id] = row
        try:
            result = passkeys.finish_authentication(self.pk, web_session, credential, lookup, now=now)
        except SignCountRegression:
            row.locked_at = now
            self.session.add(row)
            await self.session.commit()
            raise
        account = await self.session.get(Account, row.account_id)
        if account is None or account.disabled_at is not None:
            raise AccountNotFound()
        row.sign_count, row.last_used_at = result.new_sign_count, now
        self.session.add(row)
        if current is not None and current.account_id == account.id:
            device = await self.session.get(Device, current.device_id)
        else:
            device = Device(id=new_id(), account_id=account.id, name=device_name(user_agent))
        device.last_seen_at = now
        self.session.add(device)
        await self.session.commit()
        return account, device

    async def sign_out(self, who: Identity) -> None:
        device = await self.session.get(Device, who.device_id)
        if device is not None and device.revoked_at is None:
            device.revoked_at = utcnow()
            self.session.add(device)
            await self.session.commit()

    async def own_details(self, who: Identity) -> dict[str, str | None]:
        """A citizen's own NIK and phone, for their own signed-in device only: the app fills the
        applicant's fields of their forms from it instead of asking again. Staff get nothing."""
        account = await self.session.get(Account, who.account_id) if who.kind == "citizen" else None
        if account is None:
            return {}
        return {"nik": self.cipher.decrypt(account.nik_cipher) if account.nik_cipher else None,
                "phone": self.cipher.decrypt(account.phone_cipher) if account.phone_cipher else None}

    # devices and passkeys ----------------------------------------------------------------

    async def devices(self, who: Identity) -> list[Device]:
        stmt = select(Device).where(Device.account_id == who.account_id, col(Device.revoked_at).is_(None)).order_by(col(Device.last_seen_at).desc())
        return list((await self.session.exec(stmt)).all())

    async def revoke_device(self, who: Identity, device_id: str) -> None:
        if not who.recently_authenticated():
            raise ReauthRequired()
        device = await self.session.get(Device, device_id)
        if device is None or device.account_id != who.account_id:
            raise AccountNotFound()
        device.revoked_at = device.revoked_at or utcnow()
        self.session.add(device)
        await self.session.commit()

    async def passkeys_of(self, who: Identity) -> list[Credential]:
        return list((await self.session.exec(select(Credential).where(Credential.account_id == who.account_id)
                                             .order_by(Credential.created_at))).all())

    async def start_add_passkey(self, who: Identity, web_session: MutableMapping[str, Any]) -> dict:
        if not who.recently_authenticated():
            raise ReauthRequired()
        existing = [c.id for c in await self.passkeys_of(who)]
        web_session["add_passkey"] = who.account_id
        return passkeys.begin_registration(self.pk, web_session, user_id=bytes.fromhex(who.account_id), user_name=who.display_name,
                                           display_name=who.display_name, exclude=[passkeys.b64decode(c) for c in existing])

    async def finish_add_passkey(self, who: Identity, web_session: MutableMapping[str, Any], credential: dict, user_agent: str) -> Credential:
        if web_session.pop("add_passkey", None) != who.account_id:
            raise EnrollmentExpired()
        new = passkeys.finish_registration(self.pk, web_session, credential)
        row = Credential(id=new.id_b64url, account_id=who.account_id, public_key=new.public_key, sign_count=new.sign_count,
                         transports=list(new.transports or []), backed_up=bool(new.backed_up), name=device_name(user_agent))
        self.session.add(row)
        await self.session.commit()
        return row

    async def remove_passkey(self, who: Identity, credential_id: str) -> None:
        if not who.recently_authenticated():
            raise ReauthRequired()
        mine = await self.passkeys_of(who)
        target = next((c for c in mine if c.id == credential_id), None)
        if target is None:
            raise AccountNotFound()
        if len([c for c in mine if c.locked_at is None]) <= 1 and target.locked_at is None:
            raise LastPasskey()
        await self.session.delete(target)
        await self.session.commit()

    # one-time codes ----------------------------------------------------------------------

    async def _issue_code(self, account_id: str, purpose: str, created_by: str | None, ttl: timedelta | None) -> str:
        public, secret, printable = _new_code()
        self.session.add(OneTimeCode(id=public, account_id=account_id, purpose=purpose, code_hash=_hasher.hash(secret),
                                     created_by=created_by, expires_at=(utcnow() + ttl) if ttl else None))
        return printable

    async def _issue_recovery_codes(self, account_id: str) -> list[str]:
        old = (await self.session.exec(select(OneTimeCode).where(OneTimeCode.account_id == account_id,
                                                                   OneTimeCode.purpose == "recovery",
                                                                   col(OneTimeCode.used_at).is_(None)))).all()
        for row in old:
            row.used_at = utcnow()
            self.session.add(row)
        return [await self._issue_code(account_id, "recovery", account_id, None) for _ in range(RECOVERY_CODES)]

    async def new_recovery_codes(self, who: Identity) -> list[str]:
        if not who.recently_authenticated():
            raise ReauthRequired()
        codes = await self._issue_recovery_codes(who.account_id)
        await self.session.commit()
        return codes

    async def _valid_code(self, code: str, now: datetime) -> OneTimeCode:
        parts = _split_code(code)
        row = await self.session.get(OneTimeCode, parts[0]) if parts else None
        if row is None or row.used_at is not None or (row.expires_at and _aware(row.expires_at) < now):
            raise CodeInvalid()
        try:
            _hasher.verify(row.code_hash, parts[1])
        except (VerifyMismatchError, VerificationError):
            raise CodeInvalid() from None
        return row

    # in-person verification and assisted enrolment ---------------------------------------

    async def verify_in_person(self, officer: Identity, *, nik: str, place: str, region_code: str | None, note: str = "",
                               method: str = "ktp_in_person") -> Account:
        """An officer saw the KTP: the account becomes `verified` (recorded: who, where, when, how)."""
        account = await self._account_by_nik(nik)
        if account is None:
            raise AccountNotFound()
        account.assurance = "verified"
        self.session.add(account)
        self.session.add(AssuranceEvent(account_id=account.id, officer_id=officer.account_id, method=method, place=place,
                                        region_code=region_code, note=note))
        await self.session.commit()
        return account

    async def assisted_enrollment(self, officer: Identity, *, nik: str, full_name: str, birth_date: date, birth_place: str,
                                  place: str, region_code: str | None) -> tuple[Account, str]:
        """After checking the KTP in person: a verified account and a 24-hour code to add a passkey.

        For an existing account this is in-person re-verification (recovery): a new code.
        """
        result = validate_nik(nik, claimed_birth_date=birth_date)
        if result.errors:
            raise NikInvalid(rule=result.errors[0].code, reason=result.errors[0].message)
        nik = result.nik
        answer = await self.registry.verify(nik, {"full_name": full_name, "birth_date": birth_date.isoformat(), "birth_place": birth_place})
        if any(v != "match" for v in answer.values()):
            raise IdentityNotMatched()
        account = await self._account_by_nik(nik)
        created = account is None
        if account is None:
            account = Account(id=new_id(), kind="citizen", display_name=" ".join(full_name.split()).upper(),
                              nik_hash=self.cipher.lookup_hash("nik", nik), nik_cipher=self.cipher.encrypt(nik), birth_date=birth_date)
        account.assurance = "verified"
        self.session.add(account)
        await self.session.flush()
        if created:
            await enqueue_for_new_account(self.session, account.id, account.nik_hash)  # filed for them by an officer before
        self.session.add(AssuranceEvent(account_id=account.id, officer_id=officer.account_id, method="ktp_in_person", place=place,
                                        region_code=region_code, note="pendaftaran dibantu petugas"))
        code = await self._issue_code(account.id, "enroll", officer.account_id, ENROLL_CODE_TTL)
        await self.session.commit()
        return account, code

    # staff -------------------------------------------------------------------------------

    async def create_staff(self, by: Identity | None, *, display_name: str, role: str, region_code: str | None,
                           agency_id: int | None) -> tuple[Account, str]:
        """A staff account with one role and a 24-hour enrolment code (by=None: the first admin, from the CLI)."""
        if role not in STAFF_ROLES:
            raise RoleInvalid(role=role)
        if role in ("field_officer", "agency_operator", "region_admin") and not region_code:
            raise RoleInvalid(role=role)
        if role == "agency_operator" and agency_id is None:
            raise RoleInvalid(role=role)
        account = Account(id=new_id(), kind="staff", display_name=" ".join(display_name.split()), assurance="verified")
        self.session.add(account)
        await self.session.flush()
        self.session.add(RoleGrant(account_id=account.id, role=role, region_code=region_code, agency_id=agency_id,
                                   granted_by=by.account_id if by else None))
        code = await self._issue_code(account.id, "enroll", by.account_id if by else None, ENROLL_CODE_TTL)
        await self.session.commit()
        return account, code

    async def _account_by_nik(self, nik: str) -> Account | None:
        return (await self.session.exec(select(Account).where(Account.nik_hash == self.cipher.lookup_hash("nik", nik)))).first()
