"""Output documents without any store: QR tokens, masked names, titles, dates and the PDF itself."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import zlib
from datetime import date, datetime, timezone
from types import SimpleNamespace

import httpx
import pytest
from cryptography import x509

from server.outputs.issue import add_years, document_number, document_title, local_date, mask_name
from server.outputs.pdf import OutputPage, latin1, render
from server.outputs.signing import BsreSigner, DevelopmentSigner, SigningUnavailable, make_signer
from server.outputs.tokens import make_token, new_token_id, read_token
from server.settings import ConfigError

SECRET = b"k" * 32
NIK = "3171010101900001"


def test_a_token_reads_back_to_its_id_and_carries_nothing_else():
    token_id = new_token_id()
    token = make_token(SECRET, token_id)
    assert re.fullmatch(r"[0-9a-f]{20}\.[A-Za-z0-9_-]{22}", token)
    assert read_token(SECRET, token) == token_id


def test_an_altered_forged_or_malformed_token_reads_as_nothing():
    token_id = new_token_id()
    token = make_token(SECRET, token_id)
    other_id = new_token_id()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, other_id + token[20:], make_token(b"x" * 32, token_id), token_id, "", ".", token + "x",
                "é" + token[1:]):
        assert read_token(SECRET, bad) is None, bad


def test_a_name_is_masked_letter_by_letter_except_each_first():
    assert mask_name("Budi Santoso") == "B*** S******"
    assert mask_name("  drg. Siti  ") == "d*** S***"
    assert mask_name("") == ""


def test_the_title_stops_before_how_the_document_is_delivered():
    assert document_title("Surat Izin Praktik Dokter Gigi elektronik ber-TTE dan QR Code") == "Surat Izin Praktik Dokter Gigi"
    assert document_title("Kartu Keluarga ber-TTE dan QR Code (cetak mandiri)") == "Kartu Keluarga"
    assert document_title("Kartu Identitas Anak (KIA)") == "Kartu Identitas Anak"


def test_the_number_uses_the_output_region_year_and_tracking_sequence():
    assert document_number("sip", "21.71", 2026, "MPP-2171-2026-000123") == "SIP/2171/2026/000123"


def test_the_issue_day_is_the_regions_own_calendar_day():
    late = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)
    assert local_date("21.71", late) == date(2026, 11, 22)  # Batam, WIB 23:30
    assert local_date("51.71", late) == date(2026, 11, 23)  # Denpasar, WITA 00:30
    assert local_date("94.71", late) == date(2026, 11, 23)  # Jayapura, WIT 01:30
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)


def _text_of(pdf: bytes) -> str:
    """The PDF's page content, inflated: fpdf2 writes text as literal strings in Flate streams."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    # each line of text is one literal: join them so a sentence wrapped over two lines reads whole
    return " ".join(re.findall(r"\((.*?)\) Tj", "\n".join(out)))


def _page(**changes) -> OutputPage:
    values = dict(title="Surat Izin Praktik Dokter Gigi", number="SIP/2171/2026/000123", holder_name="Budi Santoso",
                  agency_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", region_name="Kota Batam",
                  issued_on=date(2026, 11, 23), valid_until=date(2031, 11, 23), tracking_number="MPP-2171-2026-000123",
                  verify_url="http://localhost:8000/verifikasi/abc.def", development=True)
    return OutputPage(**{**values, **changes})


def test_a_development_pdf_is_an_a4_page_that_says_it_is_not_official():
    pdf = render(_page())
    text = _text_of(pdf)
    assert pdf.startswith(b"%PDF-") and b"/MediaBox [0 0 595.28 841.89]" in pdf
    assert "DOKUMEN CONTOH - ditandatangani dengan sertifikat pengembangan, bukan Tanda Tangan Elektronik BSrE." in text
    assert "Tidak berlaku sebagai dokumen resmi." in text
    assert "SURAT IZIN PRAKTIK DOKTER GIGI" in text and "SIP/2171/2026/000123" in text
    assert "23 November 2026" in text and "23 November 2031" in text
    assert "http://localhost:8000/verifikasi/abc.def" in text and b"/Subtype /Image" in pdf


def test_a_production_pdf_has_no_banner_and_an_open_ended_validity_is_said_in_words():
    text = _text_of(render(_page(development=False, valid_until=None)))
    assert "DOKUMEN CONTOH" not in text
    assert "Berlaku selama masih memenuhi ketentuan" in text


def test_text_outside_latin1_is_replaced_not_fatal():
    assert latin1("Praktik — Dokter “Gigi” Ōsaka 漢") == 'Praktik - Dokter "Gigi" Osaka ?'
    assert _text_of(render(_page(holder_name="Ni Luh — Ayu 漢"))).count("Ni Luh - Ayu ?") == 1


# --- signers -------------------------------------------------------------------------------------


def test_the_development_chain_is_made_once_private_and_reused(tmp_path):
    first = DevelopmentSigner(tmp_path)
    ca = first.ca_certificate_pem()
    files = list((tmp_path / "signing").iterdir())
    assert [f.name for f in files] == ["development-chain.pem"]
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert DevelopmentSigner(tmp_path).ca_certificate_pem() == ca
    cert = x509.load_pem_x509_certificate(ca)
    assert cert.subject.rfc4514_string().startswith("CN=MPP Digital Development CA - BUKAN UNTUK PRODUKSI")
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def _bsre(handler) -> tuple[BsreSigner, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return BsreSigner("https://esign.example.go.id/", NIK, "rahasia", transport=httpx.MockTransport(record)), seen


def test_bsre_gets_the_pdf_nik_passphrase_and_invisible_and_its_answer_is_the_signed_pdf():
    signer, seen = _bsre(lambda request: httpx.Response(200, content=b"%PDF-1.7 signed"))
    signed = asyncio.run(signer.sign(b"%PDF-1.3 plain", reason="r", location="l", signer_name="n"))
    assert signed == b"%PDF-1.7 signed" and signer.development is False
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://esign.example.go.id/api/sign/pdf"
    body = request.read()
    assert request.headers["content-type"].startswith("multipart/form-data")
    for part in (b'name="nik"\r\n\r\n' + NIK.encode(), b'name="passphrase"\r\n\r\nrahasia',
                 b'name="tampilan"\r\n\r\ninvisible', b'name="file"; filename="dokumen.pdf"', b"%PDF-1.3 plain"):
        assert part in body
    assert NIK not in repr(signer) and "rahasia" not in repr(signer)


@pytest.mark.parametrize("answer", [httpx.Response(400, json={"error": f"NIK {NIK} passphrase salah"}),
                                    httpx.Response(503, text="maintenance"), httpx.Response(200, text="<html>")])
def test_bsre_errors_become_signing_unavailable_without_personal_data(answer):
    signer, _ = _bsre(lambda request: answer)
    with pytest.raises(SigningUnavailable) as caught:
        asyncio.run(signer.sign(b"%PDF-1.3", reason="r", location="l", signer_name="n"))
    assert NIK not in str(caught.value) and NIK not in repr(caught.value.args)


def test_bsre_unreachable_becomes_signing_unavailable():
    def down(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    signer, _ = _bsre(down)
    with pytest.raises(SigningUnavailable) as caught:
        asyncio.run(signer.sign(b"%PDF-1.3", reason="r", location="l", signer_name="n"))
    assert caught.value.reason == "ConnectTimeout" and caught.value.__cause__ is None


def test_the_signer_is_the_development_one_unless_bsre_is_configured(monkeypatch, tmp_path):
    settings = SimpleNamespace(var_dir=tmp_path, production=False)
    monkeypatch.delenv("SIGNING_BACKEND", raising=False)
    assert isinstance(make_signer(settings), DevelopmentSigner)
    monkeypatch.setenv("SIGNING_BACKEND", "bsre")
    with pytest.raises(ConfigError, match="BSRE_URL is not set"):
        make_signer(settings)
    monkeypatch.setenv("BSRE_URL", "https://esign.example.go.id")
    monkeypatch.setenv("BSRE_NIK", NIK)
    monkeypatch.setenv("BSRE_PASSPHRASE", "rahasia")
    signer = make_signer(settings)
    assert isinstance(signer, BsreSigner) and signer.base_url == "https://esign.example.go.id"
    monkeypatch.setenv("SIGNING_BACKEND", "hsm")
    with pytest.raises(ConfigError, match="not known"):
        make_signer(settings)
