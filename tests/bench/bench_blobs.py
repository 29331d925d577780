"""Photos from a device to the server over 2G: what resumable uploads to `/blobs/` cost.

1. 10 drafts × 2 photo-like JPEGs of ~200 KB sent with tus-js-client (tests/support/uploader.mjs,
   256 KB chunks, as the PWA sends them) through a link shaped to 400 kbps each way and 400 ms
   round trip (tests/support/faultproxy.py, no cuts). Reported: wall time and bytes on the wire
   against the physical minimum — the photos' bytes ÷ bandwidth + one round trip per sequential
   request (POST to create, PATCH per chunk) — and what the same photos would cost as PouchDB
   attachments (base64 inside the JSON: 4/3 of the bytes).
2. A 1 MB photo whose connection is cut at 50 % (mid-chunk): bytes sent again (goal ≤ one chunk).

The photos are random bytes behind a JPEG header (Pillow is not installed): they sniff as JPEG
and are as incompressible as a real photo, which is all the wire sees.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from tests.bench.support import ROOT, BenchUnavailable
from tests.support.faultproxy import FaultProxy
from tests.support.people import enrol_resident

NAME = "blobs"
DRAFTS = 10
PHOTOS_PER_DRAFT = 2
PHOTO_BYTES = 200 * 1024
BIG_PHOTO = 1_000_000
CHUNK = 256 * 1024
RTT_MS = 400
BANDWIDTH = 400 * 1000 / 8  # bytes per second, each way


def photo(size: int, seed: str) -> bytes:
    out, block = bytearray(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"), hashlib.sha256(seed.encode()).digest()
    while len(out) < size - 2:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[: size - 2]) + b"\xff\xd9"


def write_photos(dir_: Path, sizes: list[int], tag: str) -> list[dict[str, Any]]:
    dir_.mkdir(parents=True, exist_ok=True)
    files = []
    for n, size in enumerate(sizes):
        data = photo(size, f"{tag}-{n}")
        path = dir_ / f"{tag}-{n}.jpg"
        path.write_bytes(data)
        files.append({"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "mime": "image/jpeg", "field": "pas_foto",
                      "size": size})
    return files


def uploader(args: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(["node", str(ROOT / "tests/support/uploader.mjs")], input=json.dumps(args), capture_output=True,
                         text=True, timeout=900, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-1500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


class CutOnce:
    """Stands in for the proxy's random source: cuts connection `nth` (1-based) upstream at `budget` bytes."""

    def __init__(self, nth: int, budget: int):
        self.nth, self.budget, self.seen = nth, budget, 0

    def random(self) -> float:
        self.seen += 1
        return 0.0 if self.seen == self.nth else 1.0

    def choice(self, _options):
        return "up"

    def randint(self, _a: int, _b: int) -> int:
        return self.budget


def run(ctx) -> dict[str, Any]:
    if not ctx.env:
        raise BenchUnavailable("needs the app's environment")
    cookie = enrol_resident(ctx.url, ctx.env["DATABASE_URL"])
    port = int(ctx.url.rsplit(":", 1)[1])

    # 1. 20 photos over a shaped 2G link
    files = write_photos(ctx.tmp / "photos", [PHOTO_BYTES + n * 512 for n in range(DRAFTS * PHOTOS_PER_DRAFT)], "p")
    payload = sum(f["size"] for f in files)
    with FaultProxy("127.0.0.1", port, cut_probability=0, bandwidth=BANDWIDTH, rtt_ms=RTT_MS) as link:
        out = uploader({"endpoint": link.url + "/blobs/uploads", "cookie": cookie, "files": files})
        up, down, connections = link.stats.bytes_up, link.stats.bytes_down, link.stats.connections
    if not all(r["ok"] for r in out["results"]):
        raise RuntimeError(f"uploads failed: {[r.get('error') for r in out['results'] if not r['ok']][:3]}")
    requests = out["posts"] + out["patches"] + out["heads"]
    minimum = payload / BANDWIDTH + requests * RTT_MS / 1000
    two_g = {
        "photos": len(files), "payload_bytes": payload, "bytes_up": up, "bytes_down": down, "connections": connections,
        "wire_ratio": round(up / payload, 3), "requests": requests, "posts": out["posts"], "patches": out["patches"],
        "wall_s": round(out["ms"] / 1000, 2), "physical_minimum_s": round(minimum, 2),
        "ratio_to_minimum": round(out["ms"] / 1000 / minimum, 2),
        "base64_bytes": (payload + 2) // 3 * 4, "base64_minimum_s": round((payload + 2) // 3 * 4 / BANDWIDTH, 2),
    }

    # 2. one 1 MB photo, its connection cut at 50 % (one connection per request, so the cut lands in a known PATCH)
    (big,) = write_photos(ctx.tmp / "big", [BIG_PHOTO], "big")
    half = BIG_PHOTO // 2
    nth_patch = half // CHUNK + 1  # the PATCH carrying byte `half`
    with FaultProxy("127.0.0.1", port, cut_probability=1.0) as proxy:
        proxy.rng = CutOnce(nth=1 + nth_patch, budget=(half - (nth_patch - 1) * CHUNK) + 600)  # + ~600 B of request headers
        cut_out = uploader({"endpoint": proxy.url + "/blobs/uploads", "cookie": cookie, "files": [big], "keepAlive": False})
        cut = {"cuts": proxy.stats.cuts, "cut_at": proxy.stats.cut_points, "bytes_up": proxy.stats.bytes_up,
               "resent_bytes": cut_out["resent"], "patches": cut_out["patches"], "heads": cut_out["heads"],
               "ok": all(r["ok"] for r in cut_out["results"]), "wire_minus_payload": proxy.stats.bytes_up - BIG_PHOTO}
    return {"two_g": two_g, "cut": cut}


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    s, c = result["two_g"], result["cut"]
    return [
        ("2G: conditions", f"400 kbps each way, {RTT_MS} ms round trip (shaping proxy), tus-js-client 4.3.1, 256 KB chunks"),
        ("2G: photos", f"{s['photos']} JPEG-like files, {s['payload_bytes']:,} B in all ({DRAFTS} drafts × {PHOTOS_PER_DRAFT})"),
        ("2G: wall time", f"{s['wall_s']:.2f} s"),
        ("2G: bytes on the wire", f"{s['bytes_up']:,} B up ({s['wire_ratio']:.3f}× the photos; goal ≤ 1.10), {s['bytes_down']:,} B down"),
        ("2G: sequential requests", f"{s['requests']} ({s['posts']} POST + {s['patches']} PATCH), {s['connections']} connections"),
        ("2G: physical minimum", f"{s['physical_minimum_s']:.2f} s (bytes ÷ bandwidth + {s['requests']} × {RTT_MS} ms); "
                                 f"measured is {s['ratio_to_minimum']:.2f}× that (goal ≤ 1.2)"),
        ("2G: as PouchDB attachments", f"{s['base64_bytes']:,} B of base64 (1.33×), at least {s['base64_minimum_s']:.2f} s on the wire"),
        ("cut at 50 % of 1 MB", f"{c['cuts']} cut at {c['cut_at']}; {c['resent_bytes']:,} B sent again (goal ≤ {CHUNK:,}); "
                                f"{c['patches']} PATCH, {c['heads']} HEAD; arrived: {c['ok']}"),
        ("cut: upstream bytes beyond the photo", f"{c['wire_minus_payload']:,} B (headers of every request + bytes sent again)"),
    ]
