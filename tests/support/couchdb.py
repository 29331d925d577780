"""The CouchDB the tests run against: the embedded PouchDB Server (default), or any Apache CouchDB 3
given by the operator — the conformance suite (`make test-couchdb`).

- `COUCHDB_TEST_URL=http://admin:secret@host:5984`: run against that server. Every database the
  tests make there is named with a prefix unique to the run (`mpptest<hex>_…`); only those are
  ever deleted, so the suite may be pointed at a cluster that holds other data.
- `COUCHDB_TEST_NODES=http://admin:secret@n1:5984,http://…@n2:5984,http://…@n3:5984`: a cluster's
  nodes; the app is given all of them (client failover, `sync.couch.FailoverTransport`) and the
  cluster tests run. Without `COUCHDB_TEST_URL`, the first node is used as it.
- `COUCHDB_TEST_STOP_NODE` / `COUCHDB_TEST_START_NODE`: shell commands with `{n}` (1-based node
  number) that stop and start one node; the node-failure tests call them and wait for the node's
  `/_up` themselves.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from sync.couch import CouchClient, preferred_node
from sync.embedded import EmbeddedCouch


def _split(url: str) -> tuple[str, str, str]:
    """(url without credentials, user, password)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), unquote(parts.username or ""), unquote(parts.password or "")


@dataclass
class CouchUnderTest:
    """A CouchDB for one test session: where it is, its admin, and the run's database prefix."""

    nodes: list[str]  # node URLs without credentials
    user: str
    password: str = field(repr=False)
    prefix: str = ""
    embedded: EmbeddedCouch | None = None
    stop_command: str = ""
    start_command: str = ""

    @property
    def url(self) -> str:
        """Where the tests look directly: the node the app prefers when it runs in this process
        (`sync.couch.preferred_node`), so an in-process test reads where the app wrote."""
        return self.nodes[preferred_node(len(self.nodes), os.getpid())]

    @property
    def app_url(self) -> str:
        """`COUCHDB_URL` for the app: every node."""
        return ",".join(self.nodes)

    @property
    def external(self) -> bool:
        return self.embedded is None

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    @property
    def apache(self) -> bool:
        """Apache CouchDB (not PouchDB Server): validation functions run on replication, `_security` is enforced."""
        vendor = httpx.get(self.url + "/", auth=self.auth, timeout=30).json().get("vendor", {}).get("name", "")
        return "pouchdb" not in vendor.lower()

    def describe(self) -> str:
        """Vendor, version and nodes, for reports: `Apache CouchDB 3.5.2, 3 nodes`."""
        root = httpx.get(self.url + "/", auth=self.auth, timeout=30).json()
        vendor = root.get("vendor", {}).get("name", "CouchDB")
        vendor = "Apache CouchDB" if "apache" in vendor.lower() else vendor
        return f"{vendor} {root.get('version', '?')}, {len(self.nodes)} node{'s' if len(self.nodes) > 1 else ''}"

    def db(self, name: str) -> str:
        """The real name of logical database `name` in this run."""
        return self.prefix + name

    def db_url(self, name: str, node: int | None = None) -> str:
        """The database's URL, on the given node (0-based) or on `url`'s."""
        return f"{self.url if node is None else self.nodes[node]}/{quote(self.db(name), safe='')}"

    def client(self) -> CouchClient:
        """The app's client, as the app builds it (call from inside the event loop that uses it)."""
        return CouchClient(self.app_url, self.user, self.password, prefix=self.prefix)

    def databases(self) -> list[str]:
        """Logical names of this run's databases."""
        names = httpx.get(self.url + "/_all_dbs", auth=self.auth, timeout=30).json()
        return [n[len(self.prefix):] for n in names if n.startswith(self.prefix) and not n.startswith("_")]

    def delete_all(self) -> None:
        """Delete every database of this run (and nothing else)."""
        for name in self.databases():
            r = httpx.delete(self.db_url(name), auth=self.auth, timeout=60)
            if r.status_code not in (200, 202, 404):
                r.raise_for_status()

    # --- cluster nodes (COUCHDB_TEST_NODES) --------------------------------------------------

    def node_up(self, n: int) -> bool:
        try:
            return httpx.get(self.nodes[n - 1] + "/_up", auth=self.auth, timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def stop_node(self, n: int, timeout: float = 120.0) -> None:
        self._run(self.stop_command, n, "COUCHDB_TEST_STOP_NODE")
        self._wait(lambda: not self.node_up(n), timeout, f"node {n} still answers after the stop command")

    def start_node(self, n: int, timeout: float = 180.0) -> None:
        self._run(self.start_command, n, "COUCHDB_TEST_START_NODE")
        self._wait(lambda: self.node_up(n), timeout, f"node {n} did not come back up")

    @staticmethod
    def _run(command: str, n: int, variable: str) -> None:
        if not command:
            raise RuntimeError(f"{variable} is not set")
        subprocess.run(command.replace("{n}", shlex.quote(str(n))), shell=True, check=True, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @staticmethod
    def _wait(ready, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(message)
            time.sleep(0.5)  # polling an external process's state, not synchronising our own work

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        else:
            self.delete_all()


def couch_under_test() -> CouchUnderTest:
    """The CouchDB this test session uses, started if it is the embedded one."""
    prefix = f"mpptest{secrets.token_hex(4)}_"
    url = os.environ.get("COUCHDB_TEST_URL", "").strip()
    nodes = [n for n in os.environ.get("COUCHDB_TEST_NODES", "").split(",") if n.strip()]
    if url or nodes:
        first, user, password = _split(url or nodes[0])
        node_urls = [_split(n)[0] for n in nodes] or [first]
        if first not in node_urls:
            node_urls = [first, *node_urls]
        if not user:
            raise RuntimeError("COUCHDB_TEST_URL must carry the admin's credentials: http://admin:secret@host:5984")
        couch = CouchUnderTest(node_urls, user, password, prefix,
                               stop_command=os.environ.get("COUCHDB_TEST_STOP_NODE", ""),
                               start_command=os.environ.get("COUCHDB_TEST_START_NODE", ""))
        r = httpx.get(couch.url + "/_session", auth=couch.auth, timeout=10)
        if "_admin" not in r.json().get("userCtx", {}).get("roles", []):
            raise RuntimeError(f"{couch.url}: {user!r} is not a server admin there (the tests create and delete databases)")
        return couch
    server = EmbeddedCouch(None, "test_admin", secrets.token_urlsafe(16)).start()
    return CouchUnderTest([server.url], server.user, server.password, prefix, embedded=server)
