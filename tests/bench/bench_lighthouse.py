"""Lighthouse on the PWA's start page, as a phone sees it: mobile emulation and simulated throttling.

Lighthouse 12.8.2 (the last release for Node 20) starts its own Debian Chromium with the flags
of recipes §7 and writes its full report next to the figures; the scores and the key metrics
are read from it. Lighthouse 12 has no PWA category: installability is checked over CDP
elsewhere.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from typing import Any

from tests.bench.support import CHROMIUM_ARGS, ROOT, BenchUnavailable, chromium_path

NAME = "lighthouse"

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = {  # audit id -> (label, unit)
    "first-contentful-paint": ("First Contentful Paint", "ms"),
    "largest-contentful-paint": ("Largest Contentful Paint", "ms"),
    "total-blocking-time": ("Total Blocking Time", "ms"),
    "cumulative-layout-shift": ("Cumulative Layout Shift", ""),
    "speed-index": ("Speed Index", "ms"),
}
TIMEOUT_S = 300


def run(ctx) -> dict[str, Any]:
    if not LIGHTHOUSE.exists():
        raise BenchUnavailable(f"lighthouse is not installed ({LIGHTHOUSE} is missing): run `npm ci --ignore-scripts` (make setup does it)")
    report_path = ctx.out_dir / "lighthouse.report.json"
    report_path.unlink(missing_ok=True)
    url = ctx.url + "/"
    cmd = [
        str(LIGHTHOUSE), url,
        "--form-factor=mobile",
        f"--chrome-flags={shlex.join(CHROMIUM_ARGS)}",
        "--output=json", f"--output-path={report_path}", "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": chromium_path()}
    try:
        done = subprocess.run(cmd, env=env, cwd=ctx.tmp, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"lighthouse did not finish within {TIMEOUT_S} s") from None
    if done.returncode != 0 or not report_path.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"lighthouse exited with {done.returncode}: " + " | ".join(tail))

    report = json.loads(report_path.read_text())
    if report.get("runtimeError"):
        err = report["runtimeError"]
        raise RuntimeError(f"lighthouse could not audit {url}: {err.get('code')}: {err.get('message')}")
    scores = {
        name: (None if report["categories"].get(name, {}).get("score") is None
               else round(report["categories"][name]["score"] * 100))
        for name in CATEGORIES
    }
    metrics = {}
    for audit_id, (label, unit) in METRICS.items():
        audit = report["audits"].get(audit_id, {})
        metrics[audit_id] = {
            "label": label,
            "value": audit.get("numericValue"),
            "unit": unit,
            "display": audit.get("displayValue"),
            "score": audit.get("score"),
        }
    failing = sorted(
        audit_id for audit_id, audit in report["audits"].items()
        if audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings") and audit.get("score") is not None and audit["score"] < 0.9
        and audit_id not in METRICS
    )
    return {
        "url": url,
        "lighthouse": report.get("lighthouseVersion"),
        "browser": report.get("environment", {}).get("hostUserAgent"),
        "form_factor": report.get("configSettings", {}).get("formFactor"),
        "throttling": report.get("configSettings", {}).get("throttlingMethod"),
        "scores": scores,
        "metrics": metrics,
        "audits_below_90": failing,
        "run_warnings": report.get("runWarnings", []),
        "report": str(report_path.relative_to(ROOT) if report_path.is_relative_to(ROOT) else report_path),
    }


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(f"score: {name}", "-" if score is None else str(score)) for name, score in result["scores"].items()]
    for metric in result["metrics"].values():
        value = metric["value"]
        if value is None:
            shown = "-"
        elif metric["unit"] == "ms":
            shown = f"{value:,.0f} ms"
        else:
            shown = f"{value:.3f}"
        rows.append((metric["label"], shown))
    rows.append(("settings", f"{result['form_factor']}, {result['throttling']} throttling, Lighthouse {result['lighthouse']}"))
    rows.append(("audits scoring below 0.9", ", ".join(result["audits_below_90"]) or "none"))
    for warning in result["run_warnings"]:
        rows.append(("warning", warning))
    rows.append(("full report", result["report"]))
    return rows
