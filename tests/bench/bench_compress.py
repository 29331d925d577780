"""Photos as a phone camera makes them, through the app's own compression: bytes, size, time.

The app's `pwa/src/data/compress.js` (browser-image-compression underneath, the version in
node_modules) is bundled with esbuild into one module and loaded in Debian's Chromium on a blank
page of the app's origin. The sample photos are drawn in that page — gradients, soft blotches,
sensor-like noise and a KTP-like card with text — at common phone camera sizes and encoded as
JPEG quality 0.92, as a camera would hand them over. Each goes through `prepareFile(file,
'photo')` one at a time, as the app does. Per photo: input and output bytes, output size in
pixels, time on the page's clock, and whether the rules held: at most 250 KB, long edge at most
1600 px, and at least 900×600 (or the input's own size, never enlarged, for a smaller photo).
Figures only: nothing here fails.
"""

from __future__ import annotations

import subprocess
from typing import Any

from tests.bench.support import ROOT, BenchUnavailable

NAME = "compress"

MAX_BYTES = 250 * 1024  # PHOTO.maxBytes in pwa/src/data/blobstate.js
MAX_EDGE = 1600  # PHOTO.maxLongEdge
MIN_SIZE = (900, 600)  # legible ID card: long × short edge at least this, when the input had it
SAMPLES = [  # (label, width, height)
    ("4000×3000 (12 MP)", 4000, 3000),
    ("3264×2448 (8 MP)", 3264, 2448),
    ("1600×1200 (2 MP)", 1600, 1200),
    ("3000×4000 portrait", 3000, 4000),
    ("800×600 (small)", 800, 600),
]
CAMERA_QUALITY = 0.92

ENTRY = """import { prepareFile } from './pwa/src/data/compress.js';
window.__prepareFile = prepareFile;
window.dispatchEvent(new Event('bench-ready'));
"""

# Draw one photo-like picture and encode it as a camera JPEG; returns nothing big to Python.
MAKE = """async ([w, h, seed, quality]) => {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, '#d9c7a8'); g.addColorStop(0.5, '#8b7d6b'); g.addColorStop(1, '#3d3a36');
  ctx.fillStyle = g; ctx.fillRect(0, 0, w, h);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 40; i++) {  // soft light and shadow, as on a table under a lamp
    const x = rnd() * w, y = rnd() * h, r = (0.05 + rnd() * 0.3) * Math.max(w, h);
    const blot = ctx.createRadialGradient(x, y, 0, x, y, r);
    blot.addColorStop(0, `hsla(${rnd() * 360}, 30%, ${30 + rnd() * 50}%, 0.35)`);
    blot.addColorStop(1, 'hsla(0, 0%, 50%, 0)');
    ctx.fillStyle = blot; ctx.fillRect(0, 0, w, h);
  }
  // the card: KTP blue with a photo box and lines of text
  const cw = w * 0.7, ch = cw / 1.585, cx = (w - cw) / 2, cy = (h - ch) / 2;
  const card = ctx.createLinearGradient(cx, cy, cx + cw, cy + ch);
  card.addColorStop(0, '#a9d4f0'); card.addColorStop(1, '#5fa6d8');
  ctx.fillStyle = card; ctx.fillRect(cx, cy, cw, ch);
  ctx.fillStyle = '#c44'; ctx.fillRect(cx + cw * 0.74, cy + ch * 0.28, cw * 0.2, ch * 0.5);
  ctx.fillStyle = '#111';
  const line = ch / 16;
  ctx.font = `bold ${Math.round(line * 0.9)}px sans-serif`;
  ctx.fillText('PROVINSI KEPULAUAN RIAU', cx + cw * 0.25, cy + line * 1.3);
  ctx.fillText('KOTA BATAM', cx + cw * 0.35, cy + line * 2.4);
  ctx.font = `${Math.round(line * 0.75)}px monospace`;
  const rows = ['NIK           : 2171015505900001', 'Nama          : SITI RAHMAWATI', 'Tempat/Tgl Lahir : BATAM, 15-05-1990',
    'Jenis Kelamin : PEREMPUAN   Gol. Darah : O', 'Alamat        : JL. PERUMNAS BLOK C NO. 12', 'RT/RW         : 003/007',
    'Kel/Desa      : SEKUPANG', 'Kecamatan     : SEKUPANG', 'Agama         : ISLAM', 'Status Perkawinan : KAWIN',
    'Pekerjaan     : WIRASWASTA', 'Kewarganegaraan : WNI', 'Berlaku Hingga : SEUMUR HIDUP'];
  rows.forEach((t, i) => ctx.fillText(t, cx + cw * 0.04, cy + line * (4 + i * 0.9)));
  // sensor noise, gentler than random bytes: a camera's JPEG of a real scene
  const img = ctx.getImageData(0, 0, w, h);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const n = (rnd() - 0.5) * 14;
    d[i] += n; d[i + 1] += n; d[i + 2] += n;
  }
  ctx.putImageData(img, 0, 0);
  const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  window.__sample = new File([jpeg], 'IMG_0001.jpg', { type: 'image/jpeg', lastModified: Date.now() });
  return jpeg.size;
}"""

# The app's compression of the photo just made, timed on the page's clock.
COMPRESS = """async () => {
  const file = window.__sample;
  const t0 = performance.now();
  const { blob, mime } = await window.__prepareFile(file, 'photo');
  const ms = performance.now() - t0;
  const bitmap = await createImageBitmap(blob);
  const out = { bytes: blob.size, mime, width: bitmap.width, height: bitmap.height, ms };
  bitmap.close();
  window.__sample = null;
  return out;
}"""


def bundle(tmp) -> str:
    """compress.js and browser-image-compression as one ES module (no chunks to serve)."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        raise BenchUnavailable("esbuild is not installed (node_modules/.bin/esbuild): run `make pwa`")
    out = tmp / "compress-bench.js"
    result = subprocess.run([str(esbuild), "--bundle", "--format=esm", "--log-level=warning", f"--outfile={out}", "--sourcefile=bench-compress-entry.js"],
                            input=ENTRY, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchUnavailable(f"esbuild could not bundle pwa/src/data/compress.js: {result.stderr.strip()}")
    return out.read_text()


def rules(width: int, height: int, out: dict[str, Any]) -> dict[str, bool]:
    long_in, short_in = max(width, height), min(width, height)
    long_out, short_out = max(out["width"], out["height"]), min(out["width"], out["height"])
    floor = (min(MIN_SIZE[0], long_in), min(MIN_SIZE[1], short_in))  # a small photo keeps its own size
    return {
        "max_250kb": out["bytes"] <= MAX_BYTES,
        "max_1600px": long_out <= MAX_EDGE,
        "min_900x600": long_out >= floor[0] and short_out >= floor[1],
        "not_enlarged": long_out <= long_in and short_out <= short_in,
        "orientation_kept": (out["width"] >= out["height"]) == (width >= height),
    }


def run(ctx) -> dict[str, Any]:
    script = bundle(ctx.tmp)
    page_url = f"{ctx.url}/__bench/compress"
    html = '<!doctype html><meta charset="utf-8"><title>compress</title><script type="module" src="/__bench/compress.js"></script>'
    photos = []
    with ctx.launch_chromium() as browser:
        context = browser.new_context(service_workers="block")
        page = context.new_page()
        page.route(page_url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.route(f"{ctx.url}/__bench/compress.js",
                   lambda route: route.fulfill(status=200, content_type="text/javascript", body=script))
        page.goto(page_url)
        page.wait_for_function("() => typeof window.__prepareFile === 'function'", timeout=30_000)
        user_agent = page.evaluate("navigator.userAgent")
        for seed, (label, width, height) in enumerate(SAMPLES, start=1):
            in_bytes = page.evaluate(MAKE, [width, height, seed, CAMERA_QUALITY])
            out = page.evaluate(COMPRESS)
            photos.append({
                "label": label, "in_width": width, "in_height": height, "in_bytes": in_bytes,
                "out_bytes": out["bytes"], "out_mime": out["mime"], "out_width": out["width"], "out_height": out["height"],
                "ms": round(out["ms"], 1), "ratio": round(in_bytes / out["bytes"], 1) if out["bytes"] else None,
                "rules": rules(width, height, out),
            })
        context.close()
    return {
        "camera_quality": CAMERA_QUALITY, "max_bytes": MAX_BYTES, "max_long_edge": MAX_EDGE, "min_size": list(MIN_SIZE),
        "user_agent": user_agent, "photos": photos,
        "all_rules_held": all(all(p["rules"].values()) for p in photos),
    }


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("photo", "in KB → out KB (×)  out px  ms  rules: ≤250KB ≤1600px ≥900×600 not-enlarged")]
    for p in result["photos"]:
        r = p["rules"]
        marks = " ".join("ok" if r[k] else "NO" for k in ("max_250kb", "max_1600px", "min_900x600", "not_enlarged"))
        rows.append((p["label"], f"{p['in_bytes'] / 1024:,.0f} → {p['out_bytes'] / 1024:,.1f} (×{p['ratio']})  "
                                 f"{p['out_width']}×{p['out_height']}  {p['ms']:,.0f} ms  {marks}"))
    rows.append(("all rules held", "yes" if result["all_rules_held"] else "no"))
    return rows
