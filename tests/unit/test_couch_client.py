"""The CouchDB client's reading of answers that differ between engines (no sockets: httpx's
MockTransport plays the server)."""

from __future__ import annotations

import asyncio
import json

import httpx

from sync.couch import CouchClient, doc_path


def serve(handler) -> CouchClient:
    return CouchClient("http://couch.test:5984", "svc", "pw", prefix="batam_", transport=httpx.MockTransport(handler))


def test_202_accepted_is_success_a_write_stored_before_its_quorum_was_met():
    """A cluster answers 202 when fewer copies than the write quorum confirmed; the data is stored."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.raw_path.decode()))
        if request.url.path.endswith("/_bulk_docs"):
            docs = json.loads(request.content)["docs"]
            return httpx.Response(202, json=[{"ok": True, "id": d["_id"], "rev": "1-a"} for d in docs])
        if request.method == "PUT" and request.url.path.endswith("/_security"):
            return httpx.Response(200, json={"ok": True})
        if request.method == "PUT":
            return httpx.Response(202, json={"ok": True})
        if "_all_docs" in request.url.path:
            return httpx.Response(200, json={"rows": [{"key": "a", "error": "not_found"}]})
        return httpx.Response(404, json={"error": "not_found"})

    async def go():
        couch = serve(handler)
        try:
            created = await couch.ensure_db("userdb-ab12")
            written = await couch.upsert_docs("userdb-ab12", [{"_id": "a", "v": 1}])
            return created, written
        finally:
            await couch.aclose()

    assert asyncio.run(go()) == (True, 1)
    assert ("PUT", "/batam_userdb-ab12?q=1") in seen
    assert ("POST", "/batam_userdb-ab12/_bulk_docs") in seen


def test_design_and_local_ids_keep_their_slash_in_the_url():
    """CouchDB answers `_design%2Fmpp` with a 301 and an empty body."""
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"_id": "x"})

    async def go():
        couch = serve(handler)
        try:
            await couch.get_doc("userdb-ab12", "_design/mpp")
            await couch.get_doc("userdb-ab12", "_local/a b")
            await couch.get_doc("userdb-ab12", "draft:a/b")
        finally:
            await couch.aclose()

    asyncio.run(go())
    assert asked == ["/batam_userdb-ab12/_design/mpp", "/batam_userdb-ab12/_local/a%20b", "/batam_userdb-ab12/draft%3Aa%2Fb"]
    assert doc_path("status:1") == "status%3A1"


def test_the_prefix_goes_before_database_paths_only():
    couch = CouchClient("http://couch.test:5984", "svc", "pw", prefix="batam_")
    try:
        assert couch.physical_path("/userdb-ab12/_changes") == "/batam_userdb-ab12/_changes"
        assert couch.physical_path("/catalog-2171/") == "/batam_catalog-2171/"
        assert couch.physical_path("/") == "/"
        assert couch.physical_path("/_session") == "/_session"
    finally:
        asyncio.run(couch.aclose())
