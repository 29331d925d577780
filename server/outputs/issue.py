"""Issuing an application's output document: number it, render it, sign it, store it, hand it over.

`issue_output` is called by whoever decides the application is done (an officer's last step, or
the SLA rule that issues a SIP automatically); it adds rows and flushes, and the caller commits
them together with the application's change of state, so a document never exists for an
application that did not move on. It is idempotent: an application has at most one document.

What the holder gets: the blob (`BlobOwner`, so their device may fetch it and reference it in
later applications) and a `WalletDocument` (*dompet dokumen*) when their NIK hash is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import anyio
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account
from server.catalog.models import Agency, Region, Service, ServiceVersion
from server.outputs.pdf import OutputPage, render
from server.outputs.signing import Signer
from server.outputs.tokens import make_token, new_token_id
from sync.blobstore import FileBlobStore
from sync.models import Application, Blob, BlobOwner, IssuedDocument, WalletDocument, WorkflowStep

PDF = "application/pdf"
# the label of an output says how it is delivered ("... elektronik ber-TTE dan QR Code"); the
# document's own title stops before that
_TITLE_ENDS = (" elektronik", " ber-TTE", " (", ";", ",")
# Indonesia's three time zones by province code (the first two digits of a region code): WITA
# for Bali, Nusa Tenggara, Kalimantan Selatan/Timur/Utara and Sulawesi; WIT for Maluku and Papua
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}


class OutputNotConfigured(Exception):
    """The service's standar pelayanan names no output document (or its issuing agency is missing)."""

    def __init__(self, service_id: str):
        super().__init__(service_id)
        self.service_id = service_id


def mask_name(name: str) -> str:
    """`Budi Santoso` -> `B*** S******`: enough to recognise one's own document, not to learn a name."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def document_title(label: str) -> str:
    """`Surat Izin Praktik Dokter Gigi elektronik ber-TTE dan QR Code` -> `Surat Izin Praktik Dokter Gigi`."""
    cut = min((i for i in (label.find(end) for end in _TITLE_ENDS) if i > 0), default=len(label))
    return label[:cut].strip()


def local_date(region_code: str, at: datetime) -> date:
    """The calendar day at `at` in the region (WIB UTC+7, WITA UTC+8, WIT UTC+9)."""
    province = region_code[:2]
    hours = 9 if province[:1] in ("8", "9") else 8 if province in _WITA else 7
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone(timedelta(hours=hours))).date()


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def document_number(output_id: str, region_code: str, year: int, tracking_number: str) -> str:
    """`SIP/2171/2026/000123`: the tracking number's sequence makes it unique per application."""
    return f"{output_id.upper()}/{region_code.replace('.', '')}/{year}/{tracking_number[-6:]}"


@dataclass(frozen=True)
class _Holder:
    account_id: str | None
    nik_hash: str | None


async def _holder(session: AsyncSession, app: Application) -> _Holder:
    if app.applicant_kind == "assisted":
        if not app.applicant_nik_hash:
            return _Holder(None, None)
        account = (await session.exec(select(Account).where(Account.nik_hash == app.applicant_nik_hash))).first()
        return _Holder(account.id if account else None, app.applicant_nik_hash)
    account = await session.get(Account, app.account_id)
    return _Holder(app.account_id, (account.nik_hash if account else None) or app.applicant_nik_hash)


async def _issuing_agency(session: AsyncSession, app: Application, content: dict) -> Agency:
    step = (await session.exec(select(WorkflowStep).where(WorkflowStep.application_id == app.id,
                                                          WorkflowStep.issues_output == True))).first()  # noqa: E712
    kind = step.agency_kind if step else content.get("owner_agency")
    if not kind:
        service = await session.get(Service, app.service_id)
        kind = service.owner_agency if service else None
    agency = (await session.exec(select(Agency).where(Agency.region_code == app.region_code, Agency.kind == kind))).first()
    if agency is None:
        raise OutputNotConfigured(app.service_id)
    return agency


async def issue_output(session: AsyncSession, app: Application, *, signer: Signer, blobs: FileBlobStore, secret: bytes,
                       origin: str, holder_name: str, issued_by: str = "system", rule: str = "",
                       now: datetime | None = None) -> IssuedDocument:
    """The application's signed output document, made now or (when it exists already) as it was."""
    existing = (await session.exec(select(IssuedDocument).where(IssuedDocument.application_id == app.id))).first()
    if existing is not None:
        return existing
    now = now or datetime.now(timezone.utc)
    version = (await session.exec(select(ServiceVersion).where(
        ServiceVersion.region_code == app.region_code, ServiceVersion.service_id == app.service_id,
        ServiceVersion.version == app.service_version))).first()
    output = (version.content.get("output") or {}) if version else {}
    if not output.get("id"):
        raise OutputNotConfigured(app.service_id)
    content = version.content
    agency = await _issuing_agency(session, app, content)
    region = await session.get(Region, app.region_code)
    region_name = region.name if region else app.region_code
    holder = await _holder(session, app)

    issued_on = local_date(app.region_code, now)
    years = (content.get("validity") or {}).get("years")
    valid_until = add_years(issued_on, int(years)) if years else None
    title = document_title(output.get("label_id") or content.get("name_id") or output["id"])
    number = document_number(output["id"], app.region_code, issued_on.year, app.tracking_number)
    token_id = new_token_id()
    verify_url = f"{origin.rstrip('/')}/verifikasi/{make_token(secret, token_id)}"

    page = OutputPage(title=title, number=number, holder_name=holder_name, agency_name=agency.name, region_name=region_name,
                      issued_on=issued_on, valid_until=valid_until, tracking_number=app.tracking_number,
                      verify_url=verify_url, development=signer.development)
    unsigned = await anyio.to_thread.run_sync(render, page)
    signed = await signer.sign(unsigned, reason=f"Penerbitan {title} nomor {number}", location=region_name,
                               signer_name=agency.name)
    sha256 = await anyio.to_thread.run_sync(blobs.put, signed)

    if await session.get(Blob, sha256) is None:
        session.add(Blob(sha256=sha256, size=len(signed), mime=PDF))
        await session.flush()
    if holder.account_id and await session.get(BlobOwner, (holder.account_id, sha256)) is None:
        session.add(BlobOwner(account_id=holder.account_id, sha256=sha256))
    document = IssuedDocument(
        application_id=app.id, account_id=holder.account_id, holder_nik_hash=holder.nik_hash,
        holder_name_masked=mask_name(holder_name), kind=output["id"], title=title, number=number,
        region_code=app.region_code, agency_kind=agency.kind, agency_name=agency.name, issued_at=now,
        valid_until=valid_until, token_id=token_id, sha256=sha256, size=len(signed), development=signer.development,
        issued_by=issued_by, rule=rule,
    )
    session.add(document)
    await session.flush()
    if holder.nik_hash:
        duplicate = (await session.exec(select(WalletDocument).where(WalletDocument.nik_hash == holder.nik_hash,
                                                                     WalletDocument.sha256 == sha256))).first()
        if duplicate is None:
            session.add(WalletDocument(
                account_id=holder.account_id, nik_hash=holder.nik_hash, source="issued", requirement_id=output["id"],
                label=output.get("label_id") or title, sha256=sha256, size=len(signed), mime=PDF, verified_by="system",
                verified_by_name="", verified_by_agency=agency.name, verified_at=now, application_id=app.id,
                issued_document_id=document.id,
            ))
            await session.flush()
    return document
