"""What lives in a person's database (`userdb-<account hex>`) and who may write it.

Two kinds of documents:

`draft:<uuid>` — written by the person's devices (the uuid is made on the device)::

    {"_id": "draft:3f0c…", "type": "draft",
     "service_id": "adminduk-kk", "service_version": 3, "region_code": "21.71",
     "applicant": {"kind": "self"},               # or "assisted" (field officers only, see below)
     "values": {"field_id": value, …},            # as the form spec defines them
     "state": "draft" | "submitted",
     "submission_id": null | "<uuid>",            # a new uuid at every "Kirim"
     "created_at": "…Z", "updated_at": "…Z", "submitted_at": null | "…Z",
     "client": "mpp-pwa/0.1"}                     # optional: which app wrote it

`status:<uuid>` (same uuid as its draft) — written only by the server (sync/publisher.py)::

    {"_id": "status:3f0c…", "type": "status", "draft_id": "draft:3f0c…",
     "submission_id": "<uuid>",                   # the submission this status answers
     "state": "received" | "invalid" | "in_process" | "needs_revision" | "approved" | "rejected",
     "tracking_number": "MPP-2171-2026-000123" | null,   # may be null when invalid (a first send)
     "errors": {"field_id": "Indonesian sentence", …},   # only when invalid; keys starting with
                                                         # "_" (_service, _region, _draft) are about
                                                         # the draft as a whole, not one field
     "message": "Indonesian sentence for the person", "next_step": "what to do now",
     "history": [{"at": "…Z", "state": "received", "note": "…"}, …],
     "updated_at": "…Z",
     "purge": true}                               # only when approved/rejected and unchanged for
                                                  # PURGE_AFTER_DAYS: the device may let the draft go

A field officer's draft for someone else carries the person and the officer's checks::

    "applicant": {"kind": "assisted", "nik": "16 digits", "name": "…", "birth_date": "YYYY-MM-DD",
      "identity_check": {"ktp_seen": true, "at": "…Z", "place": "Balai Desa …", "photo": null | {sha256, size, mime, field}},
      "consent": {"given": true, "text_version": "…", "at": "…Z", "signature": null | {sha256, size, mime, field}}}

The two photos are optional; a photo is a blob uploaded like a form's photo answer (JPEG, PNG or
WebP, at most 5 MB) with `field` "_ktp" or "_consent", and the application waits for it.

Only field officers may write one (the gateway knows the role; `check_device_doc` does not).
While the draft is being filled in ("draft") only the types are checked; a submitted one must be
complete (NIK of 16 digits, KTP seen, consent given).

A draft is *locked* while the server holds an application for it in any state other than
`needs_revision`: then a device may only write the submitted revision it already sent again
(same `submission_id`, `state` "submitted"), which replication retries do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sync.blobstore import SHA256_HEX

DRAFT_PREFIX = "draft:"
STATUS_PREFIX = "status:"
WALLET_PREFIX = "wallet:"  # a document in the person's wallet (server-written, like status docs)
SERVER_PREFIXES = (STATUS_PREFIX, WALLET_PREFIX)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DRAFT_ID = re.compile(rf"^draft:{UUID}$")
SUBMISSION_ID = re.compile(rf"^{UUID}$")
MAX_DOC_BYTES = 64 * 1024

DRAFT_STATES = ("draft", "submitted")
STATUS_STATES = ("waiting_for_files", "received", "invalid", "in_review", "needs_revision", "resubmitted", "approved", "completed",
                 "rejected", "withdrawn")
# Fields a device may write on a draft; CouchDB's own (`_id`, `_rev`, `_revisions`, `_deleted`) besides.
DRAFT_FIELDS = {"type", "service_id", "service_version", "region_code", "applicant", "values", "state", "submission_id",
                "created_at", "updated_at", "submitted_at", "client"}
COUCH_FIELDS = {"_id", "_rev", "_revisions", "_deleted", "_conflicts"}
REQUIRED = ("type", "service_id", "service_version", "region_code", "values", "state")


def userdb_name(account_id: str) -> str:
    """`userdb-<hex>`: the account id is already lowercase hex."""
    if not re.fullmatch(r"[0-9a-f]{8,64}", account_id):
        raise ValueError("account id must be lowercase hex")
    return f"userdb-{account_id}"


def status_id(draft_id: str) -> str:
    return STATUS_PREFIX + draft_id[len(DRAFT_PREFIX):]


@dataclass(frozen=True)
class DocRefusal:
    """Why the gateway will not write a document: a stable code (`sync.<reason>`) and details."""

    code: str
    doc_id: str | None
    detail: str = ""


def check_device_doc(doc: Any, *, encoded_size: int | None = None) -> DocRefusal | None:
    """None when a device may write `doc` (as far as the doc alone tells); else why not.

    Locks (a submitted draft the server holds) need SQL and are checked by the gateway.
    """
    if not isinstance(doc, dict):
        return DocRefusal("sync.doc_invalid", None, "not a JSON object")
    doc_id = doc.get("_id")
    if not isinstance(doc_id, str):
        return DocRefusal("sync.doc_invalid", None, "no _id")
    if doc_id.startswith(SERVER_PREFIXES):
        return DocRefusal("sync.server_owned", doc_id)
    if doc_id.startswith("_design/") or doc_id.startswith("_"):
        return DocRefusal("sync.doc_not_allowed", doc_id)
    if not DRAFT_ID.match(doc_id):
        return DocRefusal("sync.doc_not_allowed", doc_id)
    size = encoded_size if encoded_size is not None else len(json.dumps(doc, separators=(",", ":")).encode())
    if size > MAX_DOC_BYTES:
        return DocRefusal("sync.doc_too_large", doc_id, str(size))
    if "_attachments" in doc:
        return DocRefusal("sync.attachment_refused", doc_id)
    unknown = set(doc) - DRAFT_FIELDS - COUCH_FIELDS
    if unknown:
        return DocRefusal("sync.field_not_allowed", doc_id, ", ".join(sorted(unknown)))
    if doc.get("_deleted") is True:
        return None  # a person may delete their own unlocked draft (the gateway checks the lock)
    missing = [f for f in REQUIRED if f not in doc]
    if missing or doc.get("type") != "draft" or doc.get("state") not in DRAFT_STATES or not isinstance(doc.get("values"), dict):
        return DocRefusal("sync.doc_invalid", doc_id, ", ".join(missing) or "type/state/values")
    if doc["state"] == "submitted" and not (isinstance(doc.get("submission_id"), str) and SUBMISSION_ID.match(doc["submission_id"])):
        return DocRefusal("sync.doc_invalid", doc_id, "submission_id")
    problem = applicant_problem(doc.get("applicant"), submitted=doc["state"] == "submitted")
    if problem:
        return DocRefusal("sync.doc_invalid", doc_id, problem)
    return None


APPLICANT_FIELDS = {"kind", "nik", "name", "birth_date", "identity_check", "consent"}
CHECK_FIELDS = {"ktp_seen", "at", "place", "photo"}
CONSENT_FIELDS = {"given", "text_version", "at", "signature"}
FILE_FIELDS = {"sha256", "size", "mime", "field"}
# The applicant's optional photos: blobs uploaded like a form's photo answers (sync.files waits
# for them), each naming a `field` no form field can take.
KTP_PHOTO, CONSENT_PHOTO = "_ktp", "_consent"
PHOTO_MIME = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 5 * 1024 * 1024  # as sync.blobs.MAX_FILE_BYTES
NIK = re.compile(r"^[0-9]{16}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def is_assisted(doc: Any) -> bool:
    applicant = doc.get("applicant") if isinstance(doc, dict) else None
    return isinstance(applicant, dict) and applicant.get("kind") == "assisted"


def _photo_ok(ref: Any, field: str) -> bool:
    """None, or a photo reference as the device writes it for this part of the applicant block."""
    if ref is None:
        return True
    if not isinstance(ref, dict) or set(ref) != FILE_FIELDS:
        return False
    sha256, size = ref["sha256"], ref["size"]
    return (isinstance(sha256, str) and SHA256_HEX.match(sha256) is not None
            and isinstance(size, int) and not isinstance(size, bool) and 0 < size <= MAX_PHOTO_BYTES
            and ref["mime"] in PHOTO_MIME and ref["field"] == field)


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) and len(value) <= limit


def applicant_problem(applicant: Any, *, submitted: bool) -> str | None:
    """Which part of `applicant` is malformed ("applicant.nik", …), or None. Not who may write it."""
    if applicant is None:
        return None
    if not isinstance(applicant, dict) or applicant.get("kind") not in ("self", "assisted"):
        return "applicant.kind"
    if applicant["kind"] == "self":
        return None if set(applicant) == {"kind"} else "applicant"
    if set(applicant) - APPLICANT_FIELDS:
        return "applicant"
    check, consent = applicant.get("identity_check"), applicant.get("consent")
    for key, ok in (("nik", lambda v: isinstance(v, str) and len(v) <= 32),
                    ("name", lambda v: isinstance(v, str) and len(v) <= 120),
                    ("birth_date", lambda v: isinstance(v, str) and len(v) <= 10),
                    ("identity_check", lambda v: isinstance(v, dict) and not set(v) - CHECK_FIELDS),
                    ("consent", lambda v: isinstance(v, dict) and not set(v) - CONSENT_FIELDS)):
        if key in applicant and applicant[key] is not None and not ok(applicant[key]):
            return f"applicant.{key}"
    if isinstance(check, dict) and not _photo_ok(check.get("photo"), KTP_PHOTO):
        return "applicant.identity_check.photo"
    if isinstance(consent, dict) and not _photo_ok(consent.get("signature"), CONSENT_PHOTO):
        return "applicant.consent.signature"
    if not submitted:
        return None
    if not (isinstance(applicant.get("nik"), str) and NIK.match(applicant["nik"])):
        return "applicant.nik"
    if not _text(applicant.get("name"), 120):
        return "applicant.name"
    if not (isinstance(applicant.get("birth_date"), str) and ISO_DATE.match(applicant["birth_date"])):
        return "applicant.birth_date"
    if not isinstance(check, dict) or check.get("ktp_seen") is not True or not _text(check.get("at"), 40) \
            or not _text(check.get("place"), 200):
        return "applicant.identity_check"
    if not isinstance(consent, dict) or consent.get("given") is not True or not _text(consent.get("text_version"), 60) \
            or not _text(consent.get("at"), 40):
        return "applicant.consent"
    return None
