"""The PWA's first load: what a phone downloads on its first visit, counted in bytes on the wire.

A fresh browser context opens `/`, waits for the network to go idle and for the service worker to
be activated (its install event is the precache). Every request is counted from CDP
`Network.loadingFinished.encodedDataLength` (headers plus the compressed body), on the page's
session and on the service worker's. Responses served from the HTTP cache cost nothing on the
wire and are listed apart. The budget (first load ≤ 150 KB compressed, JS ≤ 100 KB gzip) is
reported, never enforced: a bench does not fail on a size.
"""

from __future__ import annotations

from typing import Any

from tests.bench.support import NetworkRecorder, Transfer, kib, wait_until

NAME = "first_load"

KB = 1024  # the budgets read "KB"; counted here as KiB, the stricter reading of the two
BUDGET_FIRST_LOAD = 150 * KB
BUDGET_JS = 100 * KB
COMPRESSIBLE = {"html", "css", "js", "manifest", "json"}
MIN_COMPRESSED = 512  # server.app: CompressionConfig(minimum_size=512)

# Resolves once the page's service worker is activated, i.e. its precache is complete.
SW_ACTIVATED = """async (ms) => {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no active service worker after ' + ms + ' ms')), ms));
  const activated = (async () => {
    const reg = await navigator.serviceWorker.ready;
    const sw = reg.active;
    if (sw.state !== 'activated') {
      await new Promise((resolve) => sw.addEventListener('statechange', () => sw.state === 'activated' && resolve()));
    }
    return { scriptURL: sw.scriptURL, state: sw.state, scope: reg.scope };
  })();
  return Promise.race([activated, timeout]);
}"""


def _sum(transfers: list[Transfer]) -> dict[str, int]:
    return {
        "bytes": sum(t.wire_bytes for t in transfers),
        "uncompressed": sum(t.body_bytes for t in transfers),
        "requests": len(transfers),
    }


def _budget(measured: int, limit: int) -> dict[str, Any]:
    return {
        "limit_bytes": limit,
        "measured_bytes": measured,
        "share": round(measured / limit, 3),
        "status": "within budget" if measured <= limit else "over budget",
    }


def run(ctx) -> dict[str, Any]:
    recorder = NetworkRecorder()
    with ctx.launch_chromium() as browser:
        context = browser.new_context()
        try:
            page = context.new_page()
            recorder.attach(context.new_cdp_session(page))
            page.goto(ctx.url + "/", wait_until="networkidle", timeout=60_000)
            worker = page.evaluate(SW_ACTIVATED, 30_000)
            settled = wait_until(lambda: not recorder.pending(), lambda s: page.wait_for_timeout(s * 1000), timeout=15)
            browser_version = browser.version
        finally:
            context.close()
    recorder.replace_worker_script(worker["scriptURL"])

    everything = [t for t in recorder.transfers.values() if t.url]
    wire = [t for t in everything if not t.from_cache and not t.failed]
    page_wire = [t for t in wire if t.source == "page"]
    worker_wire = [t for t in wire if t.source != "page"]
    load = recorder.load_event
    critical = [t for t in page_wire if load is not None and t.started <= load]
    js = [t for t in wire if t.kind == "js"]
    by_kind: dict[str, dict[str, int]] = {}
    for kind in sorted({t.kind for t in wire}):
        by_kind[kind] = _sum([t for t in wire if t.kind == kind])
    not_compressed = [
        t.path for t in wire
        if t.kind in COMPRESSIBLE and t.body_bytes >= MIN_COMPRESSED and t.content_encoding in ("", "identity")
    ]
    total = _sum(wire)
    before_load = {id(t) for t in critical}
    return {
        "url": ctx.url + "/",
        "browser": browser_version,
        "service_worker": worker,
        "critical_path": _sum(critical),
        "page": _sum(page_wire),
        "service_worker_fetches": _sum(worker_wire),
        "total": total,
        "js": _sum(js),
        "by_kind": by_kind,
        "http_cache_hits": [f"{t.source} {t.path}" for t in everything if t.from_cache],
        "failed": [f"{t.source} {t.path}: {t.failed}" for t in everything if t.failed],
        "unsettled": [] if settled else [f"{t.source} {t.path}" for t in recorder.pending()],
        "budget": {
            "first_load": _budget(total["bytes"], BUDGET_FIRST_LOAD),
            "js": _budget(sum(t.wire_bytes for t in js), BUDGET_JS),
        },
        "compression": {
            "encodings": sorted({t.content_encoding or "none" for t in wire if t.kind in COMPRESSIBLE}),
            "text_responses_not_compressed": not_compressed,
        },
        "requests": [t.as_dict() | {"before_load": id(t) in before_load} for t in sorted(everything, key=lambda t: (t.source != "page", t.started))],
    }


def _row(group: dict[str, int]) -> str:
    return f"{kib(group['bytes'])} in {group['requests']} requests; uncompressed {kib(group['uncompressed'])}"


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("critical path (page, before load)", _row(result["critical_path"])),
        ("page, until network idle", _row(result["page"])),
        ("service worker (script + precache)", _row(result["service_worker_fetches"])),
        ("total first load", _row(result["total"])),
        ("JS (page + service worker)", _row(result["js"])),
    ]
    for name, key, limit in (("first load", "first_load", BUDGET_FIRST_LOAD), ("JS", "js", BUDGET_JS)):
        b = result["budget"][key]
        rows.append((f"budget: {name} <= {limit // KB} KiB", f"{b['status']} ({b['share']:.0%} of budget)"))
    comp = result["compression"]
    rows.append((
        "compression of text responses",
        ", ".join(comp["encodings"]) if not comp["text_responses_not_compressed"]
        else "NOT compressed: " + ", ".join(comp["text_responses_not_compressed"]),
    ))
    rows.append(("HTTP-cache hits (0 B on the wire)", ", ".join(result["http_cache_hits"]) or "none"))
    for problem in ("failed", "unsettled"):
        if result[problem]:
            rows.append((problem, ", ".join(result[problem])))
    for r in result["requests"]:
        where = "cache" if r["from_cache"] else ("direct" if r["measured_directly"] else "wire")
        rows.append((
            f"  {r['source']:<14} {r['kind']:<8} {r['path']}",
            f"{r['wire_bytes']:>6,} B {where:<6} {r['body_bytes']:>7,} B body  {r['content_encoding'] or '-'}",
        ))
    return rows
