"""What a device may write to its own database: the document contract (`sync.drafts`) and the
gateway's screening of a write (`sync.userdb`), locks included."""

from __future__ import annotations

import pytest

from sync.drafts import MAX_DOC_BYTES, check_device_doc, status_id, userdb_name
from sync.errors import BodyInvalid, DocTooLarge, DraftLocked, FieldNotAllowed
from sync.userdb import (
    BulkDocs,
    draft_ids,
    encode,
    lock_refusal,
    merge_bulk_results,
    parse_bulk_docs,
    parse_json,
    refusal_error,
    screen_docs,
    written,
)

ID = "draft:3f0c2a4e-8d1b-4c6f-9a2e-5b7d1e0f9c3a"
SUBMISSION = "9b1d3c5e-7f2a-4b6c-8d0e-1a3b5c7d9e0f"


def doc(**changes) -> dict:
    base = {"_id": ID, "type": "draft", "service_id": "adminduk-kk", "service_version": 3, "region_code": "21.71",
            "applicant": {"kind": "self"}, "values": {"no_hp": "081234567890"}, "state": "submitted", "submission_id": SUBMISSION,
            "created_at": "2026-03-02T01:00:00Z", "updated_at": "2026-03-02T01:00:00Z", "submitted_at": "2026-03-02T01:00:00Z",
            "client": "mpp-pwa/0.1"}
    return {**base, **changes}


def code(value, **kw) -> str | None:
    refusal = check_device_doc(value, **kw)
    return refusal.code if refusal else None


def test_a_complete_draft_and_a_plain_unsent_draft_are_accepted():
    assert check_device_doc(doc()) is None
    assert check_device_doc(doc(state="draft", submission_id=None, submitted_at=None)) is None
    replicated = doc(_rev="2-abc", _revisions={"start": 2, "ids": ["abc", "def"]})
    assert check_device_doc(replicated) is None


def test_a_deleted_draft_needs_no_fields():
    assert check_device_doc({"_id": ID, "_rev": "2-a", "_deleted": True}) is None


@pytest.mark.parametrize("value,expected", [
    ([1, 2], "sync.doc_invalid"),
    ({"type": "draft"}, "sync.doc_invalid"),
    (doc(_id=7), "sync.doc_invalid"),
    (doc(_id="status:3f0c2a4e-8d1b-4c6f-9a2e-5b7d1e0f9c3a"), "sync.server_owned"),
    (doc(_id="_design/mpp"), "sync.doc_not_allowed"),
    (doc(_id="_local/x"), "sync.doc_not_allowed"),
    (doc(_id="draft:bukan-uuid"), "sync.doc_not_allowed"),
    (doc(_id="draft:3F0C2A4E-8D1B-4C6F-9A2E-5B7D1E0F9C3A"), "sync.doc_not_allowed"),
    (doc(_id="service:adminduk-kk:3"), "sync.doc_not_allowed"),
    (doc(_attachments={"ktp.jpg": {"stub": True}}), "sync.attachment_refused"),
    (doc(catatan="x"), "sync.field_not_allowed"),
    (doc(_local_seq=3), "sync.field_not_allowed"),
    (doc(type="status"), "sync.doc_invalid"),
    (doc(state="approved"), "sync.doc_invalid"),
    (doc(values=["a"]), "sync.doc_invalid"),
    ({k: v for k, v in doc().items() if k != "service_id"}, "sync.doc_invalid"),
    (doc(submission_id=None), "sync.doc_invalid"),
    (doc(submission_id="bukan-uuid"), "sync.doc_invalid"),
    (doc(values={"catatan": "x" * MAX_DOC_BYTES}), "sync.doc_too_large"),
])
def test_documents_a_device_may_not_write_are_refused_with_a_stable_code(value, expected):
    assert code(value) == expected


def test_size_is_measured_as_sent_when_the_gateway_knows_it():
    assert code(doc(), encoded_size=MAX_DOC_BYTES + 1) == "sync.doc_too_large"
    assert code(doc(), encoded_size=MAX_DOC_BYTES) is None


def test_a_status_doc_shares_its_draft_s_uuid_in_the_person_s_database():
    assert status_id(ID) == "status:3f0c2a4e-8d1b-4c6f-9a2e-5b7d1e0f9c3a"
    assert userdb_name("0a" * 16) == "userdb-" + "0a" * 16
    with pytest.raises(ValueError):
        userdb_name("../_users")


# --- locks -------------------------------------------------------------------------------------


def test_a_locked_draft_may_only_be_resent_as_the_submission_the_server_holds():
    locked = {ID: SUBMISSION}
    assert lock_refusal(doc(), locked) is None  # a replication retry
    assert lock_refusal(doc(), {}) is None  # not locked at all
    for changed in (doc(state="draft", submission_id=None), doc(submission_id="1b1d3c5e-7f2a-4b6c-8d0e-1a3b5c7d9e0f"),
                    {"_id": ID, "_rev": "3-a", "_deleted": True}, doc(_deleted=True)):
        refusal = lock_refusal(changed, locked)
        assert refusal is not None and refusal.code == "sync.draft_locked" and refusal.doc_id == ID


# --- a _bulk_docs request, screened and answered -----------------------------------------------


def test_bulk_docs_bodies_are_parsed_strictly():
    assert parse_bulk_docs(b'{"docs": [], "new_edits": false}') == BulkDocs([], False)
    assert parse_bulk_docs(b'{"docs": [{"_id": "a"}]}') == BulkDocs([{"_id": "a"}], None)
    for bad in (b"", b"[]", b'{"docs": {}}', b'{"docs": [], "new_edits": "no"}', b'{"docs": [], "all_or_nothing": true}',
                b'{"docs": [NaN]}', b'{"docs": [Infinity]}', b'{"docs": [1e400]}', b"\xff", b"[" * 50_000):
        with pytest.raises(BodyInvalid):
            parse_bulk_docs(bad)


def test_what_is_forwarded_is_our_own_encoding_of_what_we_checked():
    # duplicate keys: CouchDB and Python might each keep a different one, so we never forward the raw bytes
    parsed = parse_json(b'{"_id": "status:x", "_id": "' + ID.encode() + b'"}')
    assert parsed == {"_id": ID}
    assert encode(parse_json('{"a": "\\ud800 é"}'.encode())) == b'{"a":"\\ud800 \\u00e9"}'


def test_bulk_docs_are_split_and_the_answer_keeps_the_request_order():
    other = "draft:1b1d3c5e-7f2a-4b6c-8d0e-1a3b5c7d9e0f"
    docs = [doc(catatan="x"), doc(_id=other), doc(state="draft", submission_id=None)]
    screened = screen_docs(docs, {ID: SUBMISSION})
    assert [p for p, _ in screened.accepted] == [1]
    assert [(p, r.code) for p, r in screened.refused] == [(0, "sync.field_not_allowed"), (2, "sync.draft_locked")]
    assert screened.upstream_body(False) == encode({"docs": [doc(_id=other)], "new_edits": False})
    rows = {p: {"id": r.doc_id, "error": "forbidden", "code": r.code} for p, r in screened.refused}
    upstream = [{"ok": True, "id": other, "rev": "1-a"}]
    merged = merge_bulk_results(screened, upstream, rows)
    assert [row.get("code", "ok") for row in merged] == ["sync.field_not_allowed", "ok", "sync.draft_locked"]
    assert written(screened, upstream) == 1
    # new_edits: false answers only failures, so the refusals are simply added
    assert merge_bulk_results(screened, [], rows) == [rows[0], rows[2]] and written(screened, []) == 1
    failed = [{"id": other, "error": "forbidden", "reason": "x"}]
    assert written(screened, failed) == 0


def test_draft_ids_are_the_only_ids_asked_about_locks():
    assert draft_ids([doc(), doc(_id="status:x"), [1], {"_id": 3}, doc()]) == [ID]


def test_each_refusal_becomes_an_error_with_safe_details_for_its_message():
    too_big = refusal_error(check_device_doc(doc(values={"catatan": "x" * 70_000})))
    assert isinstance(too_big, DocTooLarge) and too_big.details["limit_kb"] == 64 and too_big.details["size_kb"] >= 69
    unknown = refusal_error(check_device_doc(doc(nik_ibu="3302015505900001", catatan="x")))
    assert isinstance(unknown, FieldNotAllowed) and unknown.details["fields"] == "catatan, nik_ibu"
    locked = refusal_error(lock_refusal(doc(state="draft"), {ID: SUBMISSION}))
    assert isinstance(locked, DraftLocked) and locked.details == {"doc_id": ID}
