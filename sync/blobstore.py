"""Where the bytes of photos and documents live: a staging area for uploads in progress and a
content-addressed final store (`sha256/ab/cd/<hex>`), behind a small protocol so an
S3-compatible store can replace the file system one (staging as multipart parts, `commit` as a
server-side copy to the hashed key).

The type of a file is decided here from its first bytes, never from what the device claims.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
SNIFF_BYTES = 16
READ_CHUNK = 64 * 1024


def sniff_mime(head: bytes) -> str | None:
    """JPEG, PNG, WebP or PDF from the file's magic number; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):  # JPEG: SOI marker followed by another marker
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):  # PNG §5.2 signature
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # RIFF container, WEBP form type
        return "image/webp"
    if head.startswith(b"%PDF-"):  # ISO 32000-1 §7.5.2 file header
        return "application/pdf"
    return None


class BlobStore(Protocol):
    """Staging (by upload id) and final storage (by sha256) of file bytes."""

    def create(self, upload_id: str) -> None: ...

    async def append(self, upload_id: str, offset: int, chunks: AsyncIterator[bytes], limit: int) -> int:
        """Write `chunks` at `offset`, dropping anything staged after it; returns the bytes written.

        Whatever arrived is kept even when `chunks` fails half way (a cut connection): the caller
        records the new size and re-raises, so the device resumes from there.
        """
        ...

    def staged_size(self, upload_id: str) -> int | None: ...

    def staged_digest(self, upload_id: str) -> tuple[str, bytes]:
        """(sha256 hex, first bytes) of what is staged."""
        ...

    def discard(self, upload_id: str) -> None: ...

    def commit(self, upload_id: str, sha256: str) -> None:
        """Move the verified staged bytes to their content address (kept as they are if already there)."""
        ...

    def put(self, data: bytes) -> str:
        """Store bytes the server made itself (an issued PDF) at their content address; returns the sha256 hex."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def open(self, sha256: str) -> BinaryIO: ...


class FileBlobStore:
    """`BlobStore` on a local (or network) file system under `root`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.staging = self.root / "staging"
        self.final = self.root / "sha256"

    def _staged(self, upload_id: str) -> Path:
        if not UPLOAD_ID.match(upload_id):
            raise ValueError("upload id")
        return self.staging / upload_id

    def path_of(self, sha256: str) -> Path:
        if not SHA256_HEX.match(sha256):
            raise ValueError("sha256")
        return self.final / sha256[:2] / sha256[2:4] / sha256

    def create(self, upload_id: str) -> None:
        self.staging.mkdir(parents=True, exist_ok=True)
        self._staged(upload_id).touch()

    async def append(self, upload_id: str, offset: int, chunks: AsyncIterator[bytes], limit: int) -> int:
        written = 0
        with open(self._staged(upload_id), "r+b") as f:
            f.truncate(offset)  # a cut PATCH may have left bytes the database never counted
            f.seek(offset)
            try:
                async for chunk in chunks:
                    if written + len(chunk) > limit:
                        chunk = chunk[: limit - written]
                        f.write(chunk)
                        written += len(chunk)
                        raise OverflowError(limit)
                    f.write(chunk)
                    written += len(chunk)
            finally:
                f.flush()
                os.fsync(f.fileno())
        return written

    def staged_size(self, upload_id: str) -> int | None:
        try:
            return self._staged(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def staged_digest(self, upload_id: str) -> tuple[str, bytes]:
        digest = hashlib.sha256()
        with open(self._staged(upload_id), "rb") as f:
            head = f.read(SNIFF_BYTES)
            digest.update(head)
            while chunk := f.read(READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest(), head

    def discard(self, upload_id: str) -> None:
        self._staged(upload_id).unlink(missing_ok=True)

    def commit(self, upload_id: str, sha256: str) -> None:
        target = self.path_of(sha256)
        if target.exists():
            self.discard(upload_id)  # stored once: the same bytes are there already
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._staged(upload_id), target)  # atomic on one file system

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_of(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha256}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)  # atomic on one file system; a reader never sees half a file
        finally:
            tmp.unlink(missing_ok=True)
        return sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path_of(sha256), "rb")

    def iter_bytes(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as f:
            while chunk := f.read(READ_CHUNK):
                yield chunk
