"""`python -m tests.bench [names...]` (`make bench`): run the measurements and write their report.

Each `tests/bench/bench_*.py` exposes `NAME`, `run(ctx) -> dict` (its figures) and optionally
`table(result) -> list[(label, value)]` (rows to print). The stores are started once, as the
e2e tests start them: an in-memory PouchDB Server and the app served by `python -m server serve`
on SQLite in a temporary folder. Every bench writes `var/bench/<name>.json` (figures, time,
machine); `var/bench/summary.md` gathers them. Benches report figures and never fail on a time
or a size; a bench that errors is reported as such and the others still run. The exit code is
non-zero only when the harness itself could not start.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.bench.support import ROOT, BenchUnavailable, launch_chromium, machine_info

OUT_DIR = ROOT / "var" / "bench"
# Against an operator's CouchDB (COUCHDB_TEST_URL / COUCHDB_TEST_NODES) the figures go beside the
# embedded ones, and that summary shows both.
EXTERNAL_DIR = OUT_DIR / "couchdb"


def external_couch() -> bool:
    return bool(os.environ.get("COUCHDB_TEST_URL", "").strip() or os.environ.get("COUCHDB_TEST_NODES", "").strip())


@dataclass
class BenchContext:
    """What a bench gets: the running app, its stores, a scratch folder and a browser launcher."""

    url: str  # http://localhost:<port>, no trailing slash
    couch: Any  # tests.support.couchdb.CouchUnderTest: the embedded store, or COUCHDB_TEST_URL's
    tmp: Path
    out_dir: Path
    launch_chromium: Callable  # context manager yielding a Playwright Browser on Debian's Chromium
    env: dict[str, str] | None = None  # the app's environment (DATABASE_URL, ...), for benches that need the stores


def discover() -> dict[str, ModuleType]:
    here = Path(__file__).resolve().parent
    benches = {}
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"tests.bench.{info.name}")
            benches[module.NAME] = module
    return benches


class HarnessError(Exception):
    """The shared stores could not be started; nothing was measured."""


class Stores:
    """The CouchDB under test (in-memory PouchDB Server, or `COUCHDB_TEST_URL`) and the live app, started once for every bench."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.couch = None
        self.server = None

    def __enter__(self) -> Stores:
        from sync.embedded import free_port
        from tests.support.couchdb import couch_under_test
        from tests.support.env import app_env, sqlite_url
        from tests.support.live import LiveServer

        pwa_index = ROOT / "pwa" / "dist" / "index.html"
        if not pwa_index.exists():
            raise HarnessError(f"the PWA is not built ({pwa_index} is missing): run `make pwa` or `node pwa/build.mjs`")
        try:
            self.couch = couch_under_test()
            port = free_port()
            env = app_env(sqlite_url(self.tmp), self.couch, self.tmp, origin=f"http://localhost:{port}")
            self.server = LiveServer(env, port).start(self.tmp / "server.log")
        except Exception as exc:
            self.__exit__()
            log = self.tmp / "server.log"
            last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise HarnessError(f"could not start the stores: {exc}" + (f"\n  last log line: {last[0]}" if last else "")) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        if self.couch is not None:
            self.couch.stop()


def run_one(module: ModuleType, ctx: BenchContext, machine: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    record: dict[str, Any] = {
        "name": module.NAME,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
    }
    try:
        record["figures"] = module.run(ctx)
        record["status"] = "ok"
    except BenchUnavailable as exc:
        record.update(status="error", error=str(exc))
    except Exception as exc:
        record.update(status="error", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    record["duration_s"] = round(time.monotonic() - started, 1)
    rows: list[tuple[str, str]] = []
    if record["status"] == "ok" and hasattr(module, "table"):
        try:
            rows = [(str(a), str(b)) for a, b in module.table(record["figures"])]
        except Exception as exc:
            rows = [("table", f"could not be printed: {type(exc).__name__}: {exc}")]
    record["table"] = rows
    return record


def print_record(record: dict[str, Any]) -> None:
    print(f"\n== {record['name']} ({record['duration_s']} s)")
    if record["status"] != "ok":
        print(f"   ERROR: {record['error']}")
        if record.get("traceback"):
            print("   " + "\n   ".join(record["traceback"].rstrip().splitlines()[-6:]))
        return
    width = max((len(label) for label, _ in record["table"]), default=0)
    for label, value in record["table"]:
        print(f"   {label:<{width}}  {value}")
    if not record["table"]:
        print("   " + json.dumps(record["figures"], indent=2).replace("\n", "\n   "))


def write_summary(records: list[dict[str, Any]], machine: dict[str, Any], out_dir: Path,
                  beside: dict[str, dict[str, Any]] | None = None) -> Path:
    """`beside`: the embedded store's figures of the same benches, shown under each."""
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(timezone.utc).isoformat(timespec='seconds')} on commit "
        f"`{(machine.get('git_commit') or 'unknown')[:12]}`{' (with local changes)' if machine.get('git_dirty') else ''}.",
        "Figures are reports, not pass/fail checks. Produced by `make bench` (`python -m tests.bench`).",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine.items() if key not in ("git_commit", "git_dirty")),
        "",
    ]
    for record in records:
        lines += [f"## {record['name']}", ""]
        embedded = (beside or {}).get(record["name"])
        if record.get("earlier"):
            lines += [f"_Not run this time; figures from {record['timestamp']}._", ""]
        if record["status"] != "ok":
            lines += [f"**Error:** {record['error']}", ""]
            continue
        lines += ["| measure | value |", "|---|---|"]
        lines += [f"| {' '.join(label.split())} | {' '.join(value.split()).replace('|', '/')} |" for label, value in record["table"]]
        lines += ["", f"Figures: `{(out_dir / record['name']).relative_to(ROOT)}.json` ({record['duration_s']} s).", ""]
        if embedded and embedded.get("status") == "ok":
            lines += [f"Embedded store (PouchDB Server), {embedded['timestamp']}:", "", "| measure | value |", "|---|---|"]
            lines += [f"| {' '.join(label.split())} | {' '.join(value.split()).replace('|', '/')} |" for label, value in embedded["table"]]
            lines += [""]
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines))
    return path


def earlier_records(benches: dict[str, ModuleType], run_now: set[str], out_dir: Path = OUT_DIR) -> list[dict[str, Any]]:
    """The last figures of benches not run this time (in `out_dir`), so the summary stays complete."""
    found = []
    for name in benches:
        path = out_dir / f"{name}.json"
        if name not in run_now and path.exists():
            try:
                found.append(json.loads(path.read_text()) | {"earlier": True})
            except (ValueError, OSError):
                continue
    return found


def main(argv: list[str] | None = None) -> int:
    benches = discover()
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description="Run the measurements in tests/bench.")
    parser.add_argument("names", nargs="*", help=f"benches to run (default: all of {', '.join(benches)})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in benches]
    if unknown:
        print(f"unknown bench: {', '.join(unknown)}; known: {', '.join(benches)}", file=sys.stderr)
        return 2
    selected = [benches[n] for n in (args.names or benches)]

    out_dir = EXTERNAL_DIR if external_couch() else OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    print("Benchmarks (figures are reports, not pass/fail checks)")
    print("   " + ", ".join(f"{k}={v}" for k, v in machine.items()))
    tmp = Path(tempfile.mkdtemp(prefix="mpp-bench-"))
    records = []
    try:
        with Stores(tmp) as stores:
            engine = "PouchDB Server (embedded)" if stores.couch.embedded else f"{stores.couch.app_url} (COUCHDB_TEST_URL)"
            print(f"   app at {stores.server.url}, CouchDB: {engine}")
            if not stores.couch.embedded:
                machine["couchdb"] = stores.couch.describe()
            ctx = BenchContext(url=stores.server.url, couch=stores.couch, tmp=tmp, out_dir=out_dir, launch_chromium=launch_chromium,
                               env=stores.server.env)
            for module in selected:
                record = run_one(module, ctx, machine)
                print_record(record)
                (out_dir / f"{module.NAME}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
                records.append(record)
    except HarnessError as exc:
        print(f"\nThe benchmarks could not start: {exc}\n(app log and scratch files kept in {tmp})", file=sys.stderr)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    beside = None
    if out_dir != OUT_DIR:
        beside = {r["name"]: r for r in earlier_records(benches, set(), OUT_DIR)}
    summary = write_summary(records + earlier_records(benches, {r["name"] for r in records}, out_dir), machine, out_dir, beside)
    failed = [r["name"] for r in records if r["status"] != "ok"]
    print(f"\nWrote {summary.relative_to(ROOT)} and {len(records)} figure file(s) in {out_dir.relative_to(ROOT)}/"
          + (f"; errors in: {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
