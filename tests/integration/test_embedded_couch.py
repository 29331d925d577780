"""The embedded PouchDB Server: loopback only, service admin required, data kept across restarts."""

from __future__ import annotations

import secrets
import socket

import httpx
import pytest

from sync.embedded import EmbeddedCouch


def test_the_service_admin_exists_so_the_server_is_no_admin_party(couch):
    # PouchDB Server has no require_valid_user: loopback binding and the gateway are the guards
    assert httpx.get(couch.url + "/_config", timeout=5).status_code == 401
    assert httpx.put(couch.url + "/_config/admins/intruder", json="pw", timeout=5).status_code == 401
    session = httpx.get(couch.url + "/_session", auth=(couch.user, couch.password), timeout=5).json()
    assert "_admin" in session["userCtx"]["roles"]


def test_it_listens_on_loopback_only(couch):
    if couch.external:
        pytest.skip("about the embedded server; an operator's CouchDB listens where its network plan says")
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex((address, couch.embedded.port)) != 0, f"reachable on {address}"


def test_data_and_admin_survive_a_restart(tmp_path):
    password = secrets.token_urlsafe(12)
    with EmbeddedCouch(tmp_path / "couch", "svc", password) as first:
        auth = ("svc", password)
        assert httpx.put(first.url + "/keepme", auth=auth, timeout=5).status_code == 201
        assert httpx.put(first.url + "/keepme/doc1", json={"a": 1}, auth=auth, timeout=5).status_code == 201
    with EmbeddedCouch(tmp_path / "couch", "svc", password) as second:
        r = httpx.get(second.url + "/keepme/doc1", auth=("svc", password), timeout=5)
        assert r.status_code == 200 and r.json()["a"] == 1
        assert httpx.get(second.url + "/_config", timeout=5).status_code == 401  # the admin was kept
