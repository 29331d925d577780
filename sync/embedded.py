"""The embedded CouchDB-compatible server for one-machine runs: PouchDB Server on loopback.

Production uses an Apache CouchDB 3 cluster (see infra/); nothing here runs then. The server
is started as `node --unhandled-rejections=warn .../pouchdb-server` (never through npx, whose
grandchild survives a kill) and bound to 127.0.0.1 only: devices reach it solely through the
gateway. On first start the server is in "admin party" mode; we create the service admin at
once, after which every request must carry its credentials.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sync.errors import CouchUnavailable

ROOT = Path(__file__).resolve().parent.parent
SERVER_JS = ROOT / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmbeddedCouch:
    """A running PouchDB Server child process."""

    data_dir: Path | None  # None: in memory (tests)
    user: str
    password: str = field(repr=False)
    port: int = 0
    process: subprocess.Popen | None = None
    _scratch: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> EmbeddedCouch:
        node = shutil.which("node")
        if node is None:
            raise CouchUnavailable("node is not installed; the embedded CouchDB-compatible server needs Node.js 20")
        if not SERVER_JS.exists():
            raise CouchUnavailable(f"{SERVER_JS} is missing; run `npm ci --ignore-scripts` (make does it)")
        self.port = self.port or free_port()
        args = [node, "--unhandled-rejections=warn", str(SERVER_JS), "--host", "127.0.0.1", "--port", str(self.port)]
        if self.data_dir is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="mpp-couch-"))
            workdir = self._scratch
            args += ["--in-memory", "--config", str(workdir / "config.json")]
        else:
            workdir = self.data_dir
            workdir.mkdir(parents=True, exist_ok=True)
            args += ["--dir", str(workdir), "--config", str(workdir / "config.json")]
        self.process = subprocess.Popen(
            args,
            cwd=workdir,  # pouchdb-server writes log.txt into its working directory
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches it only through us, so we stop it in order
            preexec_fn=_die_with_parent,
        )
        self._wait_until_up(timeout)
        self._ensure_admin()
        return self

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise CouchUnavailable(f"PouchDB Server exited with code {self.process.returncode} while starting")
            try:
                httpx.get(self.url + "/", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise CouchUnavailable(f"PouchDB Server did not answer on {self.url} within {timeout:.0f} s")

    def _ensure_admin(self) -> None:
        """Create the service admin while the server is still open to everyone (first run only)."""
        auth = (self.user, self.password)
        if httpx.get(self.url + "/_session", auth=auth, timeout=5).json().get("userCtx", {}).get("name") == self.user:
            return
        r = httpx.put(f"{self.url}/_config/admins/{self.user}", json=self.password, timeout=5)
        if r.status_code >= 400:
            raise CouchUnavailable(
                f"could not create the service admin in PouchDB Server ({r.status_code}); "
                "the data folder belongs to other credentials: remove var/couch or restore var/dev-secrets.json"
            )

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def __enter__(self) -> EmbeddedCouch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the launcher dies (even by kill -9), so no server is orphaned."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
