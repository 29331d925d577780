"""`python -m server run` (behind `make run`): starts everything, stops everything, keeps the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MPP_", "COUCHDB_", "DATABASE_URL", "PUBLIC_ORIGIN", "SECRET_KEY", "VAPID_", "PII_KEY", "BLOB_DIR"))}
    return {**keep, **extra}


def start(var: Path, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "server", "run", "--port", str(port)],
        cwd=ROOT, env=clean_env(MPP_VAR_DIR=str(var)), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> dict:
    for _ in range(600):
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            r = httpx.get(url + "/healthz", timeout=1)
            if r.status_code == 200:
                return r.json()
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("never healthy:\n" + log.read_text()[-2000:])


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def test_run_serves_stops_on_ctrl_c_and_keeps_data_on_restart(tmp_path):
    var, port, log = tmp_path / "var", free_port(), tmp_path / "run.log"
    url = f"http://localhost:{port}"

    proc = start(var, port, log)
    health = wait_healthy(url, proc, log)
    assert health["sql"]["dialect"] == "sqlite" and health["couchdb"]["reachable"]
    kids = children_of(proc.pid)
    assert kids, "the embedded CouchDB-compatible server should be a child process"
    secrets_before = (var / "dev-secrets.json").read_text()
    assert "Demo data loaded (" in log.read_text()
    assert f"Open            {url}/" in log.read_text()

    proc.send_signal(signal.SIGINT)  # what Ctrl-C does
    assert proc.wait(20) == 0
    for kid in kids:
        with pytest.raises(ProcessLookupError):
            os.kill(kid, 0)
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/healthz", timeout=1)

    log.write_text("")
    proc = start(var, port, log)
    try:
        wait_healthy(url, proc, log)
        assert (var / "dev-secrets.json").read_text() == secrets_before
        assert "Demo data loaded" not in log.read_text()  # nothing to add: the data was kept
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)


def test_production_start_names_the_missing_setting_in_one_line(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "server", "serve"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=clean_env(MPP_ENV="production", MPP_VAR_DIR=str(tmp_path)),
    )
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "Configuration error: PUBLIC_ORIGIN is not set; example: PUBLIC_ORIGIN=https://mpp.example.go.id"
    )
