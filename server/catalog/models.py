"""Catalog tables: regions, their agencies, and services as versioned standar pelayanan.

A *standar pelayanan* (UU 25/2009 art. 21) is what a region promises for one service:
requirements, procedure, time (SLA), fee, output, legal basis, complaints channel, ... .
`Service` holds the national template of a service; `RegionService` says whether a region
offers it and with which overrides; every publication freezes the effective content into an
immutable `ServiceVersion`, which drafts pin so a form never changes under a person's hands.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Region(SQLModel, table=True):
    """A kabupaten/kota that runs an MPP Digital, keyed by its Kemendagri code (e.g. `21.71`)."""

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=10)  # "kabupaten" | "kota"
    province_code: str = Field(max_length=2, index=True)
    province_name: str = Field(max_length=80)
    active: bool = Field(default=True)


class Agency(SQLModel, table=True):
    """A regional agency (perangkat daerah) of one region, e.g. Disdukcapil Kota Batam."""

    __table_args__ = (UniqueConstraint("region_code", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=5)
    kind: str = Field(max_length=40)  # stable slug: disdukcapil, dinkes, dpmptsp, ...
    name: str = Field(max_length=200)
    short_name: str = Field(max_length=60)
    # [{"name": "MPP Kota Batam", "address": "...", "counters": ["Loket 1", ...]}]
    locations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Service(SQLModel, table=True):
    """The national template of a service, seeded from the project's catalog file."""

    id: str = Field(primary_key=True, max_length=80)  # stable slug, e.g. adminduk-kk
    name_id: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    category: str = Field(max_length=40, index=True)
    subcategory: str = Field(default="", max_length=60)
    owner_agency: str = Field(max_length=40)  # agency kind
    template: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the standar pelayanan content


class RegionService(SQLModel, table=True):
    """Whether a region offers a service, its overrides, and the version now published."""

    region_code: str = Field(foreign_key="region.code", primary_key=True, max_length=5)
    service_id: str = Field(foreign_key="service.id", primary_key=True, max_length=80)
    enabled: bool = Field(default=True)
    # only the keys a region may change: sla_days, fee_idr, requirements, steps
    overrides: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    current_version: int | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow)


class ServiceVersion(SQLModel, table=True):
    """One published, immutable standar pelayanan of a service in a region."""

    __table_args__ = (UniqueConstraint("region_code", "service_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=5)
    service_id: str = Field(foreign_key="service.id", index=True, max_length=80)
    version: int
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=utcnow)
    published_by: str = Field(default="system", max_length=120)


class RegionDay(SQLModel, table=True):
    """A day a region's offices are closed (local holiday) or, exceptionally, open."""

    region_code: str = Field(foreign_key="region.code", primary_key=True, max_length=5)
    day: date = Field(primary_key=True)
    closed: bool = Field(default=True)
    note: str = Field(default="", max_length=200)
