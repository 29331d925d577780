"""The app's photo compression in Chromium: the camera's EXIF (location included) never leaves
the device, and the size rules hold for a camera-sized photo. Runs the app's own
pwa/src/data/compress.js, bundled as tests/bench/bench_compress.py bundles it."""

from __future__ import annotations

import pytest

from tests.bench.bench_compress import MAKE, bundle, rules

ORIGIN = "http://mpp.test"

# A camera JPEG with an EXIF block whose GPS IFD says where it was taken (GPSLatitudeRef "S").
WITH_GPS = """async ([w, h]) => {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#5fa6d8'; ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#222'; ctx.font = `${Math.round(h / 12)}px sans-serif`; ctx.fillText('NIK 3171010101010001', w / 10, h / 2);
  const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 })).arrayBuffer());
  const tiff = [0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00,            // little endian, IFD0 at 8
    0x01, 0x00, 0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x00, 0x00,  // GPSInfo -> 26
    0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x53, 0x00, 0x00, 0x00,  // GPSLatitudeRef "S"
    0x00, 0x00, 0x00, 0x00];
  const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  const out = new Uint8Array(jpeg.length + app1.length);
  out.set(jpeg.subarray(0, 2)); out.set(app1, 2); out.set(jpeg.subarray(2), 2 + app1.length);
  window.__sample = new File([out], 'kamera.jpg', { type: 'image/jpeg' });
  return Array.from(out.subarray(0, 64));
}"""

RUN = """async () => {
  const { blob, mime } = await window.__prepareFile(window.__sample, 'photo');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const bitmap = await createImageBitmap(blob);
  const text = Array.from(bytes, (b) => String.fromCharCode(b)).join('');
  return { mime, bytes: bytes.length, width: bitmap.width, height: bitmap.height, exif: text.includes('Exif\\u0000\\u0000') };
}"""


@pytest.fixture
def compressing(context, tmp_path):
    script = bundle(tmp_path)
    page = context.new_page()
    html = '<!doctype html><meta charset="utf-8"><title>t</title><script type="module" src="/compress.js"></script>'
    page.route(f"{ORIGIN}/", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.route(f"{ORIGIN}/compress.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=script))
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("() => typeof window.__prepareFile === 'function'", timeout=30_000)
    return page


@pytest.mark.parametrize("size", [(1200, 900), (3000, 2000)], ids=["small-enough-already", "camera-sized"])
def test_the_location_in_a_photo_never_leaves_the_device(compressing, size):
    head = compressing.evaluate(WITH_GPS, list(size))
    assert bytes(head[6:12]) == b"Exif\x00\x00"  # the input carries it
    out = compressing.evaluate(RUN)
    assert out["mime"] == "image/jpeg" and not out["exif"], out


def test_a_camera_photo_comes_out_within_the_rules(compressing):
    compressing.evaluate(MAKE, [4000, 3000, 3, 0.92])
    out = compressing.evaluate(RUN)
    assert all(rules(4000, 3000, out).values()), out
