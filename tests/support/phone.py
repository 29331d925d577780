"""Phones as far as sync is concerned (tests/support/device.mjs: PouchDB in Node, data on disk), and
an app with its own worker to sync them with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import func, select

from server.catalog.formspec import Field, validate_values
from sync.embedded import free_port
from sync.models import Application, Submission
from tests.factories import _with_session, run
from tests.support.env import app_env, sqlite_url
from tests.support.live import LiveServer

ROOT = Path(__file__).resolve().parents[2]
DEVICE = ROOT / "tests" / "support" / "device.mjs"


def device(args: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """One run of the phone (see device.mjs for `args`); its JSON report."""
    out = subprocess.run(["node", str(DEVICE)], input=json.dumps(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise AssertionError(f"the device exited with {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_device(args: dict[str, Any], log: Path) -> subprocess.Popen:
    """The phone run in the background; `finish_device` waits for its report."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(["node", str(DEVICE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, text=True)
    proc.stdin.write(json.dumps(args))  # type: ignore[union-attr]
    proc.stdin.close()  # type: ignore[union-attr]
    proc.log = log  # type: ignore[attr-defined]
    return proc


def finish_device(proc: subprocess.Popen, timeout: float = 600) -> dict[str, Any]:
    stdout = proc.stdout.read() if proc.stdout else ""  # type: ignore[union-attr]
    proc.wait(timeout)
    if proc.returncode != 0:
        raise AssertionError(f"the device exited with {proc.returncode}: {proc.log.read_text()[-2000:]}")  # type: ignore[attr-defined]
    return json.loads(stdout.strip().splitlines()[-1])


def valid_values(server_url: str, region: str, service: str) -> tuple[int, dict]:
    """A version of the service and answers that pass its current spec (first option of each choice)."""
    version = httpx.get(f"{server_url}/api/regions/{region}/services/{service}", timeout=30).json()
    fields = [Field.model_validate(f) for f in version["content"]["form_fields"]]
    values: dict = {}
    for _ in range(3):  # conditions may reveal more required fields
        for f in fields:
            if f.id in values or not f.required:
                continue
            values[f.id] = {"nik": "2171011203900002", "phone": "081234567890", "date": "2000-01-01", "number": 1,
                            "email": "warga@contoh.id"}.get(f.type, "Isian uji")
            if f.options:
                values[f.id] = [f.options[0].value] if f.type == "checkbox" else f.options[0].value
    assert validate_values(fields, values, "2026-11-23") == {}, validate_values(fields, values, "2026-11-23")
    return version["version"], values


def counts(database_url: str) -> tuple[int, int, int]:
    """(applications, submissions, distinct tracking numbers) in the SQL store."""

    async def go(session, engine):
        apps = (await session.exec(select(func.count()).select_from(Application))).one()
        subs = (await session.exec(select(func.count()).select_from(Submission))).one()
        numbers = (await session.exec(select(func.count(func.distinct(Application.tracking_number))))).one()
        return apps, subs, numbers

    return run(_with_session(database_url, go))


class AppStack:
    """The app (`serve`) and a worker (`worker`) of their own, on SQLite, against the CouchDB under test."""

    def __init__(self, couch, tmp: Path, *, worker_args: tuple[str, ...] = (), start_worker: bool = True):
        self.tmp = tmp
        port = free_port()
        self.env = app_env(sqlite_url(tmp), couch, tmp, origin=f"http://localhost:{port}")
        self.server = LiveServer(self.env, port)
        self.worker_args = worker_args
        self.worker: subprocess.Popen | None = None
        self._start_worker = start_worker

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> AppStack:
        self.server.start(self.tmp / "server.log")
        if self._start_worker:
            self.start_worker()
        return self

    def start_worker(self) -> subprocess.Popen:
        log = open(self.tmp / "worker.log", "ab")
        self.worker = subprocess.Popen([sys.executable, "-m", "server", "worker", *self.worker_args], env={**os.environ, **self.env},
                                       cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self.worker

    def stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is None:
            return
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop_worker()
        self.server.stop()
