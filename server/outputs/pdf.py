"""The printable output document: one A4 page in Indonesian, with a QR code to its public check.

Drawn with fpdf2's core Helvetica so the PDF needs no embedded font; that font covers Latin-1
only, so every text passes through `latin1()` first (an em dash becomes "-", anything with no
Latin-1 form becomes its closest letters or "?").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from io import BytesIO

import segno
from fpdf import FPDF

from sync.publisher import tanggal

DEVELOPMENT_BANNER = ("DOKUMEN CONTOH - ditandatangani dengan sertifikat pengembangan, bukan Tanda Tangan Elektronik "
                      "BSrE. Tidak berlaku sebagai dokumen resmi.")
OPEN_ENDED = "Berlaku selama masih memenuhi ketentuan"

_ASCII = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
          "\u2026": "...", "\u00a0": " ", "\u2022": "-"}


def latin1(text: str) -> str:
    out = []
    for ch in str(text):
        if ch in _ASCII:
            out.append(_ASCII[ch])
        elif ord(ch) < 256:
            out.append(ch)
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256 and not unicodedata.combining(c))
            out.append(plain or "?")
    return "".join(out)


@dataclass(frozen=True)
class OutputPage:
    title: str  # "Surat Izin Praktik Dokter Gigi"
    number: str
    holder_name: str
    agency_name: str
    region_name: str  # "Kota Batam"
    issued_on: date
    valid_until: date | None
    tracking_number: str
    verify_url: str  # <origin>/verifikasi/<token>
    development: bool


def _qr_png(url: str) -> BytesIO:
    buf = BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=8, border=2)
    buf.seek(0)
    return buf


def render(page: OutputPage) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(page.title))
    pdf.set_author(latin1(page.agency_name))
    pdf.set_creator("MPP Digital")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    if page.development:
        pdf.set_fill_color(255, 235, 230)
        pdf.set_draw_color(180, 35, 24)
        pdf.set_text_color(150, 20, 10)
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(width, 5.5, latin1(DEVELOPMENT_BANNER), border=1, align="C", fill=True,
                       new_x="LMARGIN", new_y="NEXT", padding=2)
        pdf.ln(4)

    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(width, 6, latin1(f"PEMERINTAH {page.region_name}".upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(width, 6.5, latin1(page.agency_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(10)

    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 8, latin1(page.title.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(width, 7, latin1(f"Nomor: {page.number}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)

    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(width, 6, latin1(f"{page.agency_name} {page.region_name} dengan ini menerbitkan {page.title} kepada:"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ("Nama", page.holder_name),
        ("Tanggal terbit", tanggal(page.issued_on)),
        ("Berlaku sampai", tanggal(page.valid_until) if page.valid_until else OPEN_ENDED),
        ("Nomor permohonan", page.tracking_number),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(45, 7, latin1(label))
        pdf.cell(5, 7, ":")
        pdf.set_font("Helvetica", "B" if label == "Nama" else "", 11)
        pdf.multi_cell(width - 50, 7, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width, 5.5, latin1(
        "Dokumen ini ditandatangani secara elektronik. Keasliannya dapat diperiksa dengan memindai kode QR "
        "atau membuka alamat di bawahnya."), new_x="LMARGIN", new_y="NEXT")

    qr_size = 42
    qr_y = pdf.h - 30 - qr_size
    pdf.image(_qr_png(page.verify_url), x=pdf.l_margin, y=qr_y, w=qr_size, h=qr_size)
    pdf.set_xy(pdf.l_margin, qr_y + qr_size + 1)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(width, 4, latin1(page.verify_url), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + qr_size + 20, qr_y + 4)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width - qr_size - 20, 5.5, latin1(f"{page.region_name}, {tanggal(page.issued_on)}\n{page.agency_name}\n\n"
                                                     "Ditandatangani secara elektronik"), align="L")
    return bytes(pdf.output())
