"""A region's catalog pulled to a fresh device, as the app pulls it: bytes, requests, time.

A fresh browser context opens `/`, waits until the service worker controls the page, goes to
`#/wilayah` and taps Kota Batam (21.71); the pull ends when the list reads "39 layanan". It runs
twice, each in its own context: unthrottled, then with the page's network emulated at 400 kbps
and 400 ms RTT (CDP `Network.emulateNetworkConditions`, recipes §8; PouchDB fetches from the
page, so the page's session is the one throttled). Bytes are CDP `encodedDataLength` of every
`/sync/...` request; times come from the page's own clock (the click, Resource Timing of each
`/sync` fetch, the list appearing). The docs on the device are read back from the local
`catalog-21.71` database. For the throttled run the physical minimum is what the link alone
would cost (bytes ÷ bandwidth + sequential round trips × RTT); the ratio shows what the
replication protocol and the device add on top. Figures only: nothing here fails on a time.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import httpx

from tests.bench.support import NetworkRecorder, kib, wait_until
from tests.e2e.test_offline_shell import visit_until_controlled

NAME = "catalog_pull"

REGION = "21.71"
SERVICES = 39  # current services of the demo catalog of 21.71, as the list counts them
RTT_MS = 400
BANDWIDTH = 400 * 1000 / 8  # 400 kbps in bytes per second, both ways
SLOW = {"offline": False, "latency": RTT_MS, "downloadThroughput": BANDWIDTH, "uploadThroughput": BANDWIDTH}
GZIP_LEVEL = 9  # what server.app's CompressionConfig(backend="gzip") uses by default
GZIP_MINIMUM = 512  # CompressionConfig(minimum_size=512)
PULL_TIMEOUT_MS = 180_000

# Installed before the tap: the page's clock at the tap and when the list shows the count.
WATCH = """(expected) => {
  const marks = window.__catalogPull = {};
  document.addEventListener('click', () => { marks.click ??= performance.now(); }, {capture: true});
  new MutationObserver((_, observer) => {
    const count = document.querySelector('#service-count');
    if (count && count.textContent.startsWith(expected)) { marks.done = performance.now(); observer.disconnect(); }
  }).observe(document.getElementById('app'), {childList: true, subtree: true, characterData: true});
}"""

SYNC_TIMING = """() => performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname.startsWith('/sync'))
  .map((e) => ({url: e.name, start: e.startTime, end: e.responseEnd}))"""

# PouchDB is on the page (the app loaded PouchDB from /assets/ to pull); a second handle on the
# same IndexedDB database reads what the replication wrote.
LOCAL_INFO = """async (name) => {
  const info = await new window.PouchDB(name).info();
  return {doc_count: info.doc_count, update_seq: info.update_seq};
}"""


class RequestBodies:
    """Method and body size of each page request, and the status as it crossed the wire (a 304
    revalidation is reported as the cached 200 otherwise); the shared recorder counts responses."""

    def __init__(self, cdp: Any):
        self.cdp = cdp
        self.seen: dict[str, dict[str, Any]] = {}
        self.wire_status: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.responseReceivedExtraInfo", lambda p: self.wire_status.__setitem__(p["requestId"], p["statusCode"]))

    def _on_request(self, p: dict[str, Any]) -> None:
        request = p["request"]
        entries = request.get("postDataEntries") or []
        if entries:
            body = b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
        else:
            body = request.get("postData", "").encode()
        self.seen[p["requestId"]] = {"method": request["method"], "body": body, "has_body": request.get("hasPostData", False)}

    def body(self, request_id: str) -> bytes:
        seen = self.seen.get(request_id, {})
        if seen.get("has_body") and not seen.get("body"):  # too large to be inlined in the event
            seen["body"] = self.cdp.send("Network.getRequestPostData", {"requestId": request_id})["postData"].encode()
        return seen.get("body", b"")


def catalog_on_server(url: str) -> dict[str, Any]:
    """The catalog as published: its docs and their JSON size, read through the gateway."""
    r = httpx.get(f"{url}/sync/catalog/{REGION}/_all_docs", params={"include_docs": "true"}, timeout=30)
    r.raise_for_status()
    docs = [row["doc"] for row in r.json()["rows"]]
    sizes = [len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()) for doc in docs]
    return {
        "docs": len(docs),
        "json_bytes": sum(sizes),
        "largest_doc_bytes": max(sizes, default=0),
        "gzip_bytes": len(gzip.compress(json.dumps(docs, ensure_ascii=False, separators=(",", ":")).encode(), GZIP_LEVEL)),
        "attachments": sum(len(doc.get("_attachments", {})) for doc in docs),
    }


def round_trips(intervals: list[tuple[float, float]]) -> int:
    """Sequential waves of requests: one that starts before the current wave ends overlaps it."""
    waves, wave_end = 0, None
    for start, end in sorted(intervals):
        if wave_end is None or start >= wave_end:
            waves, wave_end = waves + 1, end
        else:
            wave_end = max(wave_end, end)
    return waves


def gzip_replay(url: str, requests: list[dict[str, Any]]) -> dict[str, int]:
    """Each pull request sent again as the device sent it; its answer sized raw and gzipped.

    What the wire would carry if the gateway compressed these one-shot replies (bodies under
    the app's 512-byte minimum stay as they are).
    """
    raw_total = gz_total = 0
    with httpx.Client(timeout=30) as client:
        for req in requests:
            body = base64.b64decode(req.pop("_body_b64"))
            headers = {"content-type": "application/json"} if body else {}
            answer = client.request(req["method"], url + req["path"], content=body or None, headers=headers).content
            gz = len(gzip.compress(answer, GZIP_LEVEL)) if len(answer) >= GZIP_MINIMUM else len(answer)
            req["body_gzip_bytes"] = gz
            raw_total, gz_total = raw_total + len(answer), gz_total + gz
    return {"raw": raw_total, "gzip": gz_total}


def pull(browser: Any, url: str, throttled: bool) -> dict[str, Any]:
    context = browser.new_context(locale="id-ID")
    try:
        page = context.new_page()
        visit_until_controlled(page, url + "/")
        page.goto(url + "/#/wilayah")
        button = page.locator(f"[data-region='{REGION}']")
        button.wait_for(timeout=30_000)

        cdp = context.new_cdp_session(page)
        recorder = NetworkRecorder()
        bodies = RequestBodies(cdp)
        recorder.attach(cdp)
        if throttled:
            cdp.send("Network.emulateNetworkConditions", SLOW)
        page.evaluate(WATCH, f"{SERVICES} layanan")
        button.click()
        page.wait_for_function("window.__catalogPull.done !== undefined", timeout=PULL_TIMEOUT_MS, polling=50)
        marks = page.evaluate("window.__catalogPull")
        timing = page.evaluate(SYNC_TIMING)
        local = page.evaluate(LOCAL_INFO, f"catalog-{REGION}")
        settled = wait_until(lambda: not recorder.pending(), lambda s: page.wait_for_timeout(s * 1000), timeout=15, quiet=0.3)
        if throttled:
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

        transfers = sorted((t for t in recorder.transfers.values() if t.url and t.source == "page"), key=lambda t: t.started)
        sync = [t for t in transfers if t.path.startswith("/sync")]
        by_url: dict[str, list[dict[str, float]]] = {}
        for e in sorted(timing, key=lambda e: e["start"]):
            by_url.setdefault(e["url"], []).append(e)
        requests = []
        for t in sync:
            body = bodies.body(t.request_id)
            seen = by_url.get(t.url, [])
            rt = seen.pop(0) if seen else None
            requests.append({
                "method": bodies.seen.get(t.request_id, {}).get("method", "?"), "path": t.path, "status": t.status,
                "wire_status": bodies.wire_status.get(t.request_id, t.status),
                "start_ms": round(rt["start"] - marks["click"]) if rt else None,
                "end_ms": round(rt["end"] - marks["click"]) if rt else None,
                "wire_bytes": t.wire_bytes, "body_bytes": t.body_bytes, "request_body_bytes": len(body),
                "content_encoding": t.content_encoding, "failed": t.failed,
                "_body_b64": base64.b64encode(body).decode(),
            })
        others = [f"{t.path} ({'service worker' if t.from_cache else kib(t.wire_bytes)})" for t in transfers if not t.path.startswith("/sync")]
    finally:
        context.close()

    wall = (marks["done"] - marks["click"]) / 1000
    starts = [e["start"] for e in timing]
    ends = [e["end"] for e in timing]
    waves = round_trips([(e["start"], e["end"]) for e in timing])
    down = sum(r["wire_bytes"] for r in requests)
    up = sum(r["request_body_bytes"] for r in requests)
    # a request still running when the list appeared (Resource Timing has no entry yet) is not
    # on the path to the list, so it is left out of the physical minimum
    on_path = [r for r in requests if r["end_ms"] is not None]
    result: dict[str, Any] = {
        "conditions": (f"{BANDWIDTH * 8 / 1000:.0f} kbps, {RTT_MS} ms RTT (emulated)" if throttled else "unthrottled"),
        "docs_on_device": local["doc_count"],
        "local_update_seq": local["update_seq"],
        "services_listed": SERVICES,
        "wall_s": round(wall, 3),
        "phases_s": {
            "tap_to_first_sync_request": round((min(starts) - marks["click"]) / 1000, 3) if starts else None,
            "first_to_last_sync_response": round((max(ends) - min(starts)) / 1000, 3) if starts else None,
            "last_sync_response_to_list": round((marks["done"] - max(ends)) / 1000, 3) if ends else None,
        },
        "requests": len(requests),
        "catalog_requests": sum(1 for r in requests if r["path"].startswith(f"/sync/catalog/{REGION}")),
        "round_trips": waves,
        "wire_bytes": down,
        "response_body_bytes": sum(r["body_bytes"] for r in requests),
        "request_body_bytes": up,
        "content_encodings": sorted({r["content_encoding"] or "none" for r in requests}),
        "non_2xx": [f"{r['method']} {r['path']} -> {r['status'] or r['failed']}" for r in requests if not 200 <= r["status"] < 300],
        "other_requests_during_pull": others,
        "after_list": [f"{r['method']} {r['path']}" for r in requests if r["end_ms"] is None],
        "unsettled": not settled,
        "sync_requests": requests,
    }
    if throttled:
        path_bytes = sum(r["wire_bytes"] + r["request_body_bytes"] for r in on_path)
        minimum = path_bytes / BANDWIDTH + waves * RTT_MS / 1000
        result["physical_minimum_bytes"] = path_bytes
        result["physical_minimum_s"] = round(minimum, 3)
        result["ratio_to_minimum"] = round(wall / minimum, 2)
    return result


def run(ctx) -> dict[str, Any]:
    catalog = catalog_on_server(ctx.url)
    with ctx.launch_chromium() as browser:
        runs = {"unthrottled": pull(browser, ctx.url, throttled=False), "throttled": pull(browser, ctx.url, throttled=True)}
        browser_version = browser.version
    for one in runs.values():
        one["gzip_estimate"] = gzip_replay(ctx.url, one["sync_requests"])
    slow = runs["throttled"]
    # what gzip would still save on replies that came uncompressed (the gateway already gzips the big ones)
    saved = sum(r["body_bytes"] - r["body_gzip_bytes"] for r in slow["sync_requests"]
                if r["end_ms"] is not None and not r["content_encoding"] and r["body_bytes"] > r["body_gzip_bytes"])
    slow["physical_minimum_with_gzip_s"] = round(slow["physical_minimum_s"] - saved / BANDWIDTH, 3)
    return {"region": REGION, "url": ctx.url, "browser": browser_version, "catalog": catalog, **runs}


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    cat = result["catalog"]
    rows = [(
        f"catalog {result['region']} on the server",
        f"{cat['docs']} docs, JSON {kib(cat['json_bytes'])} (sum of doc sizes), gzip -{GZIP_LEVEL} of all of it {kib(cat['gzip_bytes'])}",
    )]
    for name in ("unthrottled", "throttled"):
        r = result[name]
        p = r["phases_s"]
        rows += [
            (f"{name}: conditions", r["conditions"]),
            (f"{name}: docs on the device", f"{r['docs_on_device']} (list shows {r['services_listed']} layanan)"),
            (f"{name}: wall time, tap to list", f"{r['wall_s']:.2f} s (tap→first /sync {p['tap_to_first_sync_request']:.2f} s, "
                                                f"/sync {p['first_to_last_sync_response']:.2f} s, last reply→list {p['last_sync_response_to_list']:.2f} s)"),
            (f"{name}: bytes on the wire", f"{kib(r['wire_bytes'])} in; request bodies out {kib(r['request_body_bytes'])}"),
            (f"{name}: requests", f"{r['requests']} to /sync ({r['catalog_requests']} to /sync/catalog/{result['region']}), "
                                  f"{r['round_trips']} sequential round trips"),
            (f"{name}: /sync responses", f"encoding {', '.join(r['content_encodings'])}; bodies {kib(r['response_body_bytes'])}, "
                                         f"gzipped would be {kib(r['gzip_estimate']['gzip'])}"),
        ]
        if "physical_minimum_s" in r:
            rows += [
                (f"{name}: physical minimum", f"{r['physical_minimum_s']:.2f} s ({kib(r['physical_minimum_bytes'])} ÷ {BANDWIDTH:,.0f} B/s + {r['round_trips']} × {RTT_MS} ms); "
                                              f"measured is {r['ratio_to_minimum']:.2f}× that"),
                (f"{name}: minimum if gzipped", f"{r['physical_minimum_with_gzip_s']:.2f} s"),
            ]
        for problem in ("non_2xx", "after_list"):
            if r[problem]:
                rows.append((f"{name}: {problem.replace('_', ' ')}", ", ".join(r[problem])))
        if r["unsettled"]:
            rows.append((f"{name}: unsettled", "some requests had not finished when figures were taken"))
        rows.append((f"{name}: other requests during the pull", ", ".join(r["other_requests_during_pull"]) or "none"))
        for q in r["sync_requests"]:
            status = f"{q['status']}" + (f" ({q['wire_status']} on the wire)" if q["wire_status"] != q["status"] else "")
            rows.append((
                f"  {q['method']:<4} {q['path'][:70]}",
                (f"{q['start_ms']:>5}–{q['end_ms']:>5} ms" if q["end_ms"] is not None else f"{'after the list':>14}")
                + f"  {status} {q['wire_bytes']:>7,} B wire {q['body_bytes']:>7,} B body  out {q['request_body_bytes']:>5,} B  {q['content_encoding'] or '-'}",
            ))
    return rows
