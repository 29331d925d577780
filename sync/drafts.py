"""What lives in a person's database (`userdb-<account hex>`) and who may write it.

Two kinds of documents:

`draft:<uuid>` — written by the person's devices (the uuid is made on the device)::

    {"_id": "draft:3f0c…", "type": "draft",
     "service_id": "adminduk-kk", "service_version": 3, "region_code": "21.71",
     "applicant": {"kind": "self"},               # field officers add other kinds later
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
     "updated_at": "…Z"}

A draft is *locked* while the server holds an application for it in any state other than
`needs_revision`: then a device may only write the submitted revision it already sent again
(same `submission_id`, `state` "submitted"), which replication retries do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DRAFT_PREFIX = "draft:"
STATUS_PREFIX = "status:"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DRAFT_ID = re.compile(rf"^draft:{UUID}$")
SUBMISSION_ID = re.compile(rf"^{UUID}$")
MAX_DOC_BYTES = 64 * 1024

DRAFT_STATES = ("draft", "submitted")
STATUS_STATES = ("received", "invalid", "in_process", "needs_revision", "approved", "rejected")
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
    if doc_id.startswith(STATUS_PREFIX):
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
    return None
