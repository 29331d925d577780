"""A cluster is reached through its node list: a node that refuses connections is skipped, no
request is sent twice, and every database name carries the deployment's prefix.

Runs on every CouchDB under test; the node that is down is a loopback port nobody listens on.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
import pytest

from sync.couch import CouchClient, FailoverTransport, doc_path
from sync.errors import CouchUnavailable

from tests.factories import seed_regions


def dead_node() -> str:
    """A loopback URL that refuses connections (bound, never listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_node.keep.append(sock)  # keep the port taken for the session, so nobody else gets it
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


dead_node.keep = []


def client(couch, nodes: list[str]) -> CouchClient:
    return CouchClient(",".join(nodes), couch.user, couch.password, prefix=couch.prefix)


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests that reach a node."""

    def __init__(self):
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.sent.append(f"{request.method} {request.url.port}")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_node_that_refuses_connections_is_skipped_and_its_work_done_by_the_next(fresh_couch):
    down = dead_node()

    async def go():
        counting = Counting()
        transport = FailoverTransport([down, fresh_couch.url], inner=counting)
        couch = CouchClient(f"{down},{fresh_couch.url}", fresh_couch.user, fresh_couch.password, prefix=fresh_couch.prefix,
                            transport=transport)
        try:
            info = await couch.info()
            await couch.ensure_db("failover-test")
            results = await couch.bulk_docs("failover-test", [{"_id": f"doc:{i}", "n": i} for i in range(5)])
            skipped_at_once = transport._order()[0] == 1  # the refusing node waits its turn
            return info, results, counting.sent, skipped_at_once
        finally:
            await couch.aclose()

    info, results, sent, skipped = asyncio.run(go())
    assert info.version and all(r.get("ok") for r in results)
    assert sent.count(f"POST {httpx.URL(fresh_couch.url).port}") == 1  # the write went out exactly once
    assert skipped
    assert httpx.get(fresh_couch.db_url("failover-test") + "/doc:4", auth=fresh_couch.auth, timeout=30).json()["n"] == 4


def test_with_every_node_down_the_client_says_couchdb_is_unavailable(fresh_couch):
    async def go():
        couch = client(fresh_couch, [dead_node(), dead_node()])
        try:
            await couch.get_doc("anything", "doc")
        finally:
            await couch.aclose()

    with pytest.raises(CouchUnavailable, match="unreachable"):
        asyncio.run(go())


def test_a_streamed_body_is_never_sent_to_a_second_node(fresh_couch):
    """Only a body the client still holds whole can be offered to another node."""

    async def go():
        transport = FailoverTransport([dead_node(), fresh_couch.url])
        async with httpx.AsyncClient(transport=transport, auth=fresh_couch.auth) as http:

            async def body():
                yield b'{"_id": "x"}'

            with pytest.raises(httpx.ConnectError):
                await http.post(f"http://ignored/{fresh_couch.db('failover-stream')}", content=body())

    asyncio.run(go())


def test_design_and_local_doc_ids_keep_their_slash_and_other_slashes_are_encoded(fresh_couch):
    assert doc_path("_design/mpp") == "_design/mpp"
    assert doc_path("_local/abc def") == "_local/abc%20def"
    assert doc_path("draft:a/b") == "draft%3Aa%2Fb"

    async def go():
        couch = fresh_couch.client()
        try:
            await couch.ensure_db("slashes")
            await couch.bulk_docs("slashes", [{"_id": "_design/x", "language": "javascript"}, {"_id": "a/b", "v": 1}])
            return await couch.get_doc("slashes", "_design/x"), await couch.get_doc("slashes", "a/b")
        finally:
            await couch.aclose()

    design, slashed = asyncio.run(go())
    assert design["_id"] == "_design/x" and slashed["v"] == 1


def test_every_database_carries_the_runs_prefix_and_the_device_sees_the_logical_name(fresh_couch, sql_url, client):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    name = f"prefixed-{uuid.uuid4().hex[:8]}"

    async def go():
        couch = fresh_couch.client()
        try:
            await couch.ensure_db(name)
        finally:
            await couch.aclose()

    asyncio.run(go())
    every = httpx.get(fresh_couch.url + "/_all_dbs", auth=fresh_couch.auth, timeout=30).json()
    assert fresh_couch.prefix + name in every and name not in every
    r = client.get("/sync/catalog/21.71/")
    assert r.status_code == 200 and r.json()["db_name"] == "catalog-2171", r.text
