"""The built PWA: an installable manifest and a service worker that precaches the whole shell."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "pwa" / "dist"


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_manifest_is_installable():
    m = json.loads((ROOT / "pwa/public/manifest.webmanifest").read_text())
    assert m["name"] == "MPP Digital"
    assert m["short_name"] and m["start_url"].startswith("/")
    assert m["display"] == "standalone" and m["lang"] == "id" and m["theme_color"].startswith("#")
    for icon in m["icons"]:
        w, h = png_size(ROOT / "pwa/public" / icon["src"].lstrip("/"))
        assert icon["sizes"] == f"{w}x{h}"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in m["icons"] if i.get("purpose", "any") == "any"}


def test_service_worker_precaches_every_shell_file_with_a_revision():
    sw = (DIST / "sw.js").read_text()
    manifest = json.loads(re.search(r"(\[\{url:.*?\}\])", sw).group(1).replace("url:", '"url":').replace("revision:", '"revision":'))
    urls = {entry["url"] for entry in manifest}
    assert "/index.html" in urls and "/manifest.webmanifest" in urls
    html = (DIST / "index.html").read_text()
    for asset in re.findall(r'/assets/[\w.-]+', html):
        assert asset in urls, asset
    for entry in manifest:
        assert entry["url"].startswith("/assets/") or re.fullmatch(r"[0-9a-f]{16}", entry["revision"])


def test_service_worker_does_not_skip_waiting_on_its_own():
    src = (ROOT / "pwa/src/sw.js").read_text()
    # skipWaiting only in answer to the page's message, after the person tapped "Perbarui"
    assert src.count("skipWaiting()") == 1 and "SKIP_WAITING" in src
