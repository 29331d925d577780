"""Issuing a SIP end to end on a real, migrated database: the signed PDF validates against the
development CA, the holder gets the blob and a wallet entry, and the QR's page tells the truth
(valid, revoked, unknown) while showing only the masked name."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from io import BytesIO

import pytest
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.crypto import PiiCipher
from identity.models import Account
from server.catalog.models import RegionService, ServiceVersion
from server.db import make_engine
from server.outputs.issue import issue_output
from server.outputs.signing import DevelopmentSigner
from server.outputs.tokens import make_token, token_secret
from sync.blobstore import FileBlobStore
from sync.models import Application, Blob, BlobOwner, IssuedDocument, WalletDocument, WorkflowStep
from tests.factories import new_hex, run, seed_regions

SERVICE, REGION = "nakes-sip-dokter-gigi", "21.71"
HOLDER = "Budi Santoso"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def seeded(settings, fresh_couch):
    seed_regions(settings.database.url, fresh_couch, (REGION,))
    return settings


async def _make_application(session: AsyncSession, settings, *, assisted: bool = False) -> Application:
    cipher = PiiCipher(settings.pii_key)
    nik_hash = cipher.lookup_hash("nik", "2171015505900001")
    holder = Account(id=new_hex(), kind="citizen", display_name=HOLDER, nik_hash=nik_hash, assurance="verified")
    officer = Account(id=new_hex(), kind="staff", display_name="Petugas", assurance="verified")
    session.add_all([holder, officer])
    version = (await session.get(RegionService, (REGION, SERVICE))).current_version
    content = (await session.exec(select(ServiceVersion).where(
        ServiceVersion.region_code == REGION, ServiceVersion.service_id == SERVICE, ServiceVersion.version == version))).one().content
    await session.flush()
    app = Application(draft_id=f"draft:{new_hex()}", account_id=officer.id if assisted else holder.id, region_code=REGION,
                      service_id=SERVICE, service_version=version, tracking_number="MPP-2171-2026-000042", state="approved",
                      submission_id=new_hex(), applicant_kind="assisted" if assisted else "self",
                      applicant_nik_hash=nik_hash if assisted else None)
    session.add(app)
    await session.flush()
    for position, step in enumerate(content["steps"]):
        session.add(WorkflowStep(application_id=app.id, position=position, name=step["name_id"], agency_kind=step["agency"],
                                 step_id=step["id"], issues_output=step["id"] == "penerbitan", state="done"))
    await session.commit()
    return app


def _issue(settings, *, assisted: bool = False, twice: bool = False, revoke: bool = False):
    """Make an application, issue its output (twice if asked), and return what was stored."""

    async def go():
        engine = make_engine(settings.database.url)
        signer = DevelopmentSigner(settings.var_dir)
        blobs = FileBlobStore(settings.blob_dir)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                app = await _make_application(session, settings, assisted=assisted)
                kwargs = dict(signer=signer, blobs=blobs, secret=token_secret(settings), origin=settings.web.public_origin,
                              holder_name=HOLDER, issued_by="system", rule="sla_auto_issue", now=NOW)
                doc = await issue_output(session, app, **kwargs)
                await session.commit()
                again = await issue_output(session, app, **kwargs) if twice else None
                if revoke:
                    doc.revoked_at, doc.revoked_reason = NOW + timedelta(days=1), "STR tidak berlaku"
                    session.add(doc)
                await session.commit()
                rows = {m: list((await session.exec(select(m))).all())
                        for m in (IssuedDocument, Blob, BlobOwner, WalletDocument)}
                return app, doc, again, rows, signer.ca_certificate_pem()
        finally:
            await engine.dispose()

    return run(go())


def _verify_path(settings, doc: IssuedDocument) -> str:
    return f"/verifikasi/{make_token(token_secret(settings), doc.token_id)}"


def test_an_issued_sip_is_signed_by_the_development_ca_and_numbered_for_its_application(seeded):
    app, doc, _, rows, ca_pem = _issue(seeded)
    assert doc.number == "SIP/2171/2026/000042" and doc.title == "Surat Izin Praktik Dokter Gigi" and doc.kind == "sip"
    assert (doc.agency_kind, doc.development, doc.holder_name_masked) == ("dpmptsp", True, "B*** S******")
    assert doc.valid_until == date(2031, 11, 23) and doc.rule == "sla_auto_issue"
    assert "Penanaman Modal" in doc.agency_name and app.state == "approved"  # the caller changes the state

    pdf = FileBlobStore(seeded.blob_dir).path_of(doc.sha256).read_bytes()
    assert len(pdf) == doc.size
    ca = x509.Certificate.load(pem.unarmor(ca_pem)[2])
    (signature,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[ca]))
    assert status.intact and status.valid and status.trusted
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    # the QR and the line under it carry the verification URL of this document's token
    assert f"{seeded.web.public_origin}{_verify_path(seeded, doc)}".encode() in _inflated(pdf)
    assert HOLDER.encode() in _inflated(pdf)

    (blob,) = rows[Blob]
    assert (blob.sha256, blob.mime, blob.size) == (doc.sha256, "application/pdf", doc.size)
    assert [(o.account_id, o.sha256) for o in rows[BlobOwner]] == [(app.account_id, doc.sha256)]
    (wallet,) = rows[WalletDocument]
    assert (wallet.source, wallet.requirement_id, wallet.sha256, wallet.account_id) == ("issued", "sip", doc.sha256, app.account_id)
    assert (wallet.issued_document_id, wallet.application_id, wallet.verified_by) == (doc.id, app.id, "system")
    assert wallet.nik_hash == doc.holder_nik_hash and wallet.verified_by_agency == doc.agency_name


def test_issuing_twice_gives_the_same_document(seeded):
    _, doc, again, rows, _ = _issue(seeded, twice=True)
    assert again.id == doc.id and again.token_id == doc.token_id
    assert len(rows[IssuedDocument]) == len(rows[Blob]) == len(rows[WalletDocument]) == 1


def test_an_assisted_applicant_with_an_account_owns_the_document_not_the_officer(seeded):
    app, doc, _, rows, _ = _issue(seeded, assisted=True)
    assert doc.account_id is not None and doc.account_id != app.account_id
    assert [o.account_id for o in rows[BlobOwner]] == [doc.account_id]
    assert rows[WalletDocument][0].nik_hash == app.applicant_nik_hash


def test_the_verification_page_shows_the_document_with_the_name_masked(seeded, client):
    _, doc, _, _, _ = _issue(seeded)
    response = client.get(_verify_path(seeded, doc))
    assert response.status_code == 200
    page = response.text
    assert doc.number in page and "B*** S******" in page and HOLDER not in page and "Santoso" not in page
    assert "Surat Izin Praktik Dokter Gigi" in page and "23 November 2026" in page and "23 November 2031" in page
    assert re.search(r"<strong[^>]*>Sah</strong>", page) and doc.agency_name in page
    assert '<meta name="robots" content="noindex">' in page and "DOKUMEN CONTOH" in page


def test_a_tampered_or_unknown_token_is_not_found_and_both_look_the_same(seeded, client):
    _, doc, _, _, _ = _issue(seeded)
    path = _verify_path(seeded, doc)
    tampered = client.get(path[:-1] + ("A" if path[-1] != "A" else "B"))
    unknown = client.get(f"/verifikasi/{make_token(token_secret(seeded), '0' * 20)}")
    for response in (tampered, unknown):
        assert response.status_code == 404
        assert "Dokumen tidak ditemukan. Periksa kembali kode QR atau tautan." in response.text
        assert doc.number not in response.text
    assert tampered.text == unknown.text


def test_a_revoked_document_says_dicabut(seeded, client):
    _, doc, _, _, _ = _issue(seeded, revoke=True)
    page = client.get(_verify_path(seeded, doc)).text
    assert re.search(r"<strong[^>]*>Dicabut</strong>", page) and ">Sah<" not in page


def _inflated(pdf: bytes) -> bytes:
    import zlib

    out = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            pass
    return b"\n".join(out)
