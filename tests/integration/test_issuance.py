"""After the decision: the output is issued (signed PDF), the person sees it, the wallet keeps it
and a later application reuses it; SIP is issued by the system when its SLA lapses; the audit
chain records it all and notices a changed or deleted row. Real stores (SQLite and PostgreSQL,
PouchDB Server)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from server.applications import transitions
from server.applications.issuance import Issuer
from server.applications.sla import AUTO_ISSUE_RULE
from server.audit import log as audit
from server.audit.models import AuditEntry
from server.outputs.signing import DevelopmentSigner
from sync.blobstore import FileBlobStore
from sync.models import Application, ApplicationEvent, BlobOwner, IssuedDocument, WalletDocument
from tests.factories import seed_regions
from tests.support.drafts import Stores, draft, with_stores

SIP = "nakes-sip-dokter-gigi"
SIP_VALUES = {
    "nik": "3302015505900001", "nama_lengkap": "drg. Sari Wulandari", "nomor_str": "STR-1234567890", "jenis_permohonan": "baru",
    "urutan_sip": "1", "jenis_tempat_praktik": "fasyankes", "nama_tempat_praktik": "Klinik Sehat Batam",
    "alamat_tempat_praktik": "Jl. Engku Putri No. 1, Batam Centre", "wilayah_tempat_praktik": "21.71.01",
    "jadwal_praktik": "Senin-Jumat 08.00-14.00", "no_hp": "081234567890",
}
DPMPTSP = transitions.Acting("operator", "a" * 32, "agency_operator", "dpmptsp", "DPMPTSP Kota Batam", "Operator DPMPTSP")
DINKES = transitions.Acting("operator", "b" * 32, "agency_operator", "dinkes", "Dinas Kesehatan Kota Batam", "Operator Dinkes")


@pytest.fixture
def stores(sql_url, fresh_couch):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    return lambda fn: with_stores(sql_url, fresh_couch, fn)


def issuer(s: Stores, tmp: Path, **kw) -> Issuer:
    return Issuer(s.engine, s.rules, signer=DevelopmentSigner(tmp / "var"), blobs=FileBlobStore(tmp / "blobs"),
                  secret=secrets.token_bytes(32), origin="http://localhost:8000", **kw)


async def submit_sip(s: Stores, values: dict | None = None) -> tuple[str, dict, Application]:
    db = await s.account()
    async with AsyncSession(s.engine) as session:  # the person's NIK, as enrolment stores it (for the wallet)
        await session.exec(update(Account).where(Account.id == db.removeprefix("userdb-")).values(nik_hash=secrets.token_hex(32)))
        await session.commit()
    (doc,) = await s.put(db, draft(service=SIP, values=values or SIP_VALUES))
    await s.work()
    (app,) = await s.rows(Application, Application.draft_id == doc["_id"])
    return db, doc, app


async def act(s: Stores, app_id: int, action: str, who: transitions.Acting, **kw) -> None:
    async with AsyncSession(s.engine, expire_on_commit=False) as session:
        await transitions.act(session, await session.get(Application, app_id), action, who, s.rules, **kw)
        await session.commit()


def test_an_approved_sip_is_issued_signed_published_to_the_person_and_kept_in_their_wallet(stores, tmp_path):
    async def go(s: Stores):
        db, doc, app = await submit_sip(s)
        assert (app.state, app.step_position, app.step_agency, app.step_count, app.auto_issue) == ("received", 0, "dpmptsp", 3, True)
        await act(s, app.id, "pass_on", DPMPTSP)
        await s.work()
        handed = await s.status(db, doc["_id"])
        await act(s, app.id, "approve", DINKES, note="Memenuhi syarat.")
        moved = await issuer(s, tmp_path).run_once()
        await s.work()
        return (db, doc, handed, moved, await s.status(db, doc["_id"]), (await s.rows(Application, Application.id == app.id))[0],
                await s.rows(IssuedDocument), await s.rows(WalletDocument), await s.couch.all_docs(db, None))

    db, doc, handed, moved, status, app, (issued,), (wallet,), rows = stores(go)
    assert handed["state"] == "in_review" and handed["step"] == {"position": 2, "count": 3, "name": "Verifikasi teknis",
                                                               "agency": "Dinas Kesehatan Kota Batam"}
    assert moved == 1 and app.state == "completed" and app.decided_at is not None
    assert [h["state"] for h in status["history"]] == ["received", "in_review", "approved", "completed"]
    assert status["output"]["sha256"] == issued.sha256 and status["output"]["number"] == issued.number
    assert status["output"]["development"] is True and status["output"]["mime"] == "application/pdf"
    assert (wallet.source, wallet.sha256, wallet.account_id) == ("issued", issued.sha256, app.account_id)
    assert f"wallet:{wallet.id}" in {r["id"] for r in rows}, "the wallet doc reaches the person's database"


def test_sip_is_issued_by_the_system_once_its_sla_lapses_and_not_while_waiting_for_the_person(stores, tmp_path):
    async def go(s: Stores):
        _, _, waiting = await submit_sip(s)
        _, _, open_ = await submit_sip(s)
        await act(s, waiting.id, "request_revision", DPMPTSP, note="STR tidak terbaca.")
        on_time = await issuer(s, tmp_path).auto_issue()
        late = issuer(s, tmp_path, clock=lambda: utcnow() + timedelta(days=30))
        moved = await late.run_once()
        async with AsyncSession(s.engine) as session:
            entries = list(await session.exec(select(AuditEntry).where(AuditEntry.application_id == open_.id)
                                              .order_by(AuditEntry.id)))
            report = await audit.verify(session)
        return (on_time, moved, await s.rows(Application, Application.id == waiting.id), await s.rows(Application, Application.id == open_.id),
                await s.rows(IssuedDocument), await s.rows(ApplicationEvent, ApplicationEvent.application_id == open_.id), entries, report)

    on_time, moved, (waiting,), (issued_app,), (doc,), events, entries, report = stores(go)
    assert on_time == 0, "nothing is issued before the due day is over"
    assert moved == 2 and waiting.state == "needs_revision", "the clock is stopped while the person fixes the file"
    assert issued_app.state == "completed" and doc.application_id == issued_app.id and doc.rule == AUTO_ISSUE_RULE
    approved = next(e for e in events if e.state == "approved")
    assert (approved.action, approved.by, approved.details["rule"]) == ("auto_issue", "system", AUTO_ISSUE_RULE)
    assert [(e.actor_id, e.action) for e in entries] == [("system", "auto_issue"), ("system", "complete")]
    assert entries[0].details["rule"] == AUTO_ISSUE_RULE and report.ok


def test_a_new_application_reuses_a_wallet_document_without_uploading_it_again(stores, tmp_path):
    async def go(s: Stores):
        db, _, app = await submit_sip(s)
        await act(s, app.id, "pass_on", DPMPTSP)
        await act(s, app.id, "approve", DINKES)
        await issuer(s, tmp_path).run_once()
        (wallet,) = await s.rows(WalletDocument)
        second = {**SIP_VALUES, "urutan_sip": "2", "berkas_sip_sebelumnya": {
            "sha256": wallet.sha256, "size": wallet.size, "mime": wallet.mime, "field": "berkas_sip_sebelumnya", "wallet": str(wallet.id)}}
        (doc,) = await s.put(db, draft(service=SIP, values=second))
        await s.work()
        return wallet, await s.rows(Application, Application.draft_id == doc["_id"]), await s.rows(BlobOwner, BlobOwner.sha256 == wallet.sha256)

    wallet, (reused,), owners = stores(go)
    assert reused.state == "received", "the file is the person's already: nothing to wait for"
    assert reused.values["berkas_sip_sebelumnya"]["sha256"] == wallet.sha256
    assert [o.account_id for o in owners] == [wallet.account_id]


def test_the_audit_chain_notices_a_changed_row_a_deleted_row_and_deleted_newest_rows(stores, tmp_path):
    async def go(s: Stores):
        _, _, app = await submit_sip(s)
        await act(s, app.id, "start_review", DPMPTSP)
        await act(s, app.id, "request_revision", DPMPTSP, note="Lengkapi jadwal praktik.")
        async with AsyncSession(s.engine) as session:
            for _ in range(3):
                await audit.append(session, audit.Actor(DINKES.account_id, "agency_operator", "dinkes"), "view",
                                   application_id=app.id, purpose="Pemeriksaan permohonan")
            await session.commit()
        reports = {}
        async with AsyncSession(s.engine) as session:
            reports["intact"] = await audit.verify(session)
            ids = [e.id for e in await session.exec(select(AuditEntry).order_by(AuditEntry.id))]
            await session.exec(text("UPDATE auditentry SET purpose = 'tidak ada' WHERE id = :id"), params={"id": ids[1]})
            await session.commit()
            reports["changed"] = await audit.verify(session)
            await session.exec(text("DELETE FROM auditentry WHERE id = :id"), params={"id": ids[1]})
            await session.commit()
            reports["deleted"] = await audit.verify(session)
        async with AsyncSession(s.engine) as session:  # a fresh chain in which only the newest row goes
            await session.exec(text("DELETE FROM auditentry"))
            await session.exec(text("DELETE FROM audithead"))
            await session.commit()
            for _ in range(3):
                await audit.append(session, audit.SYSTEM_ACTOR, "view", application_id=app.id)
            await session.commit()
            newest = max(e.id for e in await session.exec(select(AuditEntry)))
            await session.exec(text("DELETE FROM auditentry WHERE id = :id"), params={"id": newest})
            await session.commit()
            reports["truncated"] = await audit.verify(session)
        return ids, reports

    ids, reports = stores(go)
    assert reports["intact"].ok and reports["intact"].checked == len(ids) == 5
    assert (reports["changed"].broken_at, reports["changed"].reason) == (ids[1], "hash")
    assert (reports["deleted"].broken_at, reports["deleted"].reason) == (ids[2], "prev_hash")
    assert not reports["truncated"].ok and reports["truncated"].reason == "head"
