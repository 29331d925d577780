"""The requirement checklist of an application: an operator's verdict on each *persyaratan*
that applies to it, and the *dompet dokumen* (once-only) that grows out of it.

A requirement applies when its `when` condition holds for the application's values (the same
conditions the form uses, `server.catalog.conditions`). Marking one "sesuai" whose document was
uploaded keeps that document for the person (`WalletDocument`, source "verified"): the holder
account owns the blob (`BlobOwner`), so a later draft may name it instead of uploading again,
and an outbox row makes the publisher write the wallet to the holder's database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from server.applications.transitions import Acting, subject_of
from server.audit import log as audit
from server.catalog import conditions
from server.catalog.models import ServiceVersion
from sync.drafts import userdb_name
from sync.models import Application, Blob, BlobOwner, Outbox, RequirementCheck, WalletDocument
from sync.tracking import ApplicationError

VERDICTS = {"sesuai": "Sesuai", "kurang": "Kurang", "tidak_sesuai": "Tidak sesuai"}
MAX_NOTE = 500


class VerdictInvalid(ApplicationError):
    """The verdict is not one of sesuai, kurang, tidak_sesuai."""

    message = "Pilih hasil pemeriksaan: Sesuai, Kurang, atau Tidak sesuai."


class RequirementNotApplicable(ApplicationError):
    """The requirement is not one of this application's (unknown, or its condition does not hold)."""

    message = "Persyaratan ini tidak berlaku untuk permohonan ini. Muat ulang halaman permohonan."


def applicable(content: Mapping[str, Any], values: Mapping[str, Any], today: date) -> list[dict[str, Any]]:
    """The version's requirements whose `when` holds for `values` (a condition that cannot be
    read counts as holding, as the form does)."""
    context = {k: v for k, v in values.items() if v not in (None, "", [], {})}
    context["_today"] = today.isoformat()
    return [dict(r) for r in content.get("requirements") or () if isinstance(r, Mapping)
            and conditions.evaluate_lenient(r.get("when"), context)]


def document_of(content: Mapping[str, Any], values: Mapping[str, Any], requirement_id: str) -> dict[str, Any] | None:
    """The uploaded file `{sha256, size, mime}` answering the requirement's document field, if any."""
    for spec in content.get("form_fields") or ():
        if spec.get("requirement") == requirement_id and spec.get("type") in ("photo", "document"):
            value = values.get(spec["id"])
            if isinstance(value, Mapping) and isinstance(value.get("sha256"), str):
                return dict(value)
    return None


async def version_content(session: AsyncSession, app: Application) -> dict[str, Any]:
    found = (await session.exec(select(ServiceVersion.content).where(
        ServiceVersion.region_code == app.region_code, ServiceVersion.service_id == app.service_id,
        ServiceVersion.version == app.service_version))).first()
    return dict(found or {})


async def holder_of(session: AsyncSession, app: Application) -> str | None:
    """The account the person holds: their own for a self application; for an assisted one the
    account enrolled with the applicant's NIK, if they have one."""
    if app.applicant_kind != "assisted":
        return app.account_id
    if not app.applicant_nik_hash:
        return None
    return (await session.exec(select(Account.id).where(Account.nik_hash == app.applicant_nik_hash))).first()


async def check_requirement(session: AsyncSession, app: Application, requirement_id: str, verdict: str, note: str,
                            acting: Acting, *, today: date | None = None) -> RequirementCheck:
    """Record the verdict (the latest counts), its audit entry and, for "sesuai" on an uploaded
    document, the person's wallet document. The caller commits."""
    if verdict not in VERDICTS:
        raise VerdictInvalid(verdict=verdict[:20])
    content = await version_content(session, app)
    requirement = next((r for r in applicable(content, app.values, today or utcnow().date()) if r.get("id") == requirement_id), None)
    if requirement is None:
        raise RequirementNotApplicable(requirement_id=requirement_id[:80])
    note = (note or "").strip()[:MAX_NOTE]
    now = utcnow()
    check = (await session.exec(select(RequirementCheck).where(RequirementCheck.application_id == app.id,
                                                               RequirementCheck.requirement_id == requirement_id))).first()
    if check is None:
        check = RequirementCheck(application_id=app.id, requirement_id=requirement_id, verdict=verdict, note=note,
                                 by=acting.account_id, agency_kind=acting.agency or "", at=now)
    else:
        check.verdict, check.note, check.by, check.agency_kind, check.at = verdict, note, acting.account_id, acting.agency or "", now
    session.add(check)

    details: dict[str, Any] = {"requirement": requirement_id, "verdict": verdict}
    if verdict == "sesuai" and (wallet := await _keep_in_wallet(session, app, requirement, content, acting)) is not None:
        details["wallet_document"] = wallet.id
    await audit.append(session, acting.audit_actor, "check_requirement", region_code=app.region_code, application_id=app.id,
                       purpose="Pemeriksaan persyaratan", details=details, at=now, **subject_of(app))
    return check


async def _keep_in_wallet(session: AsyncSession, app: Application, requirement: Mapping[str, Any], content: Mapping[str, Any],
                          acting: Acting) -> WalletDocument | None:
    document = document_of(content, app.values, requirement["id"])
    if document is None or not app.applicant_nik_hash:
        return None
    blob = await session.get(Blob, document["sha256"])
    if blob is None:  # not arrived (cannot happen for a received application): nothing to keep
        return None
    holder = await holder_of(session, app)
    existing = (await session.exec(select(WalletDocument).where(WalletDocument.nik_hash == app.applicant_nik_hash,
                                                                WalletDocument.sha256 == blob.sha256))).first()
    if existing is None:
        existing = WalletDocument(
            account_id=holder, nik_hash=app.applicant_nik_hash, source="verified", requirement_id=requirement["id"][:80],
            label=str(requirement.get("label_id") or requirement["id"])[:300], sha256=blob.sha256, size=blob.size, mime=blob.mime,
            verified_by=acting.account_id, verified_by_name=acting.display_name[:120], verified_by_agency=acting.agency_name[:200],
            application_id=app.id)
        session.add(existing)
        await session.flush()
    if holder is not None:
        if await session.get(BlobOwner, (holder, blob.sha256)) is None:
            session.add(BlobOwner(account_id=holder, sha256=blob.sha256))
        session.add(Outbox(db_name=userdb_name(holder), draft_id=app.draft_id))
    return existing
