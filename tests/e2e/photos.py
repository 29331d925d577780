"""Photos for the e2e tests: a test-only service with two photo fields, camera-like JPEGs made
by the browser, and what the server holds of them (Blob rows, owners, the bytes in the blob store)."""

from __future__ import annotations

import base64
import copy
import hashlib
import struct
import zlib

from tests.e2e.test_drafts_sync import REGION
from tests.factories import run, with_catalog

SERVICE = "uji-foto-dokumen"  # a test-only service: a phone number and two required photos
PHOTO_FIELDS = ("foto_ktp", "foto_kk")


def publish_photo_service(live_server, couch) -> None:
    """Publish SERVICE in REGION: the KIA template with a phone field and two photo fields."""
    from server.catalog.models import RegionService, Service

    async def go(catalog) -> None:
        if await catalog.session.get(Service, SERVICE) is None:
            base = await catalog.session.get(Service, "adminduk-kia")
            template = copy.deepcopy(base.template)
            template.update(name_id="Uji foto dokumen", name_en="Photo test")  # the name the devices show
            template["form_fields"] = [
                {"id": "no_hp", "label_id": "Nomor HP aktif", "type": "phone", "required": True},
                {"id": "foto_ktp", "label_id": "Foto KTP", "type": "file", "required": True, "accept": ["image/jpeg", "image/png"]},
                {"id": "foto_kk", "label_id": "Foto Kartu Keluarga", "type": "file", "required": True, "accept": ["image/jpeg", "image/png"]},
            ]
            template["requirements"] = [r for r in template.get("requirements", []) if not r.get("when")]
            catalog.session.add(Service(id=SERVICE, name_id="Uji foto dokumen", name_en="Photo test", category=base.category,
                                        subcategory=base.subcategory, owner_agency=base.owner_agency, template=template))
            await catalog.session.commit()  # the region's row refers to it
            catalog.session.add(RegionService(region_code=REGION, service_id=SERVICE, enabled=True, overrides={}))
            await catalog.session.commit()
        await catalog.publish(REGION, SERVICE)

    run(with_catalog(live_server.env["DATABASE_URL"], couch, go))


def png_photo(width: int, height: int, seed: int) -> bytes:
    """A noisy RGB image (so compression has work to do), written as PNG with the standard library."""
    rows = bytearray()
    state = seed
    for y in range(height):
        rows.append(0)
        for x in range(width):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            rows += bytes(((x * 255 // width) ^ (state & 0x3F), (y * 255 // height), (state >> 8) & 0xFF))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")


def jpeg_from_page(page, png: bytes) -> bytes:
    """The PNG re-encoded as a camera-like JPEG by the browser itself (no imaging library needed)."""
    data = page.evaluate(
        """async (b64) => {
            const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
            const bitmap = await createImageBitmap(blob);
            const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
            canvas.getContext('2d').drawImage(bitmap, 0, 0);
            const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
            return Array.from(new Uint8Array(await jpeg.arrayBuffer()));
        }""",
        base64.b64encode(png).decode(),
    )
    return bytes(data)


def server_blobs(live_server, shas: list[str]) -> dict[str, tuple[int, str]]:
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.db import make_engine
    from sync.models import Blob

    async def look():
        engine = make_engine(live_server.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                found = (await session.exec(select(Blob).where(Blob.sha256.in_(shas)))).all()
                return {b.sha256: (b.size, b.mime) for b in found}
        finally:
            await engine.dispose()

    return run(look())


def camera_jpeg(page, width: int, height: int, seed: int) -> bytes:
    """A photo-sized JPEG drawn by the browser (gradient, seeded noise, a card with text), quickly:
    bigger than the app keeps, so its compression has to resize and re-encode it."""
    data = page.evaluate(
        """async ([w, h, seed]) => {
            const canvas = new OffscreenCanvas(w, h);
            const ctx = canvas.getContext('2d');
            const g = ctx.createLinearGradient(0, 0, w, h);
            g.addColorStop(0, `hsl(${seed * 37 % 360}, 40%, 70%)`);
            g.addColorStop(1, `hsl(${seed * 91 % 360}, 35%, 35%)`);
            ctx.fillStyle = g;
            ctx.fillRect(0, 0, w, h);
            const img = ctx.getImageData(0, 0, w, h);
            let s = seed;
            for (let i = 0; i < img.data.length; i += 4) {
                s = (s * 1103515245 + 12345) & 0x7fffffff;
                const n = (s >> 16) % 48 - 24;
                img.data[i] += n; img.data[i + 1] += n; img.data[i + 2] += n;
            }
            ctx.putImageData(img, 0, 0);
            ctx.fillStyle = 'rgba(255,255,255,0.85)';
            ctx.fillRect(w * 0.1, h * 0.2, w * 0.8, h * 0.6);
            ctx.fillStyle = '#123';
            ctx.font = `${Math.round(h / 20)}px sans-serif`;
            ctx.fillText(`NIK 2171 ${seed} 0000 0001`, w * 0.15, h * 0.35);
            ctx.fillText('KARTU TANDA PENDUDUK', w * 0.15, h * 0.5);
            const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
            return Array.from(new Uint8Array(await jpeg.arrayBuffer()));
        }""",
        [width, height, seed],
    )
    return bytes(data)


def stored_blobs(live_server, shas: list[str]) -> dict[str, dict]:
    """sha256 -> {size, mime, owners, disk_sha256}: the Blob row, its BlobOwner accounts, and the
    sha256 of the bytes the server's blob store holds under that name (None when absent)."""
    from pathlib import Path

    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.db import make_engine
    from sync.blobstore import FileBlobStore
    from sync.models import Blob, BlobOwner

    store = FileBlobStore(Path(live_server.env["BLOB_DIR"]))

    async def look():
        engine = make_engine(live_server.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                blobs = (await session.exec(select(Blob).where(Blob.sha256.in_(shas)))).all()
                owners = (await session.exec(select(BlobOwner).where(BlobOwner.sha256.in_(shas)))).all()
                return blobs, owners
        finally:
            await engine.dispose()

    blobs, owners = run(look())
    out = {}
    for b in blobs:
        disk = hashlib.sha256(store.path_of(b.sha256).read_bytes()).hexdigest() if store.exists(b.sha256) else None
        out[b.sha256] = {"size": b.size, "mime": b.mime, "owners": {o.account_id for o in owners if o.sha256 == b.sha256},
                         "disk_sha256": disk}
    return out


def wait_until_ready_offline(page, at_least: int = 2) -> None:
    """A signed-in device fetches, while online, what the install-time precache leaves out
    (pwa/build.mjs: photo compression, export, officer screens), so photos work offline."""
    page.wait_for_function(
        "async (n) => (await (await caches.open('mpp-assets')).keys()).length >= n", arg=at_least, timeout=30_000)
