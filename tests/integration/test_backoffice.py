"""The agency operator's back office: queue, application page, actions, checklist and files —
on a migrated database, through the app, as operators of different agencies and regions."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from litestar.testing import TestClient
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from server.accounts.sessions import session_config
from server.app import create_app
from server.applications import workflow
from server.audit import log as audit
from server.audit.models import AuditEntry
from server.catalog.models import ServiceVersion
from server.db import make_engine
from sync.blobstore import FileBlobStore
from sync.models import Application, ApplicationEvent, Blob, BlobOwner, Outbox, RequirementCheck, WalletDocument, WorkflowStep
from tests.conftest import make_settings
from tests.factories import citizen_session, run, seed_regions, staff_session

REGION, OTHER = "21.71", "33.02"
SERVICE = "nakes-sip-dokter-gigi"
HIDDEN_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"pas foto"
PDF = b"%PDF-1.4\n% surat keterangan tempat praktik\n%%EOF\n"


async def _in_session(sql_url: str, fn):
    engine = make_engine(sql_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await fn(session)
    finally:
        await engine.dispose()


def sql(sql_url: str, fn):
    return run(_in_session(sql_url, fn))


def new_application(sql_url: str, account_id: str, number: int, region: str = REGION, blobs: FileBlobStore | None = None,
                    due: date | None = None) -> str:
    """A received SIP application with its three steps, as ingest makes them; its two files stored."""

    async def go(session: AsyncSession) -> str:
        version = (await session.exec(select(ServiceVersion).where(ServiceVersion.region_code == region,
                                                                   ServiceVersion.service_id == SERVICE))).first()
        values = {"nama_lengkap": "drg. Sari Uji", "nomor_str": "STR-123", "jenis_permohonan": "baru", "urutan_sip": "1",
                  "jenis_tempat_praktik": "fasyankes", "nama_tempat_praktik": "Klinik Sehat"}
        if blobs is not None:
            owner = await session.get(Account, account_id)
            for field_id, data, mime in (("berkas_pas_foto", PNG, "image/png"), ("berkas_keterangan_tempat_praktik", PDF, "application/pdf")):
                sha = blobs.put(data)
                if await session.get(Blob, sha) is None:
                    session.add(Blob(sha256=sha, size=len(data), mime=mime))
                    await session.flush()
                if await session.get(BlobOwner, (account_id, sha)) is None:
                    session.add(BlobOwner(account_id=account_id, sha256=sha))
                values[field_id] = {"sha256": sha, "size": len(data), "mime": mime, "field": field_id}
        else:
            owner = await session.get(Account, account_id)
        steps = workflow.steps_of(version.content["steps"])
        tracking = f"MPP-{region.replace('.', '')}-2026-{number:06d}"
        app = Application(draft_id=f"draft:{tracking}", account_id=account_id, region_code=region, service_id=SERVICE,
                          service_version=version.version, tracking_number=tracking, state="received", submission_id="s1",
                          values=values, due_date=due or date.today() + timedelta(days=7), step_position=0,
                          step_agency=steps[0].agency, step_count=len(steps), auto_issue=True,
                          applicant_nik_hash=owner.nik_hash if owner else None)
        session.add(app)
        await session.flush()
        for s in steps:
            session.add(WorkflowStep(application_id=app.id, position=s.position, name=s.name, agency_kind=s.agency, step_id=s.id,
                                     issues_output=s.issues_output, state="open" if s.position == 0 else "waiting",
                                     opened_at=utcnow() if s.position == 0 else None))
        session.add(ApplicationEvent(application_id=app.id, state="received", note="Permohonan diterima."))
        await session.commit()
        return tracking

    return sql(sql_url, go)


def application(sql_url: str, tracking: str) -> Application:
    return sql(sql_url, lambda s: _first(s, select(Application).where(Application.tracking_number == tracking)))


async def _first(session, stmt):
    return (await session.exec(stmt)).first()


async def _all(session, stmt):
    return list(await session.exec(stmt))


@pytest.fixture
def office(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, (REGION, OTHER))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    citizen = citizen_session(sql_url, settings.pii_key)
    people = {
        "dpmptsp": staff_session(sql_url, "agency_operator", REGION, agency_kind="dpmptsp"),
        "dinkes": staff_session(sql_url, "agency_operator", REGION, agency_kind="dinkes"),
        "disdukcapil": staff_session(sql_url, "agency_operator", REGION, agency_kind="disdukcapil"),
        "other_region": staff_session(sql_url, "agency_operator", OTHER, agency_kind="dpmptsp"),
        "no_agency": staff_session(sql_url, "agency_operator", REGION),
        "officer": staff_session(sql_url, "field_officer", REGION),
        "citizen": citizen,
    }
    blobs = FileBlobStore(settings.blob_dir)
    tracking = new_application(sql_url, citizen["account"], 1, blobs=blobs)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        yield Office(client, sql_url, people, tracking, blobs)


class Office:
    def __init__(self, client, sql_url, people, tracking, blobs):
        self.client, self.sql_url, self.people, self.tracking, self.blobs = client, sql_url, people, tracking, blobs

    def as_(self, who: str) -> TestClient:
        self.client.set_session_data(self.people[who])
        return self.client

    def page(self, who: str = "dpmptsp", tracking: str | None = None, region: str = REGION):
        return self.as_(who).get(f"/backoffice/wilayah/{region}/permohonan/{tracking or self.tracking}", headers={"accept": "text/html"})

    def queue(self, who: str = "dpmptsp", region: str = REGION, **params):
        return self.as_(who).get(f"/backoffice/wilayah/{region}/antrian", params=params, headers={"accept": "text/html"})

    def token(self, who: str = "dpmptsp") -> str:
        page = self.page(who)
        assert page.status_code == 200, page.text
        return HIDDEN_TOKEN.search(page.text)[1]

    def act(self, who: str, action: str, **form):
        token = self.token(who)
        return self.client.post(f"/backoffice/wilayah/{REGION}/permohonan/{self.tracking}/tindakan",
                                data={"_csrf_token": token, "action": action, **form}, headers={"accept": "text/html"})

    def check(self, who: str, requirement: str, verdict: str, note: str = ""):
        token = self.token(who)
        return self.client.post(f"/backoffice/wilayah/{REGION}/permohonan/{self.tracking}/persyaratan/{requirement}",
                                data={"_csrf_token": token, "verdict": verdict, "note": note}, headers={"accept": "text/html"})

    def state(self) -> str:
        return application(self.sql_url, self.tracking).state


def queued(page) -> list[str]:
    assert page.status_code == 200, page.text
    return re.findall(r'<tr id="p-([A-Z0-9-]+)"', page.text)


def test_the_queue_lists_only_the_applications_whose_current_step_is_the_agencys(office):
    assert queued(office.queue("dpmptsp")) == [office.tracking]
    assert queued(office.queue("dinkes")) == []
    page = office.queue("dpmptsp")
    assert "Surat Izin Praktik (SIP) Dokter Gigi" in page.text and "Tahap 1 dari 3" in page.text and "Diterima" in page.text
    assert "<script" not in page.text

    assert office.act("dpmptsp", "pass_on").status_code == 200  # followed the 303 back to the page
    assert queued(office.queue("dpmptsp")) == []
    assert queued(office.queue("dinkes")) == [office.tracking]
    assert "Tahap 2 dari 3" in office.queue("dinkes").text


def test_queue_filters_sort_by_due_date_and_count_the_breached(office):
    citizen = office.people["citizen"]["account"]
    late = new_application(office.sql_url, citizen, 2, due=date.today() - timedelta(days=10))
    soon = new_application(office.sql_url, citizen, 3, due=date.today() + timedelta(days=2))
    page = office.queue("dpmptsp")
    assert queued(page) == [late, soon, office.tracking]  # riskiest first
    assert 'data-sla="lewat"' in page.text and "Lewat" in page.text
    assert re.search(r"<strong>1</strong>Lewat batas waktu", page.text)
    assert re.search(r"<strong>3</strong>Diterima", page.text)
    assert queued(office.queue("dpmptsp", sla="lewat")) == [late]
    assert queued(office.queue("dpmptsp", sla="jeda")) == []
    assert queued(office.queue("dpmptsp", status="in_review")) == []
    assert queued(office.queue("dpmptsp", layanan="adminduk-kk")) == []
    assert queued(office.queue("dpmptsp", layanan=SERVICE, status="received", sla="nonsense")) == [late, soon, office.tracking]


def test_another_regions_operator_is_refused_the_region_and_cannot_open_the_application_by_number(office):
    assert office.queue("other_region").status_code == 403
    assert office.page("other_region").status_code == 403
    assert office.queue("other_region", region=OTHER).status_code == 200
    assert office.page("other_region", region=OTHER).status_code == 404
    assert office.page("disdukcapil").status_code == 404  # in the region, but no step of it is theirs
    assert office.page("no_agency").status_code == 403


def test_citizens_and_field_officers_are_refused_every_route(office):
    sha = application(office.sql_url, office.tracking).values["berkas_pas_foto"]["sha256"]
    base = f"/backoffice/wilayah/{REGION}"
    for who in ("citizen", "officer"):
        client = office.as_(who)
        for path in ("/antrian", f"/permohonan/{office.tracking}", f"/permohonan/{office.tracking}/berkas/{sha}"):
            assert client.get(base + path).status_code == 403, (who, path)
        for path in (f"/permohonan/{office.tracking}/tindakan", f"/permohonan/{office.tracking}/persyaratan/pas_foto"):
            token = client.get("/backoffice/masuk").cookies.get("mpp_csrf") or client.cookies.get("mpp_csrf") or ""
            assert client.post(base + path, data={"_csrf_token": token, "action": "approve"}).status_code == 403, (who, path)
    assert office.state() == "received"


def test_a_post_without_the_csrf_token_is_refused(office):
    office.page("dpmptsp")
    r = office.client.post(f"/backoffice/wilayah/{REGION}/permohonan/{office.tracking}/tindakan", data={"action": "start_review"})
    assert r.status_code == 403
    assert office.state() == "received"


def test_another_agency_cannot_act_on_a_step_it_does_not_own(office):
    r = office.act("dinkes", "start_review")
    assert r.status_code == 403
    assert "Tahap 1 permohonan ini ditangani instansi lain" in r.text
    assert office.state() == "received"


def test_a_revision_request_without_a_note_and_a_rejection_without_legal_basis_come_back_with_the_input(office):
    office.act("dpmptsp", "start_review")
    r = office.act("dpmptsp", "request_revision", note="", **{"note__nama_lengkap": "  "})
    assert r.status_code == 400 and "Tulis catatan perbaikan" in r.text
    r = office.act("dpmptsp", "reject", note="STR tidak aktif menurut SISDMK", legal_basis="")
    assert r.status_code == 400 and "alasan dan dasar hukumnya" in r.text
    assert "STR tidak aktif menurut SISDMK" in r.text  # kept
    assert office.state() == "in_review"


def test_the_full_path_to_approval_with_audit_entries_for_every_view_and_action(office):
    assert office.act("dpmptsp", "start_review").status_code == 200
    r = office.act("dpmptsp", "request_revision", note="Mohon lengkapi.",
                   **{"note__nama_tempat_praktik": "Tulis nama klinik lengkap", "note__req:pas_foto": "Foto buram"})
    assert r.status_code == 200 and "tersimpan" in r.text
    assert office.state() == "needs_revision"
    assert "Tulis nama klinik lengkap" in r.text and "Foto buram" in r.text

    async def resubmitted(session):
        app = (await session.exec(select(Application).where(Application.tracking_number == office.tracking))).one()
        app.state = "resubmitted"
        session.add(app)
        await session.commit()

    sql(office.sql_url, resubmitted)
    assert office.act("dpmptsp", "pass_on").status_code == 200
    assert office.act("dpmptsp", "approve").status_code == 403  # step 2 is the Dinas Kesehatan's now
    r = office.act("dinkes", "approve", note="Memenuhi syarat.")
    assert r.status_code == 200, r.text
    app = application(office.sql_url, office.tracking)
    assert app.state == "approved"
    steps = sql(office.sql_url, lambda s: _all(s, select(WorkflowStep).where(WorkflowStep.application_id == app.id)
                                               .order_by(WorkflowStep.position)))
    assert [s.state for s in steps] == ["done", "done", "open"]

    entries = sql(office.sql_url, lambda s: _all(s, select(AuditEntry).where(AuditEntry.application_id == app.id)))
    actions = [e.action for e in entries]
    for action in ("start_review", "request_revision", "pass_on", "approve"):
        assert action in actions
    assert actions.count("view") >= 7  # every page rendered, refused ones included
    assert all(e.subject_account_id == office.people["citizen"]["account"] for e in entries)
    assert sql(office.sql_url, audit.verify).ok


def test_sesuai_on_an_uploaded_document_keeps_it_in_the_holders_wallet(office):
    r = office.check("dpmptsp", "keterangan_tempat_praktik", "sesuai", "Asli sudah dilihat")
    assert r.status_code == 200 and "Hasil pemeriksaan persyaratan disimpan" in r.text
    app = application(office.sql_url, office.tracking)
    holder = office.people["citizen"]["account"]
    sha = app.values["berkas_keterangan_tempat_praktik"]["sha256"]
    (doc,) = sql(office.sql_url, lambda s: _all(s, select(WalletDocument)))
    assert (doc.account_id, doc.sha256, doc.source, doc.requirement_id, doc.mime) == (holder, sha, "verified",
                                                                                       "keterangan_tempat_praktik", "application/pdf")
    assert doc.verified_by == office.people["dpmptsp"]["account"] and doc.verified_by_agency.startswith("Dinas Penanaman Modal")
    assert sql(office.sql_url, lambda s: s.get(BlobOwner, (holder, sha))) is not None
    assert sql(office.sql_url, lambda s: _first(s, select(Outbox).where(Outbox.db_name == f"userdb-{holder}"))) is not None
    assert "dari dompet dokumen, diverifikasi oleh Petugas agency_operator" in r.text

    # again (or kurang afterwards): one check row, no second wallet document
    office.check("dpmptsp", "keterangan_tempat_praktik", "sesuai")
    office.check("dpmptsp", "pas_foto", "kurang", "Foto buram")
    checks = sql(office.sql_url, lambda s: _all(s, select(RequirementCheck)))
    assert sorted((c.requirement_id, c.verdict) for c in checks) == [("keterangan_tempat_praktik", "sesuai"), ("pas_foto", "kurang")]
    assert len(sql(office.sql_url, lambda s: _all(s, select(WalletDocument)))) == 1
    r = office.check("dpmptsp", "pas_foto", "bagus", "catatan saya")
    assert r.status_code == 400 and "Pilih hasil pemeriksaan" in r.text and "catatan saya" in r.text
    entries = sql(office.sql_url, lambda s: _all(s, select(AuditEntry).where(AuditEntry.action == "check_requirement")))
    assert len(entries) == 3
    assert sql(office.sql_url, audit.verify).ok


def test_the_file_route_serves_referenced_files_to_the_agency_and_404_to_others(office):
    app = application(office.sql_url, office.tracking)
    sha = app.values["berkas_pas_foto"]["sha256"]
    url = f"/backoffice/wilayah/{REGION}/permohonan/{office.tracking}/berkas/{sha}"
    page = office.page("dpmptsp")
    assert f'<img src="{url}"' in page.text
    r = office.as_("dpmptsp").get(url)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"].startswith("image/png") and r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["content-disposition"] == "inline"
    assert office.as_("dinkes").get(url).status_code == 200  # owns a later step
    assert office.as_("disdukcapil").get(url).status_code == 404
    assert office.as_("other_region").get(f"/backoffice/wilayah/{OTHER}/permohonan/{office.tracking}/berkas/{sha}").status_code == 404
    stranger = office.blobs.put(b"\xff\xd8\xff another person's photo")
    assert office.as_("dpmptsp").get(f"/backoffice/wilayah/{REGION}/permohonan/{office.tracking}/berkas/{stranger}").status_code == 404
    views = sql(office.sql_url, lambda s: _all(s, select(AuditEntry).where(AuditEntry.action == "view_file")))
    assert len(views) == 2
