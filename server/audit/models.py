"""The audit log's tables: one append-only, hash-chained row per staff action or view of a
person's application, and the chain's head (see server.audit.log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from identity.models import utcnow


class AuditEntry(SQLModel, table=True):
    """Who (account, role, agency) did what to or saw which application, when and why."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: str = Field(max_length=32, index=True)  # account id, or "system"
    actor_role: str = Field(max_length=30)  # agency_operator, region_admin, field_officer, citizen, system
    actor_agency: str = Field(default="", max_length=40)  # agency kind
    actor_agency_name: str = Field(default="", max_length=200)
    region_code: str = Field(default="", max_length=5)
    action: str = Field(max_length=40)  # view, start_review, request_revision, …, check_requirement, auto_issue
    application_id: int | None = Field(default=None, index=True)
    subject_account_id: str | None = Field(default=None, max_length=32, index=True)  # whose data it is
    subject_nik_hash: str | None = Field(default=None, max_length=64, index=True)
    purpose: str = Field(default="", max_length=300)  # why: shown to the person
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # no personal data
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The end of the chain (one row, id 1): taking it serialises appends, and it lets `verify`
    notice the newest rows being deleted."""

    id: int = Field(default=1, primary_key=True)
    count: int = 0
    last_id: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
