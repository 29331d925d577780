"""The app served by uvicorn in a child process (`python -m server serve`), for e2e tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx


class LiveServer:
    """The app served by uvicorn in a child process, as `make run` serves it."""

    def __init__(self, settings_env: dict[str, str], port: int):
        self.env = settings_env
        self.port = port
        self.url = f"http://localhost:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, log: Path) -> LiveServer:
        import httpx

        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}; see {log}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the app did not become healthy; see {log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()
