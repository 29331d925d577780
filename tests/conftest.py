"""Fixtures shared by every test layer: the real stores, started fresh for the test session.

- `couch`: a PouchDB Server (in memory) on a free loopback port, with a service admin — or the
  Apache CouchDB named by `COUCHDB_TEST_URL` (tests/support/couchdb.py); databases carry a
  prefix unique to the run either way.
- `postgres`: a throw-away PostgreSQL cluster in a temporary directory (skipped, with the
  reason shown, only when PostgreSQL is not installed and cannot be).
- `sql_url`: one fresh, migrated database per test, on SQLite and on PostgreSQL.
- `settings` / `client`: the app wired to those stores, through Litestar's test client.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.settings import Settings
from sync.embedded import free_port

from tests.support.couchdb import CouchUnderTest, couch_under_test
from tests.support.env import app_env, sqlite_url
from tests.support.live import LiveServer
from tests.support.postgres import PostgresCluster, find_postgres_bin


@pytest.fixture(scope="session")
def couch() -> Iterator[CouchUnderTest]:
    server = couch_under_test()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (make test installs it with apt-get when run as root)")
    # not under pytest's tmp dir: that one is private to root, and the cluster runs as `postgres`
    workdir = Path(tempfile.mkdtemp(prefix="mpp-pg-"))
    cluster = PostgresCluster(bindir, workdir).start()
    yield cluster
    cluster.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with every migration applied, on each SQL store we support."""
    from server.db import migrate

    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        migrate(url)
        yield url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = cluster.create_database(name)
    migrate(url)
    yield url
    cluster.drop_database(name)


def make_settings(sql: str, couch: CouchUnderTest, tmp_path: Path, origin: str = "http://localhost:8000") -> Settings:
    return Settings.from_env(app_env(sql, couch, tmp_path, origin))


@pytest.fixture
def settings(sql_url: str, couch: CouchUnderTest, tmp_path: Path) -> Settings:
    return make_settings(sql_url, couch, tmp_path)


@pytest.fixture
def client(settings: Settings):
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app

    with TestClient(app=create_app(settings), session_config=session_config(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(couch: CouchUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    server = LiveServer(app_env(sqlite_url(tmp), couch, tmp, origin=f"http://localhost:{port}"), port)
    server.start(tmp / "server.log")
    yield server
    server.stop()


def chromium_path() -> str | None:
    return shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None


@pytest.fixture
def fresh_couch(couch: CouchUnderTest) -> CouchUnderTest:
    """The session's CouchDB with every database of earlier tests removed."""
    couch.delete_all()
    return couch
