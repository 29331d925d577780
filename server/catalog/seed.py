"""Turns the project's seed catalog (data/services.json) into service templates and agencies.

The seed lists what a service needs; a standar pelayanan also needs the procedure steps with
the agency owning each, the complaints channel, the identity assurance and whether the output
is issued automatically when the SLA lapses. Those are derived here, once, from the seed's
category — a region admin can change steps, SLA, fee and requirements afterwards.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

AGENCY_KINDS = {"Disdukcapil": "disdukcapil", "Dinas Kesehatan": "dinkes", "DPMPTSP": "dpmptsp"}

# (kind, short name, full-name pattern) of the agencies every demo region gets
AGENCIES = [
    ("disdukcapil", "Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil {region}"),
    ("dinkes", "Dinas Kesehatan", "Dinas Kesehatan {region}"),
    ("dpmptsp", "DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu {region}"),
]

STEPS = {
    "adminduk": [
        {"id": "verifikasi_berkas", "name_id": "Verifikasi berkas dan data kependudukan", "agency": "disdukcapil"},
        {"id": "penerbitan", "name_id": "Penerbitan dokumen ber-TTE", "agency": "disdukcapil"},
    ],
    # SIP: DPMPTSP checks the file, Dinas Kesehatan verifies technically, the delegated agency issues
    "perizinan_nakes": [
        {"id": "pemeriksaan_berkas", "name_id": "Pemeriksaan kelengkapan berkas", "agency": "dpmptsp"},
        {"id": "verifikasi_teknis", "name_id": "Verifikasi teknis", "agency": "dinkes"},
        {"id": "penerbitan", "name_id": "Penerbitan SIP", "agency": "dpmptsp"},
    ],
}

COMPLAINT_CHANNEL = {
    "name": "SP4N-LAPOR!",
    "url": "https://www.lapor.go.id",
    "sms": "1708",
    "note_id": "Pengaduan juga dapat disampaikan langsung di loket pengaduan MPP atau melalui menu pengaduan aplikasi ini.",
}

# services that change a person's registered identity need an in-person KTP check
VERIFIED_ASSURANCE = {"adminduk-kk", "adminduk-ktp-el", "adminduk-pindah-keluar", "adminduk-pindah-datang", "adminduk-perubahan-biodata"}


@cache
def seed_services() -> list[dict[str, Any]]:
    return json.loads((DATA / "services.json").read_text(encoding="utf-8"))["services"]


def _requirement(req: dict[str, Any]) -> dict[str, Any]:
    source = req.get("source", "upload")
    return {
        "id": req["id"],
        "label_id": req["label_id"],
        "required": bool(req.get("required", False)),
        "source": source,
        "when": req.get("when"),
        "alternative_to": req.get("alternative_to"),
        # once-only: taken from a national registry instead of uploaded, or picked from the wallet
        "from_registry": source in ("ikd", "sisdmk"),
        "from_wallet": source == "upload",
        # the person shows the original at the counter (recording, checks, collecting the result)
        "bring_original": bool(req.get("bring_original", False)),
    }


UPLOAD_HELP = "Unggah foto atau PDF, pilih dari dompet dokumen, atau tunjukkan aslinya kepada petugas."
DOCUMENT_MIME = ["image/jpeg", "image/png", "image/webp", "application/pdf"]


def requirement_fields(fields: list[dict[str, Any]], requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The form with a document field for every requirement the person uploads (source
    "upload"), linked by `requirement`: a field already named after the requirement gets the
    link, the others are added, optional — the operator's checklist says what is missing, and
    a document from the person's wallet can be picked instead of uploading again."""
    out = [dict(f) for f in fields]
    ids = {f["id"] for f in out}
    for req in requirements:
        if req.get("source", "upload") != "upload":
            continue
        same = next((f for f in out if f["id"] == req["id"] and f.get("type") in ("file", "photo", "document")), None)
        if same is not None:
            same.setdefault("requirement", req["id"])
            continue
        field_id = f"berkas_{req['id']}"[:60]
        if field_id in ids:
            continue
        field = {"id": field_id, "label_id": req["label_id"], "type": "file", "accept": DOCUMENT_MIME, "required": False,
                 "requirement": req["id"], "help_id": UPLOAD_HELP}
        if req.get("when"):
            field["when"] = req["when"]
        out.append(field)
        ids.add(field_id)
    return out


def template_of(seed: dict[str, Any]) -> dict[str, Any]:
    """The standar pelayanan content of one seed entry (before any regional override)."""
    sla_note = seed.get("sla_note", "")
    return {
        "name_id": seed["name_id"],
        "name_en": seed["name_en"],
        "short_name": seed.get("short_name"),
        "category": seed["category"],
        "subcategory": seed.get("subcategory", ""),
        "owner_agency": AGENCY_KINDS[seed["agency"]],
        "co_agencies": [AGENCY_KINDS.get(a, a) for a in seed.get("co_agencies", [])],
        "agency_note": seed.get("agency_note"),
        "requirements": [_requirement(r) for r in seed.get("requirements", [])],
        "removed_requirements": seed.get("removed_requirements", []),
        "steps": [dict(step) for step in STEPS[seed["category"]]],
        "sla_days": int(seed["sla_days"]),
        "sla_note": sla_note,
        "fee_idr": int(seed.get("fee_idr", 0)),
        "fee_note": seed.get("fee_note"),
        "output": seed["output"],
        "validity": seed.get("validity"),
        "legal_basis": list(seed.get("legal_basis", [])),
        "complaint_channel": COMPLAINT_CHANNEL,
        "assurance": "verified" if seed["id"] in VERIFIED_ASSURANCE else "basic",
        # Keputusan Bersama 9 Sept 2025: SIP is issued automatically on day 5 without a decision
        "auto_issue_on_sla": seed["category"] == "perizinan_nakes",
        "data_sources": seed.get("data_sources", []),
        "form_fields": requirement_fields(seed.get("form_fields", []), seed.get("requirements", [])),
        "uncertain": bool(seed.get("uncertain", False)),
    }


DEMO_HOURS = "Senin–Jumat 08.00–15.00"  # demo data: each region enters its own


def agencies_for(region_name: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "short_name": short,
            "name": pattern.format(region=region_name),
            "locations": [{"name": f"Mal Pelayanan Publik {region_name}", "address": "", "counters": [f"Loket {short} 1", f"Loket {short} 2"],
                           "hours": DEMO_HOURS}],
        }
        for kind, short, pattern in AGENCIES
    ]
