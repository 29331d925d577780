"""Photos on a real phone-sized browser: two photos taken with no signal are compressed on the
device, kept in its local blob store across a reload (previews still shown), and once the signal
returns they go up through `/blobs/` and the application ends `received`, the server holding
exactly the bytes the device computed."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_drafts_sync import (  # noqa: F401  (fixtures)
    REGION, SERVER_WAIT_MS, TRACKING, enrol, phone, pull_catalog, residents_of, state_of, wait_for_state, worker,
)
from tests.e2e.photos import (PHOTO_FIELDS, SERVICE, jpeg_from_page, png_photo, publish_photo_service, server_blobs,
                              wait_until_ready_offline)
from tests.e2e.test_offline_shell import visit_until_controlled


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
    wait_until_ready_offline(page)

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
    expect(state_of(page)).to_have_attribute("data-state", "waiting_push")  # offline: the draft itself has not gone yet

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
