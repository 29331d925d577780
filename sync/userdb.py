"""A person's own CouchDB database, `userdb-<account hex>`: creating it, and what a device may
write to it through `/sync/me`.

The gateway is the guard: it talks to CouchDB as the service admin and inspects every document
a device writes (`screen_docs`). The database's own `_security` (service admin only) and the
`validate_doc_update` in `_design/mpp` are defence in depth for any write that does not come
through the gateway; a validation function runs on every write path, replication's
`new_edits: false` included. The design doc is installed on Apache CouchDB only: PouchDB
Server's validation plugin drops replicated updates of existing docs (see
`CouchClient.runs_validation_on_replication`), and it lets anonymous `_bulk_docs` past
`_security` anyway (recipes §2 pitfall 1) — on the embedded server the gateway is the only way in,
since it listens on 127.0.0.1 with generated admin credentials.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync.couch import CouchClient
from sync.drafts import DRAFT_ID, MAX_DOC_BYTES, DocRefusal, check_device_doc, is_assisted, userdb_name
from sync.errors import DOC_REFUSALS, BodyInvalid, CouchUnavailable, DocRefused

DESIGN_ID = "_design/mpp"

# CouchDB 3 "validate_doc_update" (docs.couchdb.org, Design Documents §Validate Document Update
# Functions): throw({forbidden}) refuses the write with 403. Server admins (the gateway, the
# publisher) pass; anyone else may only write plain drafts. (Membership is `_security`'s job:
# PouchDB Server does not hand `secObj` to validation on every write path.)
VALIDATE = r"""function (newDoc, oldDoc, userCtx) {
  if ((userCtx.roles || []).indexOf('_admin') !== -1) { return; }
  var id = String(newDoc._id || '');
  if (id.indexOf('_design/') === 0) { throw({forbidden: 'Dokumen desain hanya diubah oleh server.'}); }
  if (id.indexOf('status:') === 0 || id.indexOf('wallet:') === 0) { throw({forbidden: 'Status permohonan dan dompet dokumen hanya ditulis oleh server.'}); }
  if (!/^draft:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw({forbidden: 'Perangkat hanya boleh menulis draf permohonan.'});
  }
  if (newDoc._attachments) { throw({forbidden: 'Lampiran dikirim lewat unggahan foto, bukan lewat sinkronisasi.'}); }
  if (!newDoc._deleted && newDoc.type !== 'draft') { throw({forbidden: 'Draf permohonan tidak sah.'}); }
}"""

DESIGN_DOC = {"_id": DESIGN_ID, "language": "javascript", "validate_doc_update": VALIDATE}


async def ensure_userdb(couch: CouchClient, account_id: str) -> str:
    """Create the person's database if needed, with `_security` (service admin only) and, where
    the server allows it, the current `_design/mpp`; idempotent and safe when two processes do
    it at once."""
    db = userdb_name(account_id)
    await couch.ensure_db(db)
    if await couch.runs_validation_on_replication():
        await install_validation(couch, db)
    return db


async def install_validation(couch: CouchClient, db: str) -> None:
    """Write `_design/mpp` unless the current one is already there."""
    for _ in range(3):
        current = await couch.get_doc(db, DESIGN_ID)
        if current is not None and {k: v for k, v in current.items() if k != "_rev"} == DESIGN_DOC:
            return
        doc = {**DESIGN_DOC, "_rev": current["_rev"]} if current else DESIGN_DOC
        result = (await couch.bulk_docs(db, [doc]))[0]
        if "error" not in result:
            return
        if result["error"] != "conflict":  # a conflict: another process wrote it; look again
            raise CouchUnavailable(f"could not write {DESIGN_ID} ({result['error']})")
    raise CouchUnavailable(f"could not write {DESIGN_ID} (kept conflicting)")


class UserDbs:
    """`ensure_userdb` once per database per process; later requests skip the round trips."""

    def __init__(self, couch: CouchClient):
        self.couch = couch
        self._known: set[str] = set()
        self._pending: dict[str, asyncio.Lock] = {}

    async def ensure(self, account_id: str) -> str:
        db = userdb_name(account_id)
        if db in self._known:
            return db
        lock = self._pending.setdefault(db, asyncio.Lock())  # one person's first requests wait for one creation
        async with lock:
            if db not in self._known:
                await ensure_userdb(self.couch, account_id)
                self._known.add(db)
        self._pending.pop(db, None)
        return db

    def forget(self, db: str) -> None:
        """The database was found missing (removed by an operator): make it again on next use."""
        self._known.discard(db)


# --- what a device writes ----------------------------------------------------------------------


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no numbers that overflow, valid UTF-8 — whatever we accept we
    can write back out exactly as CouchDB will read it."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BodyInvalid(f"malformed JSON: {type(exc).__name__}") from exc


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("ascii")  # \u-escapes: even a lone surrogate encodes


@dataclass(frozen=True)
class BulkDocs:
    """A parsed `_bulk_docs` request."""

    docs: list[Any]
    new_edits: bool | None = None  # False: replication writes revisions as they are


def parse_bulk_docs(raw: bytes) -> BulkDocs:
    body = parse_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("docs"), list) or set(body) - {"docs", "new_edits"}:
        raise BodyInvalid("expected {docs: [...], new_edits?}")
    if "new_edits" in body and not isinstance(body["new_edits"], bool):
        raise BodyInvalid("new_edits must be true or false")
    return BulkDocs(body["docs"], body.get("new_edits"))


def draft_ids(docs: Iterable[Any]) -> list[str]:
    """The draft ids among `docs`, to ask SQL which of them are locked."""
    return sorted({d["_id"] for d in docs if isinstance(d, dict) and isinstance(d.get("_id"), str) and DRAFT_ID.match(d["_id"])})


def lock_refusal(doc: dict, locked: dict[str, str]) -> DocRefusal | None:
    """A locked draft may only be written again as the submission the server holds (a
    replication retry of what it already has): same `submission_id`, state "submitted"."""
    doc_id = doc["_id"]
    if doc_id not in locked:
        return None
    if doc.get("_deleted") is not True and doc.get("state") == "submitted" and doc.get("submission_id") == locked[doc_id]:
        return None
    return DocRefusal("sync.draft_locked", doc_id)


def screen_doc(doc: Any, locked: dict[str, str], encoded: bytes | None = None, *, assisted: bool = False) -> DocRefusal | None:
    """Why a device may not write `doc` (JSON `encoded`, if already made) to its own database, or None.

    `assisted`: the writer is a field officer, who may file drafts for other people."""
    if encoded is None and isinstance(doc, dict):
        encoded = encode(doc)
    refusal = check_device_doc(doc, encoded_size=None if encoded is None else len(encoded)) or lock_refusal(doc, locked)
    if refusal is None and not assisted and doc.get("_deleted") is not True and is_assisted(doc):
        return DocRefusal("sync.assisted_not_allowed", doc["_id"])
    return refusal


@dataclass
class Screened:
    """The docs of one write, split into those to forward and those refused (by position)."""

    total: int
    accepted: list[tuple[int, dict]] = field(default_factory=list)
    refused: list[tuple[int, DocRefusal]] = field(default_factory=list)
    encoded: list[bytes] = field(default_factory=list)  # JSON of each accepted doc, made once for the size check

    def upstream_body(self, new_edits: bool | None) -> bytes:
        """`{"docs": [...], "new_edits"?}` from the docs' JSON as already encoded."""
        tail = b"" if new_edits is None else b',"new_edits":' + (b"true" if new_edits else b"false")
        return b'{"docs":[' + b",".join(self.encoded) + b"]" + tail + b"}"


def screen_docs(docs: list[Any], locked: dict[str, str], *, assisted: bool = False) -> Screened:
    screened = Screened(total=len(docs))
    for position, doc in enumerate(docs):
        encoded = encode(doc) if isinstance(doc, dict) else None
        refusal = screen_doc(doc, locked, encoded, assisted=assisted)
        if refusal is None:
            screened.accepted.append((position, doc))
            screened.encoded.append(encoded)  # type: ignore[arg-type]  # accepted docs are dicts
        else:
            screened.refused.append((position, refusal))
    return screened


def merge_bulk_results(screened: Screened, upstream: list[Any], refusal_rows: dict[int, dict]) -> list[Any]:
    """CouchDB's answer for the forwarded docs, with a row for each refused doc.

    With `new_edits: true` CouchDB answers one row per doc, in order, and the refusals go back
    where their docs were. With `new_edits: false` it answers only the failures; then order
    carries no meaning and the refusals are appended.
    """
    if len(upstream) != len(screened.accepted):
        return [*upstream, *(refusal_rows[p] for p, _ in screened.refused)]
    rows: list[Any] = []
    answers = iter(upstream)
    for position in range(screened.total):
        rows.append(refusal_rows[position] if position in refusal_rows else next(answers))
    return rows


def written(screened: Screened, upstream: list[Any]) -> int:
    """How many of the forwarded docs CouchDB wrote (its failures carry an `error`)."""
    failures = sum(1 for row in upstream if isinstance(row, dict) and "error" in row)
    return max(len(screened.accepted) - failures, 0)


def refusal_error(refusal: DocRefusal) -> DocRefused:
    """The exception (and safe details for the message) for one refused document."""
    details: dict[str, object] = {"doc_id": refusal.doc_id}
    if refusal.code == "sync.doc_too_large":
        details.update(size_kb=math.ceil(int(refusal.detail or 0) / 1024), limit_kb=MAX_DOC_BYTES // 1024)
    elif refusal.code == "sync.budget_full":
        details["limit"] = int(refusal.detail)
    elif refusal.code == "sync.field_not_allowed":
        details["fields"] = refusal.detail
    elif refusal.detail:
        details["problem"] = refusal.detail
    return DOC_REFUSALS.get(refusal.code, DocRefused)(f"{refusal.code}: {refusal.detail}", **details)
