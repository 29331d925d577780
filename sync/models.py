"""SQL side of the application path: what the ingest worker made of the person's drafts, the
outbox the publisher turns into `status:` docs, and the worker's checkpoints.

Exactly-once rests on two keys: a submission is `(draft_id, submission_id)` (unique), and an
application is one per draft (`draft_id` unique) — a resend after "perlu perbaikan" is a new
submission of the same application, so the tracking number stays.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from identity.models import utcnow

# waiting_for_files: valid and numbered, but a photo or document it names has not arrived and been
# verified yet; no officer sees it and its SLA has not started. The rules of the other states are
# in server/applications/workflow.py.
APPLICATION_STATES = ("waiting_for_files", "received", "in_review", "needs_revision", "resubmitted", "approved", "completed",
                      "rejected", "withdrawn")
APPLICANT_KINDS = ("self", "assisted")  # assisted: filed by a field officer for the person in `applicant`
UNLOCKED_STATES = ("needs_revision",)  # the person may edit and send again
FINAL_STATES = ("completed", "rejected", "withdrawn")  # nothing more will happen; after a while the device may let go of it
SUBMISSION_OUTCOMES = ("accepted", "invalid", "ignored")  # ignored: sent while the application was locked


class Application(SQLModel, table=True):
    """One application, made from a person's draft; its state is what the agency decided so far."""

    # the hourly purge step asks for applications that became final in a window of time
    # the hourly purge step asks for applications that became final in a window of time; an
    # agency's queue is the open applications whose current step is that agency's, by SLA
    __table_args__ = (Index("ix_application_state_updated_at", "state", "updated_at"),
                      Index("ix_application_queue", "region_code", "step_agency", "state", "due_date"))

    id: int | None = Field(default=None, primary_key=True)
    draft_id: str = Field(max_length=48, unique=True)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=5)
    service_id: str = Field(max_length=60, index=True)
    service_version: int
    tracking_number: str = Field(max_length=32, unique=True)  # MPP-2171-2026-000123
    state: str = Field(default="received", max_length=20, index=True)
    submission_id: str = Field(max_length=36)  # the submission the current values came from
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_date: date | None = None  # SLA in working days from the day it was received
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who the application is for. "self": the owner of the database (`account_id`). "assisted": a
    # field officer (`account_id`, also `filed_by`) filed it for the person in `applicant`:
    # {"name", "nik_cipher" (identity.crypto), "birth_date", "identity_check": {...}, "consent": {...}}.
    applicant_kind: str = Field(default="self", max_length=10, sa_column_kwargs={"server_default": "self"})
    applicant_nik_hash: str | None = Field(default=None, max_length=64, index=True)  # PiiCipher.lookup_hash("nik", …)
    applicant_birth_date: date | None = None  # with the tracking number, opens the public status page (/lacak)
    applicant: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    filed_by: str | None = Field(default=None, foreign_key="account.id", max_length=32)
    check_code: str | None = Field(default=None, max_length=8)  # written on the paper slip next to the tracking number
    # where the procedure is: the current WorkflowStep's position and agency kind (None when no
    # step is open: waiting for files, or decided), and how many steps there are
    step_position: int | None = None
    step_agency: str | None = Field(default=None, max_length=40)
    step_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    auto_issue: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})  # issued by the system when the SLA lapses (SIP)
    decided_at: datetime | None = None  # approved, rejected or withdrawn


class Submission(SQLModel, table=True):
    """Every "Kirim" the server has seen, valid or not — the idempotency record."""

    __table_args__ = (UniqueConstraint("draft_id", "submission_id"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: str = Field(max_length=48, index=True)
    submission_id: str = Field(max_length=36)
    db_name: str = Field(max_length=80)
    rev: str = Field(max_length=80)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    outcome: str = Field(max_length=10)  # see SUBMISSION_OUTCOMES
    errors: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)


class WorkflowStep(SQLModel, table=True):
    """One step of the service's procedure for one application, owned by an agency."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    position: int
    name: str = Field(max_length=200)
    agency_kind: str = Field(max_length=40)
    state: str = Field(default="open", max_length=10)  # "open" | "waiting" | "done"
    step_id: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    issues_output: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    done_by: str | None = Field(default=None, max_length=32)  # account id, or "system"
    opened_at: datetime | None = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class ApplicationEvent(SQLModel, table=True):
    """The application's history, as the person sees it in the status doc."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    state: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    by: str = Field(default="system", max_length=32)  # account id of the staff member, or "system"
    action: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})  # workflow action, "" for ingest's
    actor_role: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})
    actor_agency: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})  # agency kind
    step_position: int | None = None
    # notes per field/requirement (needs_revision), legal basis (rejected), rule (automatic issuance)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class Outbox(SQLModel, table=True):
    """A change to an application, written in the same transaction as the change: the publisher writes
    its status doc into the person's database (`done_at`), the server's push makes its messages (`pushed_at`)."""

    # the publisher asks only for pending rows, oldest first; push asks only for rows it has not seen
    __table_args__ = (Index("ix_outbox_pending", "id", sqlite_where=text("done_at IS NULL"), postgresql_where=text("done_at IS NULL")),
                      Index("ix_outbox_unpushed", "id", sqlite_where=text("pushed_at IS NULL"), postgresql_where=text("pushed_at IS NULL")))

    id: int | None = Field(default=None, primary_key=True)
    db_name: str = Field(max_length=80)
    draft_id: str = Field(max_length=48, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None  # after a failed write: not before then
    last_error: str | None = Field(default=None, max_length=200)
    # the same change, read a second time by the server's push messages (independently of the status doc's write)
    pushed_at: datetime | None = None


class IngestCursor(SQLModel, table=True):
    """Where the ingest worker is in one person's database, and whether it changed since."""

    # the worker polls for marked databases; with one row per person it must not scan them all
    __table_args__ = (Index("ix_ingestcursor_pending", "updated_at", sqlite_where=text("marks > seen_marks"),
                            postgresql_where=text("marks > seen_marks")),)

    db_name: str = Field(primary_key=True, max_length=80)
    since: str = Field(default="0", sa_type=Text)  # CouchDB's seq, opaque: ~100 characters on a cluster (q=1), more with more shards
    marks: int = 0  # bumped by the gateway on every accepted write; the worker clears what it saw
    seen_marks: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class PurgeCursor(SQLModel, table=True):
    """How far the purge step has gone: every application final since before `until` has had
    its status doc published again, with `purge`. One row (id 1)."""

    id: int = Field(default=1, primary_key=True)
    until: datetime


class TrackingSequence(SQLModel, table=True):
    """The last tracking number given per region and year."""

    region_code: str = Field(primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    last: int = 0


# --- photos and documents (/blobs/) -------------------------------------------------------------


class Blob(SQLModel, table=True):
    """A verified file, stored once under its sha256 whoever uploaded it (content-addressed)."""

    sha256: str = Field(primary_key=True, max_length=64)  # lowercase hex
    size: int
    mime: str = Field(max_length=40)  # as sniffed from the bytes, never as claimed
    created_at: datetime = Field(default_factory=utcnow)


class BlobOwner(SQLModel, table=True):
    """Who uploaded a blob: a person may reference only blobs they uploaded; quotas count these."""

    account_id: str = Field(foreign_key="account.id", primary_key=True, max_length=32)
    sha256: str = Field(foreign_key="blob.sha256", primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Upload(SQLModel, table=True):
    """A resumable upload in progress (TUS 1.0); its bytes so far sit in the blob store's staging area."""

    id: str = Field(primary_key=True, max_length=32)  # random hex; the upload URL is /blobs/uploads/<id>
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    length: int  # Upload-Length
    offset: int = 0  # bytes received and written so far
    sha256: str = Field(max_length=64)  # what the device says the whole file hashes to; checked at the end
    mime: str = Field(max_length=40)  # what the device says it is; the bytes decide
    field: str = Field(default="", max_length=60)  # the form field it is for (diagnostics only)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None


# --- the back office's results ---------------------------------------------------------------


class RequirementCheck(SQLModel, table=True):
    """An operator's verdict on one requirement of an application (the checklist); the latest counts."""

    __table_args__ = (UniqueConstraint("application_id", "requirement_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    requirement_id: str = Field(max_length=80)
    verdict: str = Field(max_length=15)  # sesuai | kurang | tidak_sesuai
    note: str = Field(default="", max_length=500)
    by: str = Field(max_length=32)  # account id
    agency_kind: str = Field(default="", max_length=40)
    at: datetime = Field(default_factory=utcnow)


class IssuedDocument(SQLModel, table=True):
    """An output document (e.g. a SIP) issued for an application: a signed PDF in the blob store.

    The QR code on it carries `/verifikasi/<token>`: `token_id` is random and the token is
    signed (server.outputs.tokens), so it can be neither guessed nor read for personal data.
    The verification page shows only the masked holder name kept here.
    """

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", unique=True)
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True, max_length=32)  # the holder, if enrolled
    holder_nik_hash: str | None = Field(default=None, max_length=64, index=True)
    holder_name_masked: str = Field(max_length=120)
    kind: str = Field(max_length=60)  # the service's output id, e.g. "sip"
    title: str = Field(max_length=300)
    number: str = Field(max_length=80, unique=True)
    region_code: str = Field(foreign_key="region.code", max_length=5)
    agency_kind: str = Field(max_length=40)
    agency_name: str = Field(max_length=200)
    issued_at: datetime = Field(default_factory=utcnow)
    valid_until: date | None = None
    token_id: str = Field(max_length=32, unique=True)
    sha256: str = Field(foreign_key="blob.sha256", max_length=64)
    size: int
    development: bool = False  # signed with the development CA, and says so
    issued_by: str = Field(default="system", max_length=32)
    rule: str = Field(default="", max_length=200)  # set when issued automatically under a rule
    revoked_at: datetime | None = None
    revoked_reason: str = Field(default="", max_length=300)


class WalletDocument(SQLModel, table=True):
    """A document kept for a person (*dompet dokumen*, once-only): an issued output, or an
    uploaded document an operator marked as verified. A new application may name it instead of
    uploading again; the holder owns its blob (`BlobOwner`), so ingest accepts the reference."""

    __table_args__ = (UniqueConstraint("nik_hash", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True, max_length=32)
    nik_hash: str = Field(max_length=64, index=True)
    source: str = Field(max_length=10)  # "issued" | "verified"
    requirement_id: str = Field(default="", max_length=80)  # what it satisfies (a requirement id, or the output id)
    label: str = Field(max_length=300)
    sha256: str = Field(foreign_key="blob.sha256", max_length=64)
    size: int
    mime: str = Field(max_length=40)
    verified_by: str = Field(max_length=32)  # account id, or "system" for an issued output
    verified_by_name: str = Field(default="", max_length=120)
    verified_by_agency: str = Field(default="", max_length=200)
    verified_at: datetime = Field(default_factory=utcnow)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    issued_document_id: int | None = Field(default=None, foreign_key="issueddocument.id")
