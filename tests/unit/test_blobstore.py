"""The blob store and the upload rules that need no server: type sniffing, TUS metadata,
staging at offsets, content addressing, and which blobs an application names."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from server.catalog import formspec
from sync.blobs import FileTooLarge, TypeRefused, UploadInvalid, announced, parse_length, parse_metadata
from sync.blobstore import FileBlobStore, sniff_mime
from sync.files import referenced_blobs

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"x" * 100
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.mark.parametrize("head, mime", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"), (PDF, "application/pdf")])
def test_the_four_accepted_types_are_known_by_their_first_bytes(head, mime):
    assert sniff_mime(head[:16]) == mime


@pytest.mark.parametrize("head", [b"<!DOCTYPE html><html>", b"GIF89a......", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"PK\x03\x04", b"", b"\xff\xd8"])
def test_anything_else_is_refused_whatever_it_claims(head):
    assert sniff_mime(head) is None


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_upload_metadata_is_base64_pairs_and_the_filename_is_not_kept():
    sha = "a" * 64
    meta = parse_metadata(f"sha256 {b64(sha)},mime {b64('image/jpeg')}, field {b64('pas_foto')},filename {b64('KTP Budi.jpg')},flag")
    assert meta == {"sha256": sha, "mime": "image/jpeg", "field": "pas_foto", "filename": "KTP Budi.jpg", "flag": ""}
    what = announced(meta)
    assert (what.sha256, what.mime, what.field) == (sha, "image/jpeg", "pas_foto")
    assert not hasattr(what, "filename")


def test_malformed_metadata_a_bad_sha256_or_an_unknown_type_is_refused_at_creation():
    with pytest.raises(UploadInvalid):
        parse_metadata("sha256 !!!notbase64")
    with pytest.raises(UploadInvalid):
        announced({"sha256": "xyz", "mime": "image/jpeg"})
    with pytest.raises(TypeRefused):
        announced({"sha256": "a" * 64, "mime": "text/html"})


def test_upload_length_must_be_between_one_byte_and_five_megabytes():
    assert parse_length("5242880") == 5 * 1024 * 1024
    for bad in (None, "", "-1", "0", "1e6"):
        with pytest.raises(UploadInvalid):
            parse_length(bad)
    with pytest.raises(FileTooLarge):
        parse_length("5242881")


async def chunks(*parts: bytes):
    for part in parts:
        yield part


def test_staged_bytes_resume_at_an_offset_and_commit_once_under_their_hash(tmp_path):
    store = FileBlobStore(tmp_path)
    data = JPEG + bytes(range(256)) * 10
    digest = hashlib.sha256(data).hexdigest()
    store.create("1" * 32)
    assert asyncio.run(store.append("1" * 32, 0, chunks(data[:50], data[50:100]), 1000)) == 100
    # a cut PATCH left a tail the database never counted: the next append from 80 drops it
    assert asyncio.run(store.append("1" * 32, 80, chunks(data[80:]), 10_000)) == len(data) - 80
    assert store.staged_size("1" * 32) == len(data)
    assert store.staged_digest("1" * 32) == (digest, data[:16])
    store.commit("1" * 32, digest)
    assert store.path_of(digest) == tmp_path / "sha256" / digest[:2] / digest[2:4] / digest
    assert store.exists(digest) and store.staged_size("1" * 32) is None
    with store.open(digest) as f:
        assert f.read() == data
    # the same file uploaded again: the copy in staging goes, the stored one stays
    store.create("2" * 32)
    asyncio.run(store.append("2" * 32, 0, chunks(data), 10_000))
    store.commit("2" * 32, digest)
    assert store.staged_size("2" * 32) is None and b"".join(store.iter_bytes(digest)) == data


def test_an_append_past_its_limit_keeps_the_limit_and_says_so(tmp_path):
    store = FileBlobStore(tmp_path)
    store.create("3" * 32)
    with pytest.raises(OverflowError):
        asyncio.run(store.append("3" * 32, 0, chunks(b"a" * 60, b"b" * 60), 100))
    assert store.staged_size("3" * 32) == 100


def test_store_paths_only_take_hex_names(tmp_path):
    store = FileBlobStore(tmp_path)
    with pytest.raises(ValueError):
        store.path_of("../" + "a" * 61)
    with pytest.raises(ValueError):
        store.create("../etc")


def test_an_application_names_the_blobs_of_its_photo_and_document_answers():
    a, b = "a" * 64, "b" * 64
    values = {"nik": "3302015505900001", "pas_foto": {"sha256": a, "size": 10, "mime": "image/jpeg"},
              "dokumen": {"sha256": b, "size": 5, "mime": "application/pdf", "field": "dokumen"}, "x": {"sha256": "nope"}}
    assert referenced_blobs(values) == {a, b}


def test_the_form_schema_accepts_a_blob_reference_with_or_without_its_field_id_and_nothing_else():
    field = formspec.Field.model_validate({"id": "pas_foto", "label_id": "Pas foto", "type": "photo", "required": True})
    ref = {"sha256": "c" * 64, "size": 1000, "mime": "image/jpeg"}
    assert formspec.validate_values([field], {"pas_foto": ref}, "2026-03-02") == {}
    assert formspec.validate_values([field], {"pas_foto": {**ref, "field": "pas_foto"}}, "2026-03-02") == {}
    for bad in ({**ref, "field": "lain"}, {**ref, "name": "x.jpg"}, {**ref, "mime": "text/html"}, {"sha256": "c" * 64, "size": 1}):
        assert "pas_foto" in formspec.validate_values([field], {"pas_foto": bad}, "2026-03-02"), bad
