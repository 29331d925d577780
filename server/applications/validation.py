"""The catalog's answer to "may this draft become an application?", for `sync.ingest`.

A draft pins the service version it was started with (`service:<id>:<version>`), so it is
validated against exactly that form — with the same rules the device used offline
(`server.catalog.formspec`). The region must still run MPP Digital and still offer the
service; the version must exist. Versions never change once published, so they are cached
for the life of the worker; whether a service is offered, and a region's working days, are
read again after a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.applications.workflow import steps_of
from server.catalog import formspec
from server.catalog.models import Region, RegionService, ServiceVersion
from server.catalog.regiondays import RegionDayService, region_offset
from server.catalog.workdays import Calendar
from sync.ingest import Accepted, Refused
from sync.models import Application, ApplicationEvent
from sync.tracking import sla_pauses

FRESH_SECONDS = 10.0

REGION_UNKNOWN = "Daerah pada draf ini tidak menyelenggarakan MPP Digital. Buat draf baru dari daftar layanan daerah Anda."
SERVICE_CLOSED = "Layanan ini sudah tidak dibuka di {region}. Pilih layanan lain dari daftar layanan, atau tanyakan ke MPP setempat."
VERSION_UNKNOWN = "Formulir pada draf ini tidak dikenal server. Perbarui aplikasi, lalu buat draf baru untuk layanan ini."


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    province_code: str


@dataclass(frozen=True)
class _Version:
    fields: tuple[formspec.Field, ...]
    steps: tuple[tuple[str, str, str, bool], ...]
    sla_days: int
    auto_issue: bool = False


class _Fresh:
    """A value read again once it is older than FRESH_SECONDS."""

    def __init__(self) -> None:
        self._store: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> tuple[bool, Any]:
        hit = self._store.get(key)
        if hit is None or time.monotonic() - hit[0] > FRESH_SECONDS:
            return False, None
        return True, hit[1]

    def put(self, key: Any, value: Any) -> Any:
        self._store[key] = (time.monotonic(), value)
        return value


class CatalogRules:
    """`sync.ingest.Rules` from the catalog tables and the working-day calendar."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str, int], _Version | None] = {}
        self._regions = _Fresh()
        self._offered = _Fresh()
        self._calendars = _Fresh()

    async def check(self, session: AsyncSession, draft: dict[str, Any]) -> Accepted | Refused:
        region = await self._region(session, draft.get("region_code"))
        if region is None:
            return Refused({"_region": REGION_UNKNOWN})
        service_id, number = draft.get("service_id"), draft.get("service_version")
        if not isinstance(service_id, str) or not await self._is_offered(session, region.code, service_id):
            return Refused({"_service": SERVICE_CLOSED.format(region=region.name)})
        version = await self._version(session, region.code, service_id, number) if isinstance(number, int) and not isinstance(number, bool) else None
        if version is None:
            return Refused({"_service": VERSION_UNKNOWN})
        today = datetime.now(timezone.utc).astimezone(region_offset(region.province_code)).date()  # as regiondays.region_today
        values = draft.get("values") or {}
        errors = formspec.validate_values(version.fields, values, today)
        if errors:
            return Refused({fid: " ".join(p["message"] for p in problems) for fid, problems in errors.items()})
        return Accepted(values=formspec.strip_hidden(version.fields, values, today), steps=version.steps, today=today,
                            auto_issue=version.auto_issue)

    async def due_date(self, session: AsyncSession, application: Application, events: Sequence[ApplicationEvent]) -> date | None:
        """Day 0 is the day it was received; the clock stops while a revision is awaited."""
        region = await self._region(session, application.region_code)
        version = await self._version(session, application.region_code, application.service_id, application.service_version)
        if region is None or version is None:
            return None
        tz = region_offset(region.province_code)
        calendar = await self._calendar(session, region.code)
        pauses = sla_pauses((e.at.astimezone(tz).date(), e.state) for e in events)
        return calendar.sla_due_date(application.created_at.astimezone(tz).date(), version.sla_days, pauses)

    # --- cached reads ---------------------------------------------------------------------

    async def _region(self, session: AsyncSession, code: Any) -> _Region | None:
        if not isinstance(code, str):
            return None
        known, region = self._regions.get(code)
        if not known:
            row = await session.get(Region, code)
            region = self._regions.put(code, _Region(row.code, row.name, row.province_code) if row is not None and row.active else None)
        return region

    async def _is_offered(self, session: AsyncSession, region_code: str, service_id: str) -> bool:
        known, offered = self._offered.get((region_code, service_id))
        if not known:
            row = await session.get(RegionService, (region_code, service_id))
            offered = self._offered.put((region_code, service_id), bool(row is not None and row.enabled and row.current_version is not None))
        return offered

    async def _version(self, session: AsyncSession, region_code: str, service_id: str, number: int) -> _Version | None:
        key = (region_code, service_id, number)
        if key not in self._versions:
            row = (await session.exec(select(ServiceVersion).where(
                ServiceVersion.region_code == region_code, ServiceVersion.service_id == service_id,
                ServiceVersion.version == number))).first()
            if row is None:
                return None  # not cached: it may be published in a moment
            content = row.content
            self._versions[key] = _Version(
                fields=tuple(formspec.Field.model_validate(f) for f in content.get("form_fields", [])),
                steps=tuple((s.id, s.name, s.agency, s.issues_output) for s in steps_of(content.get("steps", []))),
                sla_days=int(content.get("sla_days", 0)),
                auto_issue=bool(content.get("auto_issue_on_sla", False)),
            )
        return self._versions[key]

    async def _calendar(self, session: AsyncSession, region_code: str) -> Calendar:
        known, calendar = self._calendars.get(region_code)
        if not known:
            calendar = self._calendars.put(region_code, await RegionDayService(session).calendar(region_code))
        return calendar
