"""What a device may ask of its own database through `/sync/me`, decided on the raw path alone."""

from __future__ import annotations

import asyncio
import json

import pytest

from sync.access import (
    BULK_DOCS_LIMIT,
    DOC_PUT_LIMIT,
    LOCAL_LIMIT,
    Op,
    feed_of,
    is_feed,
    me_access,
)
from sync.errors import (
    AttachmentRefused,
    DocNotAllowed,
    MethodRefused,
    NotReplicable,
    PathInvalid,
    QueryRefused,
    ServerOnly,
    ServerOwned,
)
from sync.gateway import hide_design_lines, hide_design_rows

DB = "userdb-" + "0a" * 16
UUID = "3f0c2a4e-8d1b-4c6f-9a2e-5b7d1e0f9c3a"
DRAFT = "draft%3A" + UUID
STATUS = "status%3A" + UUID

ALLOWED = [
    ("GET", "", "", Op.INFO),
    ("GET", "/", "", Op.INFO),
    ("GET", "/_local/abc.def_ghi%3D%3D", "", Op.LOCAL),
    ("PUT", "/_local/abc", "", Op.LOCAL),
    ("DELETE", "/_local/abc", "rev=0-1", Op.LOCAL),
    ("GET", "/_changes", "style=all_docs&since=0&limit=100", Op.CHANGES),
    ("GET", "/_changes", "feed=longpoll&heartbeat=10000&since=5", Op.CHANGES),
    ("GET", "/_changes", "feed=continuous&heartbeat=10000", Op.CHANGES),
    ("POST", "/_changes", "filter=_doc_ids", Op.CHANGES),
    ("POST", "/_revs_diff", "", Op.REVS_DIFF),
    ("POST", "/_bulk_get", "revs=true&latest=true", Op.BULK_GET),
    ("GET", "/_all_docs", "include_docs=true", Op.ALL_DOCS),
    ("POST", "/_all_docs", "", Op.ALL_DOCS),
    ("POST", "/_bulk_docs", "", Op.BULK_DOCS),
    ("GET", "/" + DRAFT, "revs=true&open_revs=%5B%221-a%22%5D", Op.DOC_READ),
    ("GET", "/draft:" + UUID, "", Op.DOC_READ),
    ("GET", "/" + STATUS, "", Op.DOC_READ),
    ("PUT", "/" + DRAFT, "", Op.DOC_WRITE),
    ("PUT", "/" + DRAFT, "new_edits=false", Op.DOC_WRITE),
    ("DELETE", "/" + DRAFT, "rev=1-a", Op.DOC_DELETE),
]


@pytest.mark.parametrize("method,rest,query,op", ALLOWED)
def test_replication_requests_are_allowed_into_the_person_s_own_database_only(method, rest, query, op):
    decision = me_access(method, DB, rest, query)
    assert decision.allowed and decision.op == op
    assert decision.upstream_path == "/" + DB + (rest or "/")


DENIED = [
    # the database itself
    ("PUT", "", "", ServerOnly),
    ("DELETE", "", "", ServerOnly),
    ("POST", "", "", MethodRefused),
    ("HEAD", "", "", MethodRefused),
    # design docs, security, queries, maintenance, server endpoints
    ("GET", "/_design/mpp", "", ServerOnly),
    ("PUT", "/_design/mpp", "", ServerOnly),
    ("GET", "/_design/mpp/_view/x", "", ServerOnly),
    ("GET", "/_design", "", ServerOnly),
    ("GET", "/_security", "", ServerOnly),
    ("PUT", "/_security", "", ServerOnly),
    ("POST", "/_find", "", ServerOnly),
    ("POST", "/_index", "", ServerOnly),
    ("POST", "/_explain", "", ServerOnly),
    ("POST", "/_purge", "", ServerOnly),
    ("POST", "/_compact", "", ServerOnly),
    ("POST", "/_view_cleanup", "", ServerOnly),
    ("GET", "/_all_dbs", "", ServerOnly),
    ("GET", "/_users", "", ServerOnly),
    ("GET", "/_config", "", ServerOnly),
    ("POST", "/_session", "", ServerOnly),
    ("GET", "/_unknown", "", NotReplicable),
    ("GET", "/_changes/x", "", NotReplicable),
    # path tricks
    ("GET", "/../userdb-other", "", PathInvalid),
    ("GET", "/./_all_docs", "", PathInvalid),
    ("GET", "/%2E%2E/userdb-other", "", PathInvalid),
    ("GET", "/draft%3Ax%2Fatt", "", PathInvalid),
    ("GET", "/_local%2Fx", "", PathInvalid),
    ("GET", "/draft%5Cx", "", PathInvalid),
    ("GET", "/draft%00", "", PathInvalid),
    ("PUT", "/_design%2Fmpp", "", PathInvalid),
    # methods
    ("PUT", "/_changes", "", MethodRefused),
    ("DELETE", "/_all_docs", "", MethodRefused),
    ("GET", "/_bulk_docs", "", MethodRefused),
    ("GET", "/_revs_diff", "", MethodRefused),
    ("GET", "/_bulk_get", "", MethodRefused),
    ("POST", "/_local/x", "", MethodRefused),
    ("POST", "/" + DRAFT, "", MethodRefused),
    ("GET", "/_local", "", NotReplicable),
    ("GET", "/_local/a/b", "", NotReplicable),
    # feeds and filters
    ("GET", "/_changes", "feed=eventsource", QueryRefused),
    ("GET", "/_changes", "feed=longpoll&feed=websocket", QueryRefused),
    ("GET", "/_changes", "filter=_design", QueryRefused),
    ("GET", "/_changes", "filter=mpp/semua", QueryRefused),
    ("GET", "/_changes", "filter=_view&view=mpp/x", QueryRefused),
    ("GET", "/_changes", "view=mpp/x", QueryRefused),
    # documents
    ("GET", "/catatan", "", NotReplicable),
    ("GET", "/service%3Ax%3A1", "", NotReplicable),
    ("PUT", "/catatan", "", DocNotAllowed),
    ("PUT", "/draft%3Abukan-uuid", "", DocNotAllowed),
    ("PUT", "/draft%3A" + UUID.upper(), "", DocNotAllowed),
    ("DELETE", "/catatan", "", DocNotAllowed),
    ("PUT", "/" + STATUS, "", ServerOwned),
    ("DELETE", "/" + STATUS, "", ServerOwned),
    ("PUT", "/" + DRAFT + "/foto.jpg", "", AttachmentRefused),
    ("GET", "/" + DRAFT + "/foto.jpg", "", AttachmentRefused),
    ("DELETE", "/" + DRAFT + "/foto.jpg", "", AttachmentRefused),
    ("GET", "/draft x", "", NotReplicable),
]


@pytest.mark.parametrize("method,rest,query,refusal", DENIED)
def test_everything_else_is_refused_with_a_reason(method, rest, query, refusal):
    decision = me_access(method, DB, rest, query)
    assert not decision.allowed and decision.refusal is refusal and decision.upstream_path == ""


def test_the_doc_id_is_decoded_once_and_the_path_kept_encoded():
    decision = me_access("PUT", DB, "/" + DRAFT, "")
    assert decision.doc_id == "draft:" + UUID
    assert decision.upstream_path == f"/{DB}/{DRAFT}"


def test_each_kind_of_request_has_its_own_body_limit():
    assert me_access("POST", DB, "/_bulk_docs").body_limit == BULK_DOCS_LIMIT == 2 * 1024 * 1024
    assert me_access("PUT", DB, "/" + DRAFT).body_limit == DOC_PUT_LIMIT
    assert me_access("PUT", DB, "/_local/x").body_limit == LOCAL_LIMIT
    small = [me_access("POST", DB, p).body_limit for p in ("/_revs_diff", "/_bulk_get", "/_all_docs", "/_changes")]
    assert all(0 < limit < BULK_DOCS_LIMIT for limit in small)


def test_the_feed_kind_decides_streaming():
    assert feed_of("") == "normal" and not is_feed("since=0")
    assert feed_of("feed=longpoll") == "longpoll" and is_feed("since=0&feed=longpoll")
    assert feed_of("feed=normal&feed=continuous") == "continuous" and is_feed("feed=continuous")


# --- design docs are taken out of answers on the way back ---------------------------------------


async def _chunks(*parts: bytes):
    for part in parts:
        yield part


def _collect(stream) -> list[bytes]:
    async def go():
        return [chunk async for chunk in stream]

    return asyncio.run(go())


def test_a_changes_answer_loses_its_design_doc_rows_and_keeps_heartbeats():
    answer = {"results": [{"id": "_design/mpp", "seq": 1, "changes": [{"rev": "1-a"}]},
                          {"id": "draft:" + UUID, "seq": 2, "changes": [{"rev": "1-b"}]}], "last_seq": 2}
    body = json.dumps(answer, separators=(",", ":")).encode()
    out = _collect(hide_design_rows(_chunks(b'{"results":[\n', b"\n", b"\n", body[len('{"results":['):] + b"\n"), "results"))
    assert out[:2] == [b"\n", b"\n"]  # the two heartbeats, at once
    parsed = json.loads(b"".join(out))
    assert [r["id"] for r in parsed["results"]] == ["draft:" + UUID] and parsed["last_seq"] == 2


def test_an_all_docs_answer_loses_its_design_doc_and_counts_one_row_less():
    answer = {"total_rows": 2, "offset": 0, "rows": [{"id": "_design/mpp", "key": "_design/mpp", "value": {"rev": "1-a"}},
                                                    {"id": "draft:" + UUID, "key": "draft:" + UUID, "value": {"rev": "1-b"}}]}
    parsed = json.loads(b"".join(_collect(hide_design_rows(_chunks(json.dumps(answer).encode()), "rows"))))
    assert parsed["total_rows"] == 1 and [r["id"] for r in parsed["rows"]] == ["draft:" + UUID]


def test_answers_without_design_docs_or_of_another_shape_pass_untouched():
    plain = b'{"results":[{"id":"draft:x","seq":1.50}],"last_seq":1}\n'
    assert b"".join(_collect(hide_design_rows(_chunks(plain), "results"))) == plain
    error = b'{"error":"not_found","reason":"_design/x missing"}'
    assert b"".join(_collect(hide_design_rows(_chunks(error), "results"))) == error


def test_a_continuous_feed_drops_design_doc_lines_even_split_across_chunks():
    design = b'{"seq":1,"id":"_design/mpp","changes":[{"rev":"1-a"}]}\n'
    draft = b'{"seq":2,"id":"draft:x","changes":[{"rev":"1-b"}]}\n'
    out = b"".join(_collect(hide_design_lines(_chunks(design[:10], design[10:] + draft[:5], draft[5:], b"\n", b'{"last_seq":2}'))))
    assert out == draft + b"\n" + b'{"last_seq":2}'
