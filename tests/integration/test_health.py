"""`/healthz` reports the real state of both stores."""

from __future__ import annotations

from dataclasses import replace

import httpx

from litestar.testing import TestClient

from server.app import create_app
from server.settings import CouchSettings
from sync.embedded import free_port


def test_healthz_is_200_with_both_stores_reachable(client, couch):
    version = httpx.get(couch.url + "/", auth=couch.auth, timeout=30).json()["version"]  # 4.2.0 on the embedded server
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert body["sql"]["reachable"] is True
    assert body["sql"]["dialect"] in ("sqlite", "postgresql")
    assert body["sql"]["version"]
    assert body["couchdb"] == {"reachable": True, "vendor": body["couchdb"]["vendor"], "version": version}


def test_healthz_is_503_when_couchdb_is_down(settings):
    dead = replace(settings, couch=CouchSettings(url=f"http://127.0.0.1:{free_port()}", user="x", password="y"))
    with TestClient(app=create_app(dead)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["couchdb"]["reachable"] is False
    assert r.json()["sql"]["reachable"] is True


def test_healthz_is_503_when_couchdb_refuses_the_service_admin(settings):
    wrong = replace(settings, couch=CouchSettings(url=settings.couch.url, user=settings.couch.user, password="wrong"))
    with TestClient(app=create_app(wrong)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["couchdb"]["reachable"] is False


def test_healthz_is_503_when_sql_is_down(settings, tmp_path):
    from server.settings import DatabaseSettings

    gone = replace(settings, database=DatabaseSettings(url=f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none"))
    with TestClient(app=create_app(gone)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["sql"]["reachable"] is False
    assert r.json()["couchdb"]["reachable"] is True
