"""Importing an "Ekspor yang belum terkirim" file at the counter: a phone that could not sync
hands its unsent drafts and their photos and documents to an officer, who files them exactly
as if the phone had replicated them.

The file (`mpp-ekspor/1`, written by `pwa/src/data/exportfile.js`, which documents it) is
PBKDF2-HMAC-SHA256 → AES-256-GCM encrypted JSON. Here it is decrypted, each draft is screened
with the gateway's own checks (`sync.userdb.screen_docs`, locks from SQL) plus the officer's
regions, the files are verified (sha256, type from the bytes) and stored through the upload
rules (`sync.blobs.Uploads`) as owned by the person, the drafts are written into the person's
database with `new_edits: false` and their `_revisions` (so an import is the very revision the
phone holds, and importing the same file again writes nothing), and the database is marked
changed for the ingest worker.

Logs carry counts only: no account id, no draft content, no passphrase.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, RoleGrant
from sync.blobs import ALLOWED_MIME, CHUNK_BYTES, MAX_FILE_BYTES, QUOTA_BYTES, Announced, BlobError, Uploads
from sync.blobstore import SHA256_HEX, BlobStore, sniff_mime
from sync.couch import CouchClient
from sync.drafts import DocRefusal, userdb_name
from sync.errors import SyncError
from sync.ledger import locked_drafts, mark_changed
from sync.models import Application, BlobOwner
from sync.userdb import draft_ids, parse_json, screen_docs

log = logging.getLogger("mpp.exports")

FORMAT = "mpp-ekspor/1"
MIN_ITERATIONS = 310_000  # OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA256
MAX_ITERATIONS = 5_000_000  # a file cannot make the server spin for minutes
MAX_EXPORT_BYTES = 200 * 1024 * 1024  # base64 of a few dozen drafts' photos; the upload limit of the page
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")


class ExportError(SyncError):
    """Base for a file the counter cannot import; `details` name no person."""


class ExportUnreadable(ExportError):
    """Not an `mpp-ekspor/1` file (another file, cut short, or altered outside the app)."""


class ExportPassphraseWrong(ExportError):
    """AES-GCM's tag did not verify: the passphrase is not the one chosen on the phone (or the file was altered)."""


class ExportAccountUnknown(ExportError):
    """The file names an account this server does not have."""


class ExportTooLarge(ExportError):
    """More than MAX_EXPORT_BYTES."""


@dataclass(frozen=True)
class ExportFile:
    account_id: str
    exported_at: str
    drafts: list[Any]
    files: dict[str, tuple[str, bytes]]  # sha256 -> (claimed mime, bytes)


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ExportUnreadable("base64 field missing")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ExportUnreadable("base64") from exc


def decrypt(raw: bytes, passphrase: str) -> bytes:
    """The plaintext of an `mpp-ekspor/1` file; ExportUnreadable or ExportPassphraseWrong."""
    if len(raw) > MAX_EXPORT_BYTES:
        raise ExportTooLarge(limit_mb=MAX_EXPORT_BYTES // (1024 * 1024))
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ExportUnreadable("not JSON") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise ExportUnreadable("format")
    kdf, cipher = envelope.get("kdf"), envelope.get("cipher")
    if not isinstance(kdf, dict) or not isinstance(cipher, dict) or kdf.get("name") != "PBKDF2" or kdf.get("hash") != "SHA-256" \
            or cipher.get("name") != "AES-GCM":
        raise ExportUnreadable("kdf/cipher")
    iterations = kdf.get("iterations")
    if not isinstance(iterations, int) or isinstance(iterations, bool) or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ExportUnreadable("iterations")
    salt, iv, data = _b64(kdf.get("salt")), _b64(cipher.get("iv")), _b64(envelope.get("data"))
    if len(salt) < 16 or len(iv) != 12 or len(data) < 16:
        raise ExportUnreadable("salt/iv/data")
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(passphrase.encode("utf-8"))
    try:
        return AESGCM(key).decrypt(iv, data, None)  # NIST SP 800-38D: the tag is the last 16 bytes, no AAD
    except InvalidTag as exc:
        raise ExportPassphraseWrong() from exc


def parse(plain: bytes) -> ExportFile:
    """The decrypted payload, checked for shape (each draft is screened later, one by one)."""
    try:
        payload = parse_json(plain)
    except SyncError as exc:
        raise ExportUnreadable("payload JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("drafts"), list) or not isinstance(payload.get("files"), dict):
        raise ExportUnreadable("payload shape")
    account_id = payload.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ExportUnreadable("account_id")
    files: dict[str, tuple[str, bytes]] = {}
    for sha256, entry in payload["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("mime"), str):
            raise ExportUnreadable("files")
        files[sha256] = (entry["mime"], _b64(entry.get("data")))
    return ExportFile(account_id, str(payload.get("exported_at") or ""), payload["drafts"], files)


# --- filing ------------------------------------------------------------------------------------

REGION_REFUSED = "export.region_not_granted"
HISTORY_MISSING = "export.revisions_missing"
FILE_REFUSED = "export.file_refused"


@dataclass(frozen=True)
class Refused:
    draft_id: str | None
    code: str  # a DocRefusal code (`sync.*`) or one of the `export.*` above
    detail: str = ""


@dataclass
class ImportResult:
    account_id: str
    filed: list[str] = field(default_factory=list)  # draft ids written now
    known: list[str] = field(default_factory=list)  # already in the person's database at that revision (or later)
    refused: list[Refused] = field(default_factory=list)
    files_stored: int = 0
    files_known: int = 0
    files_refused: int = 0
    tracking: dict[str, str] = field(default_factory=dict)  # draft id -> tracking number, for those the worker has filed


def _revision_problem(doc: dict) -> str | None:
    """`new_edits: false` needs `_rev` and a `_revisions` history that ends in it."""
    rev, revisions = doc.get("_rev"), doc.get("_revisions")
    if not isinstance(rev, str) or not isinstance(revisions, dict):
        return "_rev/_revisions"
    start, ids = revisions.get("start"), revisions.get("ids")
    if not isinstance(start, int) or not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return "_revisions"
    if rev != f"{start}-{ids[0]}":
        return "_revisions"
    return None


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


class Importer:
    """Files one decrypted export for its owner, on one SQL session, the person's CouchDB and the blob store."""

    def __init__(self, session: AsyncSession, couch: CouchClient, store: BlobStore, ensure_db: Callable[[str], Any]):
        self.session = session
        self.couch = couch
        self.store = store
        self.ensure_db = ensure_db  # UserDbs.ensure: creates `userdb-<id>` as the gateway does

    async def file(self, export: ExportFile, may_file_in: Callable[[str], bool]) -> ImportResult:
        """`may_file_in(region_code)`: whether the importing officer holds a grant there."""
        account = await self.session.get(Account, export.account_id)
        if account is None or account.disabled_at is not None:
            raise ExportAccountUnknown()
        result = ImportResult(account_id=account.id)
        is_field_officer = (await self.session.exec(select(RoleGrant.id).where(
            RoleGrant.account_id == account.id, RoleGrant.role == "field_officer"))).first() is not None

        candidates: list[dict] = []
        for doc in export.drafts:
            doc_id = doc.get("_id") if isinstance(doc, dict) else None
            doc_id = doc_id if isinstance(doc_id, str) else None
            if doc_id is not None and doc.get("_deleted") is not True and not may_file_in(str(doc.get("region_code", ""))):
                result.refused.append(Refused(doc_id, REGION_REFUSED, str(doc.get("region_code", ""))[:10]))
            elif isinstance(doc, dict) and (problem := _revision_problem(doc)):
                result.refused.append(Refused(doc_id, HISTORY_MISSING, problem))
            else:
                candidates.append(doc)
        locked = await locked_drafts(self.session, account.id, draft_ids(candidates))
        screened = screen_docs(candidates, locked, assisted=is_field_officer)
        for position, refusal in screened.refused:
            result.refused.append(Refused(refusal.doc_id, refusal.code, refusal.detail))
        accepted = [doc for _, doc in screened.accepted]

        await self._store_files(export, account, result)

        db = await self.ensure_db(account.id)
        missing = await self.couch.revs_diff(db, {d["_id"]: [d["_rev"]] for d in accepted})
        new = [d for d in accepted if d["_id"] in missing]
        result.known = [d["_id"] for d in accepted if d["_id"] not in missing]
        failures = await self.couch.bulk_docs(db, new, new_edits=False)
        failed = {row.get("id") for row in failures if isinstance(row, dict) and "error" in row}
        for doc in new:
            if doc["_id"] in failed:
                result.refused.append(Refused(doc["_id"], "sync.doc_refused", "couch"))
            else:
                result.filed.append(doc["_id"])
        if result.filed or result.files_stored:
            await mark_changed(self.session, userdb_name(account.id))
        result.tracking = await self.tracking_numbers(account.id, [d["_id"] for d in accepted])
        log.info("export imported: %d drafts filed, %d known, %d refused; %d files stored, %d known, %d refused",
                 len(result.filed), len(result.known), len(result.refused), result.files_stored, result.files_known,
                 result.files_refused)
        return result

    async def _store_files(self, export: ExportFile, account: Account, result: ImportResult) -> None:
        """Each file through the upload rules (sha256 checked, type from the bytes, quota), owned by the person."""
        uploads = Uploads(self.session, self.store)
        quota = QUOTA_BYTES["field_officer"] if account.kind == "staff" else QUOTA_BYTES["citizen"]
        for sha256, (mime, data) in export.files.items():
            if not isinstance(sha256, str) or not SHA256_HEX.match(sha256) or hashlib.sha256(data).hexdigest() != sha256 \
                    or mime not in ALLOWED_MIME or sniff_mime(data[:16]) != mime or not 0 < len(data) <= MAX_FILE_BYTES:
                result.files_refused += 1
                continue
            if await self.session.get(BlobOwner, (account.id, sha256)) is not None:
                result.files_known += 1
                continue
            try:
                upload_id = await uploads.create(account.id, len(data), Announced(sha256, mime, "ekspor"), quota)
                for offset in range(0, len(data), CHUNK_BYTES):
                    await uploads.append(account.id, upload_id, offset, _chunks(data[offset:offset + CHUNK_BYTES]))
            except BlobError:
                result.files_refused += 1
                continue
            result.files_stored += 1

    async def tracking_numbers(self, account_id: str, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self.session.exec(select(Application.draft_id, Application.tracking_number).where(
            Application.account_id == account_id, col(Application.draft_id).in_(ids)))
        return {draft_id: number for draft_id, number in rows if number}


def refusal_of(refused: Refused) -> DocRefusal:
    return DocRefusal(refused.code, refused.draft_id, refused.detail)
