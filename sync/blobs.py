"""Resumable, content-addressed uploads of photos and documents (TUS 1.0 core + creation +
termination; the HTTP side is `server/blobs/routes.py`).

A device announces a file by its sha256, claimed type and length; sends it in chunks at
offsets it learns with HEAD after a cut; and on the last byte the server checks the sha256,
decides the type from the bytes (JPEG, PNG, WebP or PDF only), stores the file once under its
hash and records who uploaded it. A person may reference in a draft only blobs they own, and
their blobs plus their open uploads count against a quota.

Logs name no person and no file: counts and codes only.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from sync.blobstore import SHA256_HEX, UPLOAD_ID, BlobStore, sniff_mime
from sync.errors import SyncError
from sync.models import Blob, BlobOwner, Upload

log = logging.getLogger("mpp.blobs")

TUS_VERSION = "1.0.0"  # TUS 1.0 §Core: the only version served
MAX_FILE_BYTES = 5 * 1024 * 1024  # the same limit as the form (server.catalog.formspec)
CHUNK_BYTES = 256 * 1024  # the device's tus chunkSize
MAX_PATCH_BYTES = CHUNK_BYTES + 64 * 1024  # one chunk and some slack; more in one PATCH is refused
QUOTA_BYTES = {"citizen": 50 * 1024 * 1024, "field_officer": 2 * 1024 * 1024 * 1024}
OPEN_UPLOAD_HOURS = 24  # an upload untouched for longer stops counting against the quota
ABANDONED_UPLOAD_DAYS = 7  # an open upload untouched for longer is removed with its bytes (the device starts it again)
ALLOWED_MIME = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class BlobError(SyncError):
    """Base for a refused upload or blob request; `details` name no person."""


class TusVersionUnsupported(BlobError):
    """TUS 1.0 §Tus-Resumable: the client speaks a version this server does not."""


class UploadInvalid(BlobError):
    """Upload-Length or Upload-Metadata missing or malformed."""


class FileTooLarge(BlobError):
    """More than MAX_FILE_BYTES."""


class QuotaExceeded(BlobError):
    """The person's stored files and open uploads would pass their quota."""


class TypeRefused(BlobError):
    """Not a JPEG, PNG, WebP or PDF (as claimed, or as the bytes show)."""


class ChecksumMismatch(BlobError):
    """The bytes received do not hash to the sha256 the device announced; they are dropped."""


class UploadNotFound(BlobError):
    """No open upload with this id for this person (or it was terminated, or it is another person's)."""


class OffsetMismatch(BlobError):
    """TUS 1.0 §PATCH: Upload-Offset is not where the server is; ask with HEAD and resume there."""


class ContentTypeInvalid(BlobError):
    """TUS 1.0 §PATCH: the body must be `application/offset+octet-stream`."""


class ChunkTooLarge(BlobError):
    """One PATCH carried more than MAX_PATCH_BYTES (or more than the upload's length)."""


class UploadInterrupted(BlobError):
    """The connection broke during a PATCH; what arrived is kept and HEAD tells the device where to resume."""


class BlobNotFound(BlobError):
    """No blob with this sha256 that this person uploaded."""


@dataclass(frozen=True)
class Announced:
    sha256: str
    mime: str
    field: str


def parse_metadata(header: str | None) -> dict[str, str]:
    """TUS 1.0 §Upload-Metadata: comma-separated `key base64value` pairs (value optional)."""
    pairs: dict[str, str] = {}
    for item in (header or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, encoded = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise UploadInvalid(field="Upload-Metadata") from exc
    return pairs


def announced(metadata: dict[str, str]) -> Announced:
    sha256 = metadata.get("sha256", "").lower()
    if not SHA256_HEX.match(sha256):
        raise UploadInvalid(field="sha256")
    mime = metadata.get("mime", "")
    if mime not in ALLOWED_MIME:
        raise TypeRefused()
    return Announced(sha256, mime, metadata.get("field", "")[:60])  # the filename is not kept: it may name the person


def parse_length(header: str | None) -> int:
    if header is None or not header.isdigit():
        raise UploadInvalid(field="Upload-Length")
    length = int(header)
    if length < 1:
        raise UploadInvalid(field="Upload-Length")
    if length > MAX_FILE_BYTES:
        raise FileTooLarge(limit_mb=MAX_FILE_BYTES // (1024 * 1024))
    return length


def check_version(header: str | None) -> None:
    if header != TUS_VERSION:
        raise TusVersionUnsupported(version=TUS_VERSION)


@dataclass(frozen=True)
class Progress:
    offset: int
    length: int
    completed: bool


class Uploads:
    """The upload rules, on one SQL session and a blob store."""

    def __init__(self, session: AsyncSession, store: BlobStore):
        self.session = session
        self.store = store

    async def used_bytes(self, account_id: str) -> int:
        owned = (await self.session.exec(select(func.coalesce(func.sum(Blob.size), 0)).select_from(BlobOwner)
                                         .join(Blob, col(Blob.sha256) == col(BlobOwner.sha256))
                                         .where(BlobOwner.account_id == account_id))).one()
        since = utcnow() - timedelta(hours=OPEN_UPLOAD_HOURS)
        open_ = (await self.session.exec(select(func.coalesce(func.sum(Upload.length), 0)).where(
            Upload.account_id == account_id, col(Upload.completed_at).is_(None), Upload.updated_at >= since))).one()
        return int(owned) + int(open_)

    async def create(self, account_id: str, length: int, what: Announced, quota: int) -> str:
        if await self.used_bytes(account_id) + length > quota:
            raise QuotaExceeded(limit_mb=quota // (1024 * 1024))
        upload_id = secrets.token_hex(16)
        self.store.create(upload_id)
        self.session.add(Upload(id=upload_id, account_id=account_id, length=length, sha256=what.sha256, mime=what.mime, field=what.field))
        await self.session.commit()
        return upload_id

    async def _open(self, account_id: str, upload_id: str) -> Upload:
        upload = await self.session.get(Upload, upload_id) if UPLOAD_ID.match(upload_id) else None
        if upload is None or upload.account_id != account_id:
            raise UploadNotFound()
        return upload

    async def progress(self, account_id: str, upload_id: str) -> Progress:
        upload = await self._open(account_id, upload_id)
        return Progress(upload.offset, upload.length, upload.completed_at is not None)

    async def append(self, account_id: str, upload_id: str, offset: int, chunks: AsyncIterator[bytes]) -> Progress:
        """TUS 1.0 §PATCH: write at `offset`; on the final byte verify and store. Returns where it is now."""
        upload = await self._open(account_id, upload_id)
        if upload.completed_at is not None or offset != upload.offset:
            if upload.completed_at is not None and offset == upload.length:
                return Progress(upload.length, upload.length, True)  # a retried final PATCH whose answer was lost
            raise OffsetMismatch(offset=upload.offset)
        limit = min(MAX_PATCH_BYTES, upload.length - offset)
        written, failure = 0, None
        try:
            written = await self.store.append(upload_id, offset, _counted(chunks, written_box := [0]), limit)
        except OverflowError:
            written, failure = min(written_box[0], limit), ChunkTooLarge(limit_kb=MAX_PATCH_BYTES // 1024)
        except BaseException:
            # a cut connection: keep what arrived, so the device resumes from there
            written = min(written_box[0], limit)
            await self._advance(upload, offset, written)
            raise
        await self._advance(upload, offset, written)
        if failure is not None:
            raise failure
        if upload.offset < upload.length:
            return Progress(upload.offset, upload.length, False)
        await self._finish(upload)
        return Progress(upload.offset, upload.length, True)

    async def _advance(self, upload: Upload, offset: int, written: int) -> None:
        now = utcnow()
        result = await self.session.exec(update(Upload).where(  # type: ignore[call-overload]
            Upload.id == upload.id, Upload.offset == offset, col(Upload.completed_at).is_(None))
            .values(offset=offset + written, updated_at=now).execution_options(synchronize_session=False))
        await self.session.commit()
        if result.rowcount != 1:
            raise OffsetMismatch(offset=offset)  # another PATCH of the same upload moved it first
        upload.offset, upload.updated_at = offset + written, now

    async def _finish(self, upload: Upload) -> None:
        digest, head = self.store.staged_digest(upload.id)
        if digest != upload.sha256:
            await self._drop(upload)
            log.info("an upload was dropped: its bytes did not match the announced sha256")
            raise ChecksumMismatch()
        mime = sniff_mime(head)
        if mime is None or mime != upload.mime:
            # the claimed type is what the draft names and the form checked: the bytes must agree
            await self._drop(upload)
            log.info("an upload was dropped: its bytes are not the JPEG, PNG, WebP or PDF it claimed to be")
            raise TypeRefused(claimed=upload.mime, found=mime or "unknown")
        self.store.commit(upload.id, digest)
        if await self.session.get(Blob, digest) is None:
            self.session.add(Blob(sha256=digest, size=upload.length, mime=mime))
            try:
                await self.session.commit()
            except IntegrityError:  # the same file arrived from someone else at this moment
                await self.session.rollback()
        if await self.session.get(BlobOwner, (upload.account_id, digest)) is None:
            self.session.add(BlobOwner(account_id=upload.account_id, sha256=digest))
        await self.session.exec(update(Upload).where(Upload.id == upload.id)  # type: ignore[call-overload]
                                .values(completed_at=utcnow()).execution_options(synchronize_session=False))
        try:
            await self.session.commit()
        except IntegrityError:  # a parallel final PATCH of another upload of the same file by the same person
            await self.session.rollback()

    async def _drop(self, upload: Upload) -> None:
        self.store.discard(upload.id)
        await self.session.delete(upload)
        await self.session.commit()

    async def terminate(self, account_id: str, upload_id: str) -> None:
        """TUS 1.0 §Termination: forget an open upload and its bytes."""
        upload = await self._open(account_id, upload_id)
        if upload.completed_at is None:
            self.store.discard(upload.id)
        await self.session.delete(upload)
        await self.session.commit()

    async def owned(self, account_id: str, sha256: str) -> Blob:
        if not SHA256_HEX.match(sha256) or await self.session.get(BlobOwner, (account_id, sha256)) is None:
            raise BlobNotFound()
        blob = await self.session.get(Blob, sha256)
        if blob is None or not self.store.exists(sha256):
            raise BlobNotFound()
        return blob


async def prune_uploads(session: AsyncSession, store: BlobStore, days: int = ABANDONED_UPLOAD_DAYS) -> int:
    """Remove upload records (and the staged bytes of unfinished ones) untouched for `days`.

    A finished upload's file lives on under its sha256; only the record goes. An unfinished one
    was abandoned (the draft deleted, the phone reset): a device that comes back after all gets
    404 on HEAD and starts that file again. Returns how many were removed.
    """
    cutoff = utcnow() - timedelta(days=days)
    stale = list(await session.exec(select(Upload).where(Upload.updated_at < cutoff).limit(1000)))
    for upload in stale:
        if upload.completed_at is None:
            store.discard(upload.id)
        await session.delete(upload)
    await session.commit()
    if stale:
        log.info("removed %d upload records untouched for %d days", len(stale), days)
    return len(stale)


async def _counted(chunks: AsyncIterator[bytes], box: list[int]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        box[0] += len(chunk)
        yield chunk
