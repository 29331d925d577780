"""Publisher: what the server decided goes back to the person as a `status:<uuid>` doc.

Every change to an application (and every submission, valid or not) leaves an `Outbox` row in
the same SQL transaction. The publisher builds the status doc of each pending draft from SQL
alone — so the same rows always give the same doc — writes it into the person's database as
the service admin, and marks the rows done only once CouchDB has acknowledged the write. A
crash in between writes the same doc again, which is skipped as unchanged. Several rows for
one draft collapse into one write of the latest state.

Several workers: on PostgreSQL the pending rows are taken with `FOR UPDATE SKIP LOCKED` and
each draft with a transaction-scoped advisory lock, so two workers never write one status doc
at once and the one that writes later also read later (no older state over a newer one). On
SQLite run one worker (`make run` starts one).

Texts are Indonesian: the device shows them as they are, also offline.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from sync.applicants import applicant_database, citizens_by_nik_hash
from sync.couch import CouchClient
from sync.errors import CouchUnavailable
from sync.ingest import account_of
from sync.drafts import WALLET_PREFIX, status_id, userdb_name
from sync.models import (
    FINAL_STATES, Application, ApplicationEvent, IssuedDocument, Outbox, PurgeCursor, Submission, WalletDocument, WorkflowStep,
)
from sync.userdb import ensure_userdb

log = logging.getLogger("mpp.publisher")

BATCH_SIZE = 200
PURGE_AFTER_DAYS = 30  # the default of the setting PURGE_AFTER_DAYS
HISTORY = 10  # events shown on the device, newest last
CONFLICT_RETRIES = 3
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember")

FIX_AND_RESEND = "Buka draf, perbaiki isian yang ditandai, lalu kirim lagi."
# the person an officer filed for has no draft to edit: the officer makes the correction
ASSISTED_REVISION = ("Petugas lapangan yang membantu Anda akan melengkapi perbaikan ini. Hubungi petugas tersebut "
                     "atau MPP setempat dan sebutkan nomor permohonan.")


def tanggal(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def iso(at: datetime) -> str:
    """`2026-03-02T01:02:03.456Z`: UTC, milliseconds, as the device writes its own times."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _texts(state: str, number: str, note: str, due: date | None) -> tuple[str, str]:
    """(message, next_step) for an application in `state`."""
    note = note.strip()
    if state == "waiting_for_files":
        return (f"Permohonan tercatat dengan nomor {number}. Menunggu foto/berkas terkirim dari perangkat Anda.",
                "Buka aplikasi saat ada sinyal internet sampai semua foto/berkas terkirim. Waktu layanan mulai dihitung "
                "setelah semuanya diterima.")
    if state == "received":
        return (f"Permohonan Anda sudah diterima dengan nomor {number}.",
                "Simpan nomor permohonan ini. Petugas akan memeriksa berkas Anda"
                + (f"; perkiraan selesai {tanggal(due)}." if due else "."))
    if state == "in_review":
        return (f"Permohonan {number} sedang diperiksa petugas.",
                "Belum ada yang perlu Anda lakukan. Status ini berubah sendiri begitu ada keputusan.")
    if state == "resubmitted":
        return (f"Perbaikan permohonan {number} sudah diterima dan menunggu diperiksa kembali.",
                "Belum ada yang perlu Anda lakukan. Nomor permohonan tetap sama.")
    if state == "needs_revision":
        return (f"Petugas meminta perbaikan pada permohonan {number}" + (f": {note}" if note else "."),
                "Buka draf, perbaiki sesuai catatan petugas, lalu kirim lagi. Nomor permohonan tetap sama.")
    if state == "approved":
        return (f"Permohonan {number} disetujui." + (f" {note}" if note else ""),
                "Dokumen hasil sedang diterbitkan dan akan muncul di aplikasi ini.")
    if state == "completed":
        return (f"Permohonan {number} selesai; dokumen hasil sudah terbit.",
                "Buka dokumen di aplikasi ini; setelah diunduh dokumen tetap dapat dibuka tanpa sinyal. Keasliannya dapat "
                "diperiksa siapa saja lewat kode QR pada dokumen.")
    if state == "withdrawn":
        return (f"Permohonan {number} dibatalkan atas permintaan Anda.",
                "Anda dapat mengajukan permohonan baru kapan saja.")
    if state == "rejected":
        return (f"Permohonan {number} ditolak" + (f": {note}" if note else "."),
                "Baca alasannya. Anda dapat mengajukan permohonan baru bila persyaratan sudah lengkap, "
                "atau menyampaikan pengaduan lewat SP4N-LAPOR! (lapor.go.id).")
    return (f"Status permohonan {number}: {state}.", "")


def _invalid_texts(errors: dict[str, str], number: str | None) -> tuple[str, str]:
    """Errors keyed `_…` are about the whole draft; their sentences say what to do."""
    whole = [text for key, text in errors.items() if key.startswith("_")]
    fields = len(errors) - len(whole)
    message = f"Permohonan belum dapat diterima: {fields} isian perlu diperbaiki." if fields else "Permohonan belum dapat diterima."
    steps = whole + ([FIX_AND_RESEND] if fields else []) + (["Nomor permohonan tetap sama."] if number else [])
    return message, " ".join(steps)


def purgeable(application: Application, purge_before: datetime | None) -> bool:
    """Final (approved, rejected) and unchanged since before `purge_before`: the device may let go of it."""
    return purge_before is not None and application.state in FINAL_STATES and application.updated_at <= purge_before


def status_doc(draft_id: str, application: Application | None, events: Sequence[ApplicationEvent],
               latest: Submission | None, purge_before: datetime | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The status doc of a draft, from its application (if it is the person's) and its latest submission.

    `latest` is the newest submission that was not ignored. An invalid one wins only while the
    person may still edit (no application, or one waiting for a revision): that is what they fix.
    `purge: true` tells the device it may remove the draft once nothing of it is unsent
    (the server keeps everything). `extra` (from `doc_extras`): the current step, the
    operator's notes per field, the legal basis of a rejection, the issued output.
    """
    history = [{"at": iso(e.at), "state": e.state, "note": e.note} for e in events][-HISTORY:]
    number = application.tracking_number if application else None
    if latest is not None and latest.outcome == "invalid" and (application is None or application.state == "needs_revision"):
        message, next_step = _invalid_texts(latest.errors, number)
        return {
            "_id": status_id(draft_id), "type": "status", "draft_id": draft_id, "submission_id": latest.submission_id,
            "state": "invalid", "tracking_number": number, "errors": dict(latest.errors), "message": message,
            "next_step": next_step, "history": history, "updated_at": iso(latest.received_at),
        }
    if application is None:
        return None
    last_note = next((e.note for e in reversed(events) if e.state == application.state), "")
    message, next_step = _texts(application.state, application.tracking_number, last_note, application.due_date)
    doc = {
        "_id": status_id(draft_id), "type": "status", "draft_id": draft_id, "submission_id": application.submission_id,
        "state": application.state, "tracking_number": application.tracking_number, "message": message,
        "next_step": next_step, "history": history, "updated_at": iso(events[-1].at if events else application.updated_at),
    }
    last = next((e for e in reversed(events) if e.state == application.state), None)
    details = (last.details or {}) if last is not None else {}
    if application.state == "needs_revision" and details.get("notes"):
        doc["notes"] = dict(details["notes"])
    if application.state == "rejected" and details.get("legal_basis"):
        doc["legal_basis"] = details["legal_basis"]
    if extra:
        doc.update(extra)
    if purgeable(application, purge_before):
        doc["purge"] = True
    return doc


def doc_extras(application: Application, step: WorkflowStep | None, agency_name: str, output: IssuedDocument | None,
               verify_url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """What the status doc says besides the state: the step it is at, and the output issued."""
    extra: dict[str, Any] = {}
    if step is not None and application.state in ("received", "in_review", "resubmitted", "needs_revision"):
        extra["step"] = {"position": step.position + 1, "count": application.step_count, "name": step.name, "agency": agency_name}
    if output is not None and application.state == "completed":
        extra["output"] = {
            "sha256": output.sha256, "size": output.size, "mime": "application/pdf", "title": output.title,
            "number": output.number, "issued_at": iso(output.issued_at),
            "valid_until": output.valid_until.isoformat() if output.valid_until else None,
            "verify_url": verify_url(output.token_id) if verify_url else None,
            "development": output.development, "revoked": output.revoked_at is not None,
        }
    return extra


def wallet_doc(w: WalletDocument) -> dict[str, Any]:
    return {"_id": f"{WALLET_PREFIX}{w.id}", "type": "wallet", "id": w.id, "source": w.source, "requirement_id": w.requirement_id,
            "label": w.label, "sha256": w.sha256, "size": w.size, "mime": w.mime, "verified_by_agency": w.verified_by_agency,
            "verified_at": iso(w.verified_at)}


def applicant_status_doc(draft_id: str, application: Application, events: Sequence[ApplicationEvent],
                         officer_name: str, purge_before: datetime | None = None,
                         extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The status doc in the database of the person a field officer filed for: the officer's
    doc (never its invalid submissions) with who filed it, the service and the region, since
    that person's device holds no draft for it."""
    doc = status_doc(draft_id, application, events, None, purge_before, extra)
    if doc is None:
        return None
    if application.state == "needs_revision":
        doc["next_step"] = ASSISTED_REVISION
    doc.update(assisted_by=officer_name, service_id=application.service_id, region_code=application.region_code)
    return doc


async def _display_names(session: AsyncSession, account_ids: set[str]) -> dict[str, str]:
    if not account_ids:
        return {}
    rows = await session.exec(select(Account.id, Account.display_name).where(col(Account.id).in_(account_ids)))
    return {account_id: name for account_id, name in rows}


AGENCY_NAMES = text("SELECT region_code, kind, name FROM agency WHERE region_code IN :regions").bindparams(
    bindparam("regions", expanding=True))

# One statement for every draft of a batch; a draft another worker is publishing is left for later.
LOCK_DRAFTS = text("SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_xact_lock(k)")


def advisory_key(draft_id: str) -> int:
    """A signed 64-bit key for `pg_try_advisory_xact_lock`, the same in every process."""
    return int.from_bytes(hashlib.blake2b(draft_id.encode(), digest_size=8).digest(), "big", signed=True)


@dataclass
class PublishReport:
    rows: int = 0  # outbox rows looked at
    done: int = 0  # outbox rows marked done
    written: int = 0  # status docs written
    unchanged: int = 0  # status docs already as they should be
    failed: int = 0  # drafts whose write will be tried again later


class Publisher:
    def __init__(self, engine: AsyncEngine, couch: CouchClient, *, batch_size: int = BATCH_SIZE,
                 purge_after_days: int = PURGE_AFTER_DAYS, verify_url: Callable[[str], str] | None = None):
        self.verify_url = verify_url  # an issued document's token id -> its public verification address
        self.engine = engine
        self.couch = couch
        self.batch_size = batch_size
        self.purge_after = timedelta(days=purge_after_days)
        self.clock = utcnow  # what "now" is for the purge line
        self.row_locks = engine.dialect.name == "postgresql"
        self._ensured: set[str] = set()  # applicants' databases known to exist

    async def run_once(self) -> PublishReport:
        """Publish one batch of pending outbox rows."""
        report = PublishReport()
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            now = utcnow()
            stmt = (select(Outbox).where(col(Outbox.done_at).is_(None),
                                         or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= now))
                    .order_by(col(Outbox.id)).limit(self.batch_size))
            if self.row_locks:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(await session.exec(stmt))
            groups: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
            for row in rows:
                groups[(row.db_name, row.draft_id)].append(row)
            if self.row_locks and groups:
                wanted = sorted({advisory_key(draft_id) for _, draft_id in groups})
                held = {k for (k,) in await session.exec(LOCK_DRAFTS, params={"keys": wanted})}  # type: ignore[call-overload]
                groups = {key: found for key, found in groups.items() if advisory_key(key[1]) in held}
            if not groups:
                return report
            docs, also = await self._build(session, list(groups))
            for db_name, draft_id in also:  # the applicant's own database: published by a later batch
                session.add(Outbox(db_name=db_name, draft_id=draft_id, created_at=now))
            by_db: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
            done: list[int] = []
            for (db_name, draft_id), doc in docs.items():
                if doc is None:  # nothing the person should see (yet)
                    done.extend(r.id for r in groups[(db_name, draft_id)])
                else:
                    by_db[db_name][doc["_id"]] = doc
            for db_name, wallet in (await self._wallet_docs(session, list(by_db))).items():
                for doc in wallet:
                    by_db[db_name][doc["_id"]] = doc
            failed: dict[tuple[str, str], str] = {}  # (database, draft id) -> reason
            for db_name, wanted in by_db.items():
                if any("assisted_by" in doc for doc in wanted.values()):
                    await self._ensure_applicant_db(db_name)
                written, unchanged, errors = await self._upsert(db_name, wanted)
                report.written += written
                report.unchanged += unchanged
                wallet_error = next((errors[i] for i in errors if i.startswith(WALLET_PREFIX)), None)
                for doc_id, doc in wanted.items():
                    if doc_id.startswith(WALLET_PREFIX):
                        continue
                    if doc_id in errors or wallet_error:  # a wallet doc not written: this row brings it again
                        failed[(db_name, doc["draft_id"])] = errors.get(doc_id) or wallet_error or ""
                    else:
                        done.extend(r.id for r in groups[(db_name, doc["draft_id"])])
            report.rows, report.done = len(rows), len(done)
            report.failed = len(failed)
            if done:
                await session.exec(update(Outbox).where(col(Outbox.id).in_(done)).values(done_at=now)  # type: ignore[call-overload]
                                   .execution_options(synchronize_session=False))
            for key, reason in failed.items():
                for row in groups[key]:
                    row.attempts += 1
                    row.next_attempt_at = now + timedelta(seconds=min(2 ** row.attempts, 300))
                    row.last_error = reason[:200]
                    session.add(row)
        if report.failed:
            log.warning("publisher: %d status docs not written yet; they will be tried again", report.failed)
        return report

    async def enqueue_purges(self) -> int:
        """Outbox rows for the applications that crossed the purge line since the last call, so
        their status docs are published again with `purge`; returns how many.

        Idempotent and cheap: `PurgeCursor` remembers how far it went, and each call reads only
        the window (last line, new line] through the (state, updated_at) index. An application
        that changes again moves past the line again later and is found in a later window."""
        line = self.clock() - self.purge_after
        try:
            return await self._enqueue_purges(line)
        except IntegrityError:  # another worker wrote the first cursor at the same moment: it took this window
            return 0

    async def _enqueue_purges(self, line: datetime) -> int:
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            stmt = select(PurgeCursor).where(PurgeCursor.id == 1)
            if self.row_locks:
                stmt = stmt.with_for_update()
            cursor = (await session.exec(stmt)).first()
            if cursor is not None and cursor.until >= line:
                return 0
            query = select(Application.account_id, Application.draft_id).where(
                col(Application.state).in_(FINAL_STATES), col(Application.updated_at) <= line)
            if cursor is not None:
                query = query.where(col(Application.updated_at) > cursor.until)
            found = 0
            for account_id, draft_id in await session.exec(query):
                session.add(Outbox(db_name=userdb_name(account_id), draft_id=draft_id, created_at=utcnow()))
                found += 1
            if cursor is None:
                session.add(PurgeCursor(id=1, until=line))
            else:
                cursor.until = line
                session.add(cursor)
        return found

    async def _build(self, session: AsyncSession, keys: list[tuple[str, str]]
                     ) -> tuple[dict[tuple[str, str], dict[str, Any] | None], list[tuple[str, str]]]:
        """The doc for each (database, draft), and the applicants' databases that must get it too."""
        draft_ids = list({draft_id for _, draft_id in keys})
        apps = {a.draft_id: a for a in await session.exec(select(Application).where(col(Application.draft_id).in_(draft_ids)))}
        events: dict[int, list[ApplicationEvent]] = defaultdict(list)
        if apps:
            for e in await session.exec(select(ApplicationEvent).where(col(ApplicationEvent.application_id).in_([a.id for a in apps.values()]))
                                        .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))):
                events[e.application_id].append(e)
        latest: dict[tuple[str, str], Submission] = {}
        for s in await session.exec(select(Submission).where(col(Submission.draft_id).in_(draft_ids), Submission.outcome != "ignored")
                                    .order_by(col(Submission.id))):
            latest[(s.db_name, s.draft_id)] = s
        extras = await self._extras(session, list(apps.values()))
        assisted = [a for a in apps.values() if a.applicant_kind == "assisted"]
        citizens = await citizens_by_nik_hash(session, [a.applicant_nik_hash for a in assisted])
        officers = await _display_names(session, {a.filed_by or a.account_id for a in assisted})
        purge_before = self.clock() - self.purge_after
        docs: dict[tuple[str, str], dict[str, Any] | None] = {}
        also: list[tuple[str, str]] = []
        for db_name, draft_id in keys:
            app = apps.get(draft_id)
            if app is not None and app.account_id == account_of(db_name):
                doc = status_doc(draft_id, app, events[app.id], latest.get((db_name, draft_id)), purge_before, extras.get(app.id))
                applicant_db = applicant_database(app, citizens)
                if applicant_db is not None and (applicant_db, draft_id) not in docs and (applicant_db, draft_id) not in keys:
                    also.append((applicant_db, draft_id))
            elif app is not None and applicant_database(app, citizens) == db_name:
                doc = applicant_status_doc(draft_id, app, events[app.id], officers.get(app.filed_by or app.account_id, ""),
                                           purge_before, extras.get(app.id))
            else:  # another person's application (or none): never shown here
                doc = status_doc(draft_id, None, [], latest.get((db_name, draft_id)))
            if doc is not None and app is not None and app.check_code and doc.get("state") != "invalid":
                doc["check_code"] = app.check_code
            docs[(db_name, draft_id)] = doc
        return docs, list(dict.fromkeys(also))

    async def _extras(self, session: AsyncSession, apps: list[Application]) -> dict[int, dict[str, Any]]:
        """`doc_extras` of each application: its current step (with the agency's name) and its output."""
        if not apps:
            return {}
        ids = [a.id for a in apps]
        steps = {(s.application_id, s.position): s for s in await session.exec(select(WorkflowStep).where(
            col(WorkflowStep.application_id).in_(ids)))}
        outputs = {d.application_id: d for d in await session.exec(select(IssuedDocument).where(col(IssuedDocument.application_id).in_(ids)))}
        regions = sorted({a.region_code for a in apps if a.step_agency})
        names: dict[tuple[str, str], str] = {}
        if regions:  # the catalog's agency table, read by name: this package does not import the server
            rows = await session.exec(AGENCY_NAMES, params={"regions": regions})  # type: ignore[call-overload]
            names = {(region, kind): name for region, kind, name in rows}
        return {a.id: doc_extras(a, steps.get((a.id, a.step_position)) if a.step_position is not None else None,
                                 names.get((a.region_code, a.step_agency or ""), ""), outputs.get(a.id), self.verify_url)
                for a in apps}

    async def _wallet_docs(self, session: AsyncSession, db_names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The wallet docs of each person's database in the batch (the upsert skips unchanged ones)."""
        accounts = {account_of(db): db for db in db_names if account_of(db)}
        if not accounts:
            return {}
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for w in await session.exec(select(WalletDocument).where(col(WalletDocument.account_id).in_(list(accounts)))):
            out[accounts[w.account_id]].append(wallet_doc(w))
        return out

    async def _ensure_applicant_db(self, db_name: str) -> None:
        """A person an officer filed for may not have synced yet: their database is made here."""
        if db_name in self._ensured:
            return
        try:
            await ensure_userdb(self.couch, account_of(db_name) or "")
            self._ensured.add(db_name)
        except (CouchUnavailable, ValueError):
            pass  # the write below fails and is tried again later

    async def _upsert(self, db_name: str, wanted: dict[str, dict[str, Any]]) -> tuple[int, int, dict[str, str]]:
        """Write the docs that differ from what is stored; (written, unchanged, {doc id: error})."""
        pending, written, unchanged, errors = dict(wanted), 0, 0, {}
        try:
            for _ in range(CONFLICT_RETRIES):
                stored = {row["id"]: row.get("doc") for row in await self.couch.all_docs(db_name, list(pending))}
                writes = []
                for doc_id, doc in pending.items():
                    old = stored.get(doc_id)
                    if old is not None and {k: v for k, v in old.items() if k != "_rev"} == doc:
                        unchanged += 1
                        continue
                    writes.append({**doc, "_rev": old["_rev"]} if old is not None else doc)
                pending = {}
                for result in await self.couch.bulk_docs(db_name, writes):
                    if "error" not in result:
                        written += 1
                    elif result["error"] == "conflict":  # written meanwhile: read the new revision and compare again
                        pending[result["id"]] = wanted[result["id"]]
                    else:
                        errors[result["id"]] = str(result.get("error"))
                if not pending:
                    break
        except CouchUnavailable as exc:
            return written, unchanged, {doc_id: str(exc) for doc_id in wanted}
        errors.update({doc_id: "conflict" for doc_id in pending})
        return written, unchanged, errors
