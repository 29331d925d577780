"""Identity tables: accounts bound to a NIK, their passkeys, devices, roles and one-time codes.

One account serves every agency. A citizen account is bound to a NIK (stored encrypted, found
by a keyed hash); staff accounts carry role grants scoped to a region and/or an agency.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Account(SQLModel, table=True):
    """A person: a citizen (bound to a NIK) or a staff member (bound to an enrollment)."""

    id: str = Field(primary_key=True, max_length=32)  # 16 random bytes, hex; also names userdb-<id>
    kind: str = Field(max_length=10, index=True)  # "citizen" | "staff"
    display_name: str = Field(max_length=200)
    nik_hash: str | None = Field(default=None, max_length=64, unique=True)  # keyed hash for look-up
    nik_cipher: str | None = Field(default=None, max_length=200)  # AES-GCM, see identity.crypto
    phone_cipher: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    assurance: str = Field(default="basic", max_length=10)  # "basic" | "verified"
    created_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None


class RoleGrant(SQLModel, table=True):
    """What a staff member may do, and where: role within a region and, for operators, an agency."""

    __table_args__ = (UniqueConstraint("account_id", "role", "region_code", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    role: str = Field(max_length=30)  # field_officer | agency_operator | region_admin | national_monitor
    region_code: str | None = Field(default=None, foreign_key="region.code", max_length=5)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    granted_by: str | None = Field(default=None, max_length=32)
    granted_at: datetime = Field(default_factory=utcnow)


class Credential(SQLModel, table=True):
    """One passkey (WebAuthn public-key credential) of an account."""

    id: str = Field(primary_key=True, max_length=1400)  # credential id, base64url
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # COSE key
    sign_count: int = Field(default=0)
    transports: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    backed_up: bool = Field(default=False)
    name: str = Field(default="", max_length=120)  # "Passkey di Android", set by the person
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    # set when the authenticator's signature counter went backwards (a cloned key): refused from then on
    locked_at: datetime | None = None


class Device(SQLModel, table=True):
    """A signed-in device: one server-side session, listed to the person and revocable."""

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    name: str = Field(max_length=120)  # derived from the browser, e.g. "Chrome di Android"
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class OneTimeCode(SQLModel, table=True):
    """Enrollment codes (staff, assisted citizens) and recovery codes: argon2id-hashed, single use."""

    id: str = Field(primary_key=True, max_length=32)  # public half of the code, for look-up
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    purpose: str = Field(max_length=20)  # "enroll" | "recovery"
    code_hash: str = Field(max_length=200)  # argon2id of the secret half
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None  # recovery codes do not expire
    used_at: datetime | None = None


class AssuranceEvent(SQLModel, table=True):
    """An in-person identity check: who checked whom, where, when and how (audited)."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    officer_id: str = Field(foreign_key="account.id", max_length=32)
    method: str = Field(max_length=40)  # "ktp_in_person"
    place: str = Field(max_length=200)
    region_code: str | None = Field(default=None, max_length=5)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow)


class Throttle(SQLModel, table=True):
    """Attempt counters for rate limits, keyed by a hash (never the NIK or IP itself)."""

    key: str = Field(primary_key=True, max_length=80)
    window_start: datetime = Field(default_factory=utcnow)
    count: int = Field(default=0)
