"""Photos on a real phone-sized browser: two photos taken with no signal are compressed on the
device, kept in its local blob store across a reload (previews still shown), and once the signal
returns they go up through `/blobs/` and the application ends `received`, the server holding
exactly the bytes the device computed."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.e2e.test_drafts_sync import (  # noqa: F401  (fixtures)
    REGION, SERVER_WAIT_MS, TRACKING, enrol, phone, pull_catalog, residents_of, state_of, wait_for_state, worker,
)
from tests.e2e.test_offline_shell import visit_until_controlled
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


@pytest.fixture(scope="module")
def resident(live_server):
    found = residents_of(live_server, REGION, 4)
    assert len(found) == 4, "the demo register should hold families in 21.71"
    return found[3]  # past the ones test_drafts_sync enrols


def previews(page) -> list[str]:
    return [page.locator(f"[data-file-preview='{f}'] img").get_attribute("data-sha256") for f in PHOTO_FIELDS]


def test_photos_taken_offline_survive_a_reload_and_reach_the_server_byte_for_byte(phone, live_server, couch, worker, resident):
    context, page = phone
    base = live_server.url
    publish_photo_service(live_server, couch)
    visit_until_controlled(page, base)
    enrol(page, base, resident)
    pull_catalog(page, base)
    photos = [jpeg_from_page(page, png_photo(2400, 1500, seed)) for seed in (7, 11)]  # bigger than a phone shows

    context.set_offline(True)
    page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
    page.wait_for_selector("[data-field='foto_ktp']")
    expect(page.locator("#f-foto_ktp")).to_have_attribute("accept", "image/*")
    expect(page.locator("#f-foto_ktp")).to_have_attribute("capture", "environment")
    page.fill("#f-no_hp", "081234567890")
    expect(page.locator("#saved")).to_contain_text("Tersimpan di perangkat ini")
    for field, photo in zip(PHOTO_FIELDS, photos, strict=True):
        page.set_input_files(f"#f-{field}", files=[{"name": f"{field}.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        expect(page.locator(f"[data-file-preview='{field}'] img")).to_be_visible(timeout=30_000)
        expect(page.locator(f"[data-file-note='{field}']")).to_contain_text("Tersimpan di perangkat")
    shas = previews(page)
    assert all(s and re.fullmatch(r"[0-9a-f]{64}", s) for s in shas), shas

    # what the device will send: the compressed bytes, as the local blob store holds them
    sizes = page.evaluate(
        """async (shas) => Promise.all(shas.map(async (sha) => {
            const img = document.querySelector(`img[data-sha256="${sha}"]`);
            const blob = await (await fetch(img.src)).blob();
            const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
            const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
            const bitmap = await createImageBitmap(blob);
            return { sha: hex, size: blob.size, type: blob.type, w: bitmap.width, h: bitmap.height };
        }))""",
        shas,
    )
    for sha, info, original in zip(shas, sizes, photos, strict=True):
        assert info["sha"] == sha
        assert info["type"] == "image/jpeg"
        assert max(info["w"], info["h"]) <= 1600 and min(info["w"], info["h"]) >= 600, info
        assert info["size"] < len(original), (info, len(original))

    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(state_of(page)).to_have_attribute("data-state", re.compile("waiting_push|sending_files"))

    page.reload()
    page.wait_for_selector("[data-file-preview='foto_kk'] img", timeout=30_000)
    assert previews(page) == shas  # still there, shown from the local blob store
    assert page.locator("fieldset[disabled]").count() == 1

    context.set_offline(False)
    label = wait_for_state(page, "received")
    assert re.fullmatch(rf"Diterima · {TRACKING}", label), label

    held = server_blobs(live_server, shas)
    assert set(held) == set(shas), held
    for sha in shas:
        assert held[sha] == (sizes[shas.index(sha)]["size"], "image/jpeg")
        body = page.evaluate(
            """async (sha) => Array.from(new Uint8Array(await (await fetch('/blobs/' + sha, { credentials: 'same-origin' })).arrayBuffer()))""",
            sha)
        assert hashlib.sha256(bytes(body)).hexdigest() == sha

    page.goto(base + "/#/permohonan")
    expect(page.locator("#drafts li").first).to_contain_text("Diterima", timeout=SERVER_WAIT_MS)
