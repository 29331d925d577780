"""Drafts from a device to the server: what the gateway costs, and how long 20 drafts take on 2G.

1. Gateway overhead: a PouchDB client (Node, tests/support/device.mjs, data on disk) pushes
   1,000 drafts to a field officer's database through `/sync/me` (a citizen's budget is 200
   docs; an officer's 5,000), and another pushes the same number straight to the CouchDB server as
   the service admin — same machine, same run; on Apache CouchDB that database gets the same
   `_design/mpp` validation function a person's database has, so the ratio is the gateway's own. Reported:
   both wall times, their ratio (goal ≤ 1.10) and p50/p95 per request kind.
2. 20 text-only drafts pushed through a link shaped to 400 kbps and 400 ms round trip
   (tests/support/faultproxy.py, no cuts): wall time and bytes on the wire, against the physical
   minimum — the drafts' JSON ÷ bandwidth + one round trip per sequential request.
"""

from __future__ import annotations

import base64
import json
import statistics
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from tests.bench.support import BenchUnavailable
from tests.support.faultproxy import FaultProxy
from sync.userdb import DESIGN_DOC, DESIGN_ID
from tests.support import phone
from tests.support.people import enrol_resident, officer_cookie

NAME = "sync"
DRAFTS = 1000
SLOW_DRAFTS = 20
RTT_MS = 400
BANDWIDTH = 400 * 1000 / 8  # bytes per second, each way


def draft_spec(i: int) -> dict[str, Any]:
    return {"region_code": "21.71", "service_id": "adminduk-ktp-el", "service_version": 1,
            "values": {"nik": "2171011203900002", "alasan": "baru", "lokasi_pengambilan": "mpp",
                       "no_hp": "081234567890", "catatan": f"Permohonan uji nomor {i}"}}


def device(args: dict[str, Any]) -> dict[str, Any]:
    return phone.device(args, timeout=900)


def prepare(dir_: Path, n: int) -> None:
    """Write `n` submitted drafts into a fresh device (no network involved)."""
    device({"dir": str(dir_), "remote": "http://127.0.0.1:9/unused", "add": [draft_spec(i) for i in range(n)]})


def per_request(requests: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {}
    for r in requests:
        by_kind.setdefault(f"{r['method']} {r['what']}", []).append(r["ms"])
    out = {}
    for kind, times in sorted(by_kind.items()):
        times.sort()
        out[kind] = {"n": len(times), "p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1)}
    all_times = sorted(r["ms"] for r in requests)
    out["all"] = {"n": len(all_times), "p50_ms": round(statistics.median(all_times), 1),
                  "p95_ms": round(all_times[min(len(all_times) - 1, int(len(all_times) * 0.95))], 1)}
    return out


def run(ctx) -> dict[str, Any]:
    if not ctx.env:
        raise BenchUnavailable("the bench harness did not pass the app's environment")
    cookie = enrol_resident(ctx.url, ctx.env["DATABASE_URL"])
    officer = "mpp_session=" + officer_cookie(ctx.env)[0]

    # 1. through the gateway vs straight to the CouchDB server (with the same validation function, where it runs)
    direct_db = f"bench-direct-{uuid4().hex[:8]}"
    admin = (ctx.couch.user, ctx.couch.password)
    httpx.put(ctx.couch.db_url(direct_db), auth=admin, timeout=30).raise_for_status()
    validation = ctx.couch.apache  # a person's database carries `_design/mpp` there: the direct one must too
    if validation:
        httpx.put(f"{ctx.couch.db_url(direct_db)}/{DESIGN_ID}", json=DESIGN_DOC, auth=admin, timeout=30).raise_for_status()
    basic = "Basic " + base64.b64encode(f"{admin[0]}:{admin[1]}".encode()).decode()
    via, straight = ctx.tmp / "device-gateway", ctx.tmp / "device-direct"
    prepare(via, DRAFTS)
    prepare(straight, DRAFTS)
    gw = device({"dir": str(via), "remote": f"{ctx.url}/sync/me", "cookie": officer, "push": True, "timings": True, "attempts": 1})
    dr = device({"dir": str(straight), "remote": ctx.couch.db_url(direct_db), "headers": {"Authorization": basic},
                 "push": True, "timings": True, "attempts": 1})
    if gw["push"].get("failed") or gw["push"]["docs_written"] != DRAFTS:
        raise RuntimeError(f"push through the gateway did not complete: {gw['push']} {gw['errors'][-3:]}")
    overhead = {
        "drafts": DRAFTS,
        "gateway_wall_s": round(gw["wall_ms"] / 1000, 3), "direct_wall_s": round(dr["wall_ms"] / 1000, 3),
        "ratio": round(gw["wall_ms"] / dr["wall_ms"], 3), "validation_function": validation,
        "gateway_requests": per_request(gw["requests"]), "direct_requests": per_request(dr["requests"]),
    }
    httpx.delete(ctx.couch.db_url(direct_db), auth=admin, timeout=30)

    # 2. twenty drafts over 400 kbps / 400 ms
    slow_dir = ctx.tmp / "device-2g"
    prepare(slow_dir, SLOW_DRAFTS)
    local_docs = device({"dir": str(slow_dir), "remote": "http://127.0.0.1:9/unused"})["drafts"]
    payload = SLOW_DRAFTS * len(json.dumps({"_id": local_docs[0], **draft_spec(0), "state": "submitted"}).encode())
    with FaultProxy("127.0.0.1", int(ctx.url.rsplit(":", 1)[1]), cut_probability=0, bandwidth=BANDWIDTH, rtt_ms=RTT_MS) as link:
        slow = device({"dir": str(slow_dir), "remote": f"{link.url}/sync/me", "cookie": cookie, "push": True, "timings": True,
                       "attempts": 1})
        wire_up, wire_down = link.stats.bytes_up, link.stats.bytes_down
    round_trips = len(slow["requests"])
    minimum = payload / BANDWIDTH + round_trips * RTT_MS / 1000
    two_g = {
        "drafts": SLOW_DRAFTS, "docs_written": slow["push"].get("docs_written"), "wall_s": round(slow["wall_ms"] / 1000, 3),
        "bytes_up": wire_up, "bytes_down": wire_down, "draft_json_bytes": payload, "requests": round_trips,
        "physical_minimum_s": round(minimum, 3), "ratio_to_minimum": round(slow["wall_ms"] / 1000 / minimum, 2),
        "per_request": per_request(slow["requests"]),
    }
    return {"gateway_overhead": overhead, "two_g": two_g}


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    o, s = result["gateway_overhead"], result["two_g"]
    rows = [
        ("gateway: drafts pushed", f"{o['drafts']:,} (batches of 100)"),
        ("gateway: wall time via /sync/me", f"{o['gateway_wall_s']:.2f} s"),
        ("gateway: wall time straight to CouchDB", f"{o['direct_wall_s']:.2f} s"
                                                   + (" (same validation function)" if o.get("validation_function") else "")),
        ("gateway: ratio (goal ≤ 1.10)", f"{o['ratio']:.2f}"),
    ]
    for kind, f in o["gateway_requests"].items():
        d = o["direct_requests"].get(kind)
        rows.append((f"gateway: {kind}", f"n={f['n']} p50 {f['p50_ms']} ms p95 {f['p95_ms']} ms"
                     + (f" (direct p50 {d['p50_ms']} ms p95 {d['p95_ms']} ms)" if d else "")))
    rows += [
        ("2G: conditions", f"400 kbps each way, {RTT_MS} ms round trip (shaping proxy)"),
        ("2G: drafts", f"{s['drafts']} text-only, {s['docs_written']} written"),
        ("2G: wall time", f"{s['wall_s']:.2f} s"),
        ("2G: bytes on the wire", f"{s['bytes_up']:,} B up, {s['bytes_down']:,} B down (drafts' JSON {s['draft_json_bytes']:,} B)"),
        ("2G: sequential requests", str(s["requests"])),
        ("2G: physical minimum", f"{s['physical_minimum_s']:.2f} s (JSON ÷ bandwidth + {s['requests']} × {RTT_MS} ms); "
                                 f"measured is {s['ratio_to_minimum']:.2f}× that"),
    ]
    return rows
