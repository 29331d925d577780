"""Applications a field officer (petugas lapangan) files for someone else — "assisted" ones.

The officer's device writes the draft into the officer's own database with the person's NIK,
name and birth date, the record of the KTP seen in person and the person's consent
(`sync.drafts`). At ingest the NIK is checked against the NIK rules and the population
registry (injected: any `identity.registry.PopulationRegistry`); the application keeps the NIK
only encrypted (`nik_cipher`) and as a keyed hash (`applicant_nik_hash`), never in plain.

The person sees the application too: when an account with the same NIK hash exists (now, or
once the person enrols) the publisher writes the same `status:<uuid>` doc into that person's
database, with who filed it (`assisted_by`), the service and the region. `databases_for` is
the one place that says which databases an application's status goes to; the publisher fans
each status out to the applicant's database itself, so every path that changes an application
(staff decisions, resubmissions, files arriving) reaches both without knowing about it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.crypto import PiiCipher
from identity.models import Account, RoleGrant
from identity.nik import validate_nik
from identity.registry import PopulationRegistry
from sync.drafts import userdb_name
from sync.models import Application, Outbox

APPLICANT = "_applicant"  # error key: about the person the application is for, not a form field
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and copied by hand
CHECK_LENGTH = 6

NOT_AN_OFFICER = "Hanya petugas lapangan yang dapat mengajukan permohonan atas nama orang lain."
OTHER_REGION = ("Anda tidak terdaftar sebagai petugas lapangan di daerah {region}. Ajukan permohonan ini di daerah "
                "tempat Anda bertugas, atau minta admin MPP daerah {region} memberi Anda akses.")
NOT_MATCHED = ("Data pemohon (NIK, nama, tanggal lahir) tidak cocok dengan data kependudukan. "
               "Periksa kembali dengan KTP pemohon, perbaiki, lalu kirim lagi.")
NIK_PROBLEM = "NIK pemohon tidak sah: {reason} Periksa kembali dengan KTP pemohon, perbaiki, lalu kirim lagi."
INCOMPLETE = ("Data pemohon belum lengkap (NIK, nama, tanggal lahir, pemeriksaan KTP, persetujuan). "
              "Lengkapi, lalu kirim lagi.")
NO_CHECKER = "Server ini belum dapat memeriksa data pemohon. Simpan draf ini dan kirim lagi nanti."


def new_check_code() -> str:
    """The short code written on the paper slip beside the tracking number."""
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_LENGTH))


@dataclass(frozen=True)
class ApplicantRecord:
    """What an accepted assisted application keeps about its applicant."""

    nik_hash: str
    birth_date: date
    data: dict[str, Any]  # Application.applicant: name, nik_cipher, identity_check, consent (no plain NIK)


class ApplicantCheck:
    """Checks the person an assisted draft is for: NIK rules, then the population registry."""

    def __init__(self, registry: PopulationRegistry, cipher: PiiCipher):
        self.registry = registry
        self.cipher = cipher

    async def check(self, session: AsyncSession, account_id: str, doc: dict[str, Any]) -> ApplicantRecord | str:
        """The record to keep, or the Indonesian sentence saying what to fix (for `_applicant`).

        Raises `identity.errors.RegistryUnavailable` when the registry cannot answer: the
        submission is then read again later rather than refused.
        """
        if not await is_field_officer(session, account_id):
            return NOT_AN_OFFICER
        region = doc.get("region_code")
        if not await is_field_officer(session, account_id, region=region):
            return OTHER_REGION.format(region=region)
        applicant = doc.get("applicant") or {}
        try:
            birth_date = date.fromisoformat(str(applicant.get("birth_date")))
        except ValueError:
            return INCOMPLETE
        name, nik = applicant.get("name"), applicant.get("nik")
        if not isinstance(name, str) or not isinstance(nik, str):
            return INCOMPLETE
        result = validate_nik(nik, claimed_birth_date=birth_date)
        if result.errors:
            return NIK_PROBLEM.format(reason=result.errors[0].message.rstrip(".") + ".")
        nik = result.nik
        answer = await self.registry.verify(nik, {"full_name": name, "birth_date": birth_date.isoformat()})
        if not answer or any(v != "match" for v in answer.values()):
            return NOT_MATCHED
        data = {"name": " ".join(name.split()).upper(), "nik_cipher": self.cipher.encrypt(nik),
                "identity_check": applicant.get("identity_check"), "consent": applicant.get("consent")}
        return ApplicantRecord(nik_hash=self.cipher.lookup_hash("nik", nik), birth_date=birth_date, data=data)


async def is_field_officer(session: AsyncSession, account_id: str, region: str | None = None) -> bool:
    """Whether the account holds the field_officer grant (in `region`, when given: a grant is per region)."""
    query = select(RoleGrant.account_id).where(RoleGrant.account_id == account_id, RoleGrant.role == "field_officer")
    if region is not None:
        query = query.where(RoleGrant.region_code == region)
    return (await session.exec(query)).first() is not None


async def citizens_by_nik_hash(session: AsyncSession, hashes: Iterable[str | None]) -> dict[str, str]:
    """nik hash -> the citizen account holding it."""
    wanted = {h for h in hashes if h}
    if not wanted:
        return {}
    rows = await session.exec(select(Account.id, Account.nik_hash).where(col(Account.nik_hash).in_(wanted), Account.kind == "citizen"))
    return {nik_hash: account_id for account_id, nik_hash in rows}


def applicant_database(application: Application, citizens: dict[str, str]) -> str | None:
    """The database of the person an assisted application is for, if that person has an account."""
    if application.applicant_kind != "assisted" or not application.applicant_nik_hash:
        return None
    account = citizens.get(application.applicant_nik_hash)
    return userdb_name(account) if account and account != application.account_id else None


async def databases_for(session: AsyncSession, application: Application) -> list[str]:
    """Every database the application's status doc goes to: its owner's, and for an assisted
    application the applicant's own once they have an account."""
    owner = userdb_name(application.account_id)
    other = applicant_database(application, await citizens_by_nik_hash(session, [application.applicant_nik_hash]))
    return [owner] if other is None else [owner, other]


async def enqueue_for_new_account(session: AsyncSession, account_id: str, nik_hash: str | None) -> int:
    """A person just got an account: their assisted applications filed before go to their
    database too (outbox rows; the publisher writes the docs). In the caller's transaction."""
    if not nik_hash:
        return 0
    drafts = list(await session.exec(select(Application.draft_id).where(Application.applicant_nik_hash == nik_hash,
                                                                         Application.applicant_kind == "assisted")))
    for draft_id in drafts:
        session.add(Outbox(db_name=userdb_name(account_id), draft_id=draft_id))
    return len(drafts)
