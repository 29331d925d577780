""""Ekspor yang belum terkirim" imported at the counter: the drafts land in the person's database
as the very revisions the phone holds, the worker files them, a second import changes nothing,
and a wrong passphrase, a foreign file, another region's drafts or officer are refused — on
SQLite and PostgreSQL, against the real PouchDB Server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from litestar.testing import TestClient

from server.accounts.sessions import session_config
from server.app import create_app
from sync.drafts import userdb_name
from sync.models import Application, BlobOwner, Submission
from tests.conftest import make_settings
from tests.factories import citizen_session, seed_regions, staff_session
from tests.support.drafts import Stores, draft, with_stores

BASE = "/backoffice/wilayah/21.71/impor"
HIDDEN_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PASSPHRASE = "kata sandi rahasia"
ITERATIONS = 310_000
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + secrets.token_bytes(2000) + b"\xff\xd9"
ROOT = Path(__file__).resolve().parents[2]


def phone_draft(region: str = "21.71") -> dict:
    """A submitted draft as `db.get(id, {revs: true})` gives it on the phone: second revision, with its history."""
    doc = draft(region=region)
    first, second = secrets.token_hex(16), secrets.token_hex(16)
    return {**doc, "_rev": f"2-{second}", "_revisions": {"start": 2, "ids": [second, first]}}


def export_file(account_id: str, drafts: list[dict], files: dict[str, bytes], passphrase: str = PASSPHRASE) -> bytes:
    """An `mpp-ekspor/1` file, as pwa/src/data/exportfile.js writes it."""
    payload = {"exported_at": "2026-11-23T01:00:00.000Z", "account_id": account_id, "drafts": drafts,
               "files": {hashlib.sha256(b).hexdigest(): {"mime": "image/jpeg", "data": base64.b64encode(b).decode()} for b in files.values()}}
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(12)
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=ITERATIONS).derive(passphrase.encode())
    data = AESGCM(key).encrypt(iv, json.dumps(payload).encode(), None)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return json.dumps({"format": "mpp-ekspor/1", "kdf": {"name": "PBKDF2", "hash": "SHA-256", "iterations": ITERATIONS, "salt": b64(salt)},
                       "cipher": {"name": "AES-GCM", "iv": b64(iv)}, "data": b64(data)}).encode()


@pytest.fixture
def counter(sql_url, fresh_couch, tmp_path):
    """An app, a citizen (owner of the exports) and a field officer of 21.71 signed in at the counter."""
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    citizen = citizen_session(sql_url, settings.pii_key)
    officer = staff_session(sql_url, "field_officer", "21.71")
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(officer)
        yield client, citizen["account"]


def upload(client, content: bytes, passphrase: str = PASSPHRASE, path: str = BASE):
    page = client.get(path)
    assert page.status_code == 200, page.text
    token = HIDDEN_TOKEN.search(page.text).group(1)
    return client.post(path, data={"_csrf_token": token, "kata_sandi": passphrase},
                       files={"berkas": ("mpp-belum-terkirim-2026-11-23.mpp", content, "application/octet-stream")},
                       headers={"accept": "text/html"})


def in_couch(sql_url, couch_conf, fn):
    return with_stores(sql_url, couch_conf, fn)


def test_an_export_is_filed_as_if_synced_and_a_second_import_changes_nothing(counter, sql_url, fresh_couch):
    client, account_id = counter
    doc = phone_draft()
    content = export_file(account_id, [doc], {"ktp": JPEG})

    first = upload(client, content)
    assert first.status_code == 200, first.text
    assert re.search(r'id="filed">[^<]*<strong>1</strong>', first.text)
    assert re.search(r'id="files">[^<]*<strong>1</strong>', first.text)

    async def work(s: Stores):
        stored = await s.couch.get_doc(userdb_name(account_id), doc["_id"])
        await s.work()
        return stored, await s.rows(Application), await s.rows(BlobOwner, BlobOwner.account_id == account_id)

    stored, apps, owners = in_couch(sql_url, fresh_couch, work)
    assert stored["_rev"] == doc["_rev"] and stored["values"] == doc["values"]  # the phone's own revision, not a new one
    (app,) = apps
    assert (app.account_id, app.draft_id, app.state) == (account_id, doc["_id"], "received")
    assert [o.sha256 for o in owners] == [hashlib.sha256(JPEG).hexdigest()]

    second = upload(client, content)
    assert second.status_code == 200, second.text
    assert re.search(r'id="filed">[^<]*<strong>0</strong>', second.text)
    assert re.search(r'id="known">[^<]*<strong>1</strong>', second.text)
    assert app.tracking_number in second.text

    async def after(s: Stores):
        info = await s.couch.get_doc(userdb_name(account_id), doc["_id"])
        report, _ = await s.work()
        return info, report, await s.count(Application), await s.count(Submission)

    info, report, n_apps, n_subs = in_couch(sql_url, fresh_couch, after)
    assert info["_rev"] == doc["_rev"] and report.submissions == 0 and (n_apps, n_subs) == (1, 1)


def test_a_wrong_passphrase_or_a_foreign_file_comes_back_as_the_form_with_what_to_do(counter, sql_url, fresh_couch):
    client, account_id = counter
    content = export_file(account_id, [phone_draft()], {})
    wrong = upload(client, content, passphrase="bukan kata sandinya")
    assert wrong.status_code == 400 and "Kata sandi tidak cocok" in wrong.text and 'name="berkas"' in wrong.text
    foreign = upload(client, b"%PDF-1.4 bukan berkas ekspor")
    assert foreign.status_code == 400 and "bukan berkas ekspor MPP Digital" in foreign.text
    unknown = upload(client, export_file(secrets.token_hex(16), [phone_draft()], {}))
    assert unknown.status_code == 422 and "tidak ada di server" in unknown.text

    async def nothing(s: Stores):
        return await s.couch.all_docs(userdb_name(account_id)), await s.count(Application)

    docs, n = in_couch(sql_url, fresh_couch, nothing)
    assert [d for d in docs if d["id"].startswith("draft:")] == [] and n == 0


def test_drafts_of_a_region_the_officer_does_not_serve_are_refused_with_the_reason(counter, sql_url, fresh_couch):
    client, account_id = counter
    ours, theirs = phone_draft("21.71"), phone_draft("33.02")
    r = upload(client, export_file(account_id, [ours, theirs], {}))
    assert r.status_code == 200
    assert re.search(r'id="filed">[^<]*<strong>1</strong>', r.text) and re.search(r'id="refused">[^<]*<strong>1</strong>', r.text)
    assert "wilayah 33.02, bukan wilayah tugas Anda" in r.text

    async def look(s: Stores):
        db = userdb_name(account_id)
        return await s.couch.get_doc(db, ours["_id"]), await s.couch.get_doc(db, theirs["_id"])

    mine, other = in_couch(sql_url, fresh_couch, look)
    assert mine is not None and other is None


def test_an_officer_of_another_region_or_a_citizen_cannot_open_the_import(counter, sql_url):
    client, account_id = counter
    client.set_session_data(staff_session(sql_url, "field_officer", "33.02"))
    assert client.get(BASE, headers={"accept": "application/json"}).json()["code"] == "auth.forbidden"
    client.set_session_data(staff_session(sql_url, "agency_operator", "33.02", agency_kind="disdukcapil"))
    assert client.get(BASE, headers={"accept": "application/json"}).status_code == 403


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_file_written_by_the_app_code_is_read_by_the_server(counter, sql_url, fresh_couch):
    """The PWA's own encryptExport (pwa/src/data/exportfile.js) writes the file the server imports."""
    client, account_id = counter
    doc = phone_draft()
    payload = {"accountId": account_id, "drafts": [doc], "files": {hashlib.sha256(JPEG).hexdigest(): {"mime": "image/jpeg", "bytes": list(JPEG)}}}
    script = f"""
      const m = await import({json.dumps((ROOT / 'pwa/src/data/exportfile.js').as_uri())});
      const p = JSON.parse(process.argv[1]);
      for (const f of Object.values(p.files)) f.bytes = new Uint8Array(f.bytes);
      process.stdout.write(await m.encryptExport(m.buildPayload(p), {json.dumps(PASSPHRASE)}));
    """
    content = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps(payload)], check=True, capture_output=True,
                             timeout=60).stdout
    r = upload(client, content)
    assert r.status_code == 200, r.text
    assert re.search(r'id="filed">[^<]*<strong>1</strong>', r.text) and re.search(r'id="files">[^<]*<strong>1</strong>', r.text)
