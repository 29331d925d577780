"""What the benchmarks share: how Chromium is launched, a CDP network recorder, machine facts.

Sizes come from the browser itself (CDP `Network.loadingFinished.encodedDataLength`: headers plus
the body as it crossed the wire, so compressed), never from the files on disk.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]

# Debian's Chromium under Playwright (recipes §3); Lighthouse gets the same list (recipes §7).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What Chromium 156 sends; the server chooses the encoding from it.
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd"


class BenchUnavailable(Exception):
    """A bench cannot run on this machine (a tool is missing); the message says how to fix it."""


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        raise BenchUnavailable("Chromium is not installed: `make system-deps` (or apt-get install -y chromium)")
    return path


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A Playwright Browser on Debian's Chromium (never Playwright's own download)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- CDP network recording -------------------------------------------------------------------


@dataclass
class Transfer:
    """One request as the browser saw it."""

    request_id: str
    source: str  # "page", or the attached target's type ("service_worker")
    url: str = ""
    resource_type: str = ""
    mime: str = ""
    status: int = 0
    content_encoding: str = ""
    started: float = 0.0  # CDP monotonic seconds, comparable with Page.loadEventFired
    wire_bytes: int = 0  # encodedDataLength: headers + body as transferred
    body_bytes: int = 0  # decoded body (sum of dataReceived.dataLength)
    from_cache: bool = False  # HTTP cache, memory cache or a service worker: nothing crossed the wire
    finished: bool = False
    failed: str = ""
    measured_directly: bool = False

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def kind(self) -> str:
        path, mime = urlsplit(self.url).path.lower(), self.mime.lower()
        if self.resource_type == "Document" or "html" in mime:
            return "html"
        if "javascript" in mime or path.endswith((".js", ".mjs")):
            return "js"
        if "css" in mime or path.endswith(".css"):
            return "css"
        if "manifest" in mime or path.endswith(".webmanifest"):
            return "manifest"
        if mime.startswith("image/") or path.endswith((".png", ".ico", ".svg", ".webp")):
            return "image"
        if "json" in mime:
            return "json"
        return "other"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("request_id")
        d["path"] = self.path
        d["kind"] = self.kind
        return d


NETWORK_EVENTS = (
    "Network.requestWillBeSent",
    "Network.responseReceived",
    "Network.dataReceived",
    "Network.loadingFinished",
    "Network.loadingFailed",
    "Network.requestServedFromCache",
)


@dataclass
class NetworkRecorder:
    """Collects CDP Network events from the page's session and from every target it auto-attaches.

    A service worker's fetches (the precache) are not reported on the page's session (recipes §8).
    `Target.setAutoAttach` on the page session with `waitForDebuggerOnStart` attaches to the
    page's service worker before its script runs, so its `Network` events are seen from the first
    fetch; they arrive wrapped in `Target.receivedMessageFromTarget` (non-flattened sessions,
    which Playwright's CDPSession can drive).
    """

    transfers: dict[tuple[str, str], Transfer] = field(default_factory=dict)
    load_event: float | None = None
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)  # sessionId -> targetInfo
    _next_id: int = 1_000_000

    def attach(self, cdp: Any) -> None:
        self._cdp = cdp
        for method in NETWORK_EVENTS:
            cdp.on(method, lambda params, method=method: self._on("page", method, params))
        cdp.on("Page.loadEventFired", self._on_load)
        cdp.on("Target.attachedToTarget", self._on_attached)
        cdp.on("Target.receivedMessageFromTarget", self._on_target_message)
        cdp.send("Network.enable")
        cdp.send("Page.enable")
        cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    def _on_load(self, params: dict[str, Any]) -> None:
        if self.load_event is None:
            self.load_event = params["timestamp"]

    def _send_to_target(self, session_id: str, method: str, params: dict[str, Any] | None = None) -> None:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        self._cdp.send("Target.sendMessageToTarget", {"sessionId": session_id, "message": json.dumps(message)})

    def _on_attached(self, params: dict[str, Any]) -> None:
        session_id, info = params["sessionId"], params["targetInfo"]
        self.workers[session_id] = info
        self._send_to_target(session_id, "Network.enable")
        # the target is paused until every session that asked for it lets it run
        self._send_to_target(session_id, "Runtime.runIfWaitingForDebugger")

    def _on_target_message(self, params: dict[str, Any]) -> None:
        message = json.loads(params["message"])
        if message.get("method") in NETWORK_EVENTS:
            source = self.workers.get(params["sessionId"], {}).get("type", "worker")
            self._on(f"{source}:{params['sessionId']}", message["method"], message.get("params", {}))

    def _get(self, source: str, request_id: str) -> Transfer:
        key = (source, request_id)
        if key not in self.transfers:
            self.transfers[key] = Transfer(request_id=request_id, source=source.split(":")[0])
        return self.transfers[key]

    def _on(self, source: str, method: str, p: dict[str, Any]) -> None:
        t = self._get(source, p["requestId"])
        if method == "Network.requestWillBeSent":
            if p.get("redirectResponse"):  # the redirect crossed the wire too; its hop gets no loadingFinished
                hop = p["redirectResponse"]
                t.status, t.wire_bytes, t.finished = hop.get("status", 0), int(hop.get("encodedDataLength", 0)), True
                self.transfers[(source, f"{p['requestId']}#{len(self.transfers)}")] = t
                t = self.transfers[(source, p["requestId"])] = Transfer(request_id=p["requestId"], source=t.source)
            t.url, t.resource_type, t.started = p["request"]["url"], p.get("type", ""), p["timestamp"]
        elif method == "Network.responseReceived":
            r = p["response"]
            t.url = t.url or r["url"]
            t.resource_type = t.resource_type or p.get("type", "")
            t.status, t.mime = r.get("status", 0), r.get("mimeType", "")
            headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
            t.content_encoding = headers.get("content-encoding", "")
            if r.get("fromDiskCache") or r.get("fromServiceWorker") or r.get("fromPrefetchCache"):
                t.from_cache = True
        elif method == "Network.requestServedFromCache":
            t.from_cache = True
        elif method == "Network.dataReceived":
            t.body_bytes += int(p.get("dataLength", 0))
        elif method == "Network.loadingFinished":
            t.wire_bytes, t.finished = int(p.get("encodedDataLength", 0)), True
        elif method == "Network.loadingFailed":
            t.failed, t.finished = p.get("errorText", "failed"), True

    def pending(self) -> list[Transfer]:
        return [t for t in self.transfers.values() if t.url and not t.finished]

    def replace_worker_script(self, script_url: str) -> None:
        """Put a direct measurement in place of the service worker's own script.

        Chromium fetches a worker's script in the browser process before the worker target
        exists, so CDP reports it without its request and with only the header bytes; the
        figure would be wrong, so the script is fetched again, exactly as the browser asks.
        """
        for key, t in list(self.transfers.items()):
            if t.source != "page" and (not t.url or t.url == script_url):
                del self.transfers[key]
        t = wire_size(script_url)
        t.source = "service_worker"
        self.transfers[("direct", script_url)] = t


def wire_size(url: str) -> Transfer:
    """One GET as Chromium would send it: status line, headers and the encoded body, counted in bytes."""
    with httpx.Client(timeout=30) as client, client.stream("GET", url, headers={"Accept-Encoding": BROWSER_ACCEPT_ENCODING}) as r:
        raw = b"".join(r.iter_raw())
    head = len(f"HTTP/1.1 {r.status_code} {r.reason_phrase}\r\n") + sum(len(k) + len(v) + 4 for k, v in r.headers.raw) + 2
    encoding = r.headers.get("content-encoding", "")
    body = len(gzip.decompress(raw)) if encoding == "gzip" else len(raw) if encoding in ("", "identity") else 0
    return Transfer(
        request_id=url, source="direct", url=url, resource_type="Script", mime=r.headers.get("content-type", "").split(";")[0],
        status=r.status_code, content_encoding=encoding, wire_bytes=head + len(raw), body_bytes=body, finished=True,
        measured_directly=True,
    )


def wait_until(predicate: Callable[[], bool], pump: Callable[[float], None], timeout: float, quiet: float = 0.5) -> bool:
    """Pump events until `predicate` has held for `quiet` seconds (CDP events arrive after the fact)."""
    held, waited, step = 0.0, 0.0, 0.1
    while waited < timeout:
        pump(step)
        waited += step
        held = held + step if predicate() else 0.0
        if held >= quiet:
            return True
    return False


# --- figures ---------------------------------------------------------------------------------


def kib(n: int | float | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1024:.1f} KiB ({int(n):,} B)"


def _version(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    commit = _version(["git", "rev-parse", "HEAD"])
    dirty = _version(["git", "status", "--porcelain", "--untracked-files=no"])
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    lighthouse_pkg = ROOT / "node_modules" / "lighthouse" / "package.json"
    try:
        from importlib.metadata import version

        playwright = version("playwright")
    except Exception:
        playwright = None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "node": _version(["node", "--version"]),
        "chromium": _version([chromium, "--version"]),
        "playwright": playwright,
        "lighthouse": json.loads(lighthouse_pkg.read_text())["version"] if lighthouse_pkg.exists() else None,
        "git_commit": commit,
        "git_dirty": bool(dirty),
    }
