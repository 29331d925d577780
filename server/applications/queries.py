"""What an agency operator's back office reads: the queue of one agency in one region, and
who may see one application.

The queue is the applications whose *current* step belongs to the operator's agency
(`Application.step_agency`), sorted by SLA risk (due date first, none last, then oldest). It
is served by `ix_application_queue (region_code, step_agency, state, due_date)`: one query for
the page (50 rows, one more to know whether a next page exists) and one grouped count for the
figures at the top, whatever the number of applications.

An operator sees an application of their region when their agency owns *any* of its steps
(past, current or later): the page and its files are otherwise "not found", never "forbidden",
so a tracking number reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.applications.sla import SlaView, sla_view
from server.applications.workflow import OPEN_STATES, STATE_LABELS
from server.catalog.models import RegionService, Service, ServiceVersion
from server.catalog.workdays import Calendar
from sync.models import Application, WorkflowStep
from sync.tracking import ApplicationNotFound

PAGE_SIZE = 50
# what a queue may list: the agency's open work, and what waits for the person
QUEUE_STATES = ("received", "in_review", "resubmitted", "needs_revision")
SLA_FILTERS = {"semua": "Semua", "lewat": "Lewat batas waktu", "hampir": "Hampir lewat", "jeda": "Jeda (menunggu pemohon)"}


@dataclass(frozen=True)
class QueueFilter:
    """The queue's query parameters, already checked: unknown values mean "no filter"."""

    layanan: str = ""
    status: str = ""
    sla: str = "semua"
    page: int = 1

    @classmethod
    def of(cls, layanan: str | None, status: str | None, sla: str | None, page: int | None) -> QueueFilter:
        return cls(layanan=(layanan or "").strip()[:80], status=status if status in QUEUE_STATES else "",
                   sla=sla if sla in SLA_FILTERS else "semua", page=max(1, min(page or 1, 10_000)))

    def states(self) -> tuple[str, ...]:
        if self.sla == "jeda":
            return ("needs_revision",) if self.status in ("", "needs_revision") else ()
        if self.sla in ("lewat", "hampir"):  # the clock runs only in the open states
            return (self.status,) if self.status in OPEN_STATES else () if self.status else tuple(sorted(OPEN_STATES))
        return (self.status,) if self.status else tuple(sorted(OPEN_STATES))

    def query(self, page: int | None = None) -> dict[str, str]:
        """The query string of this filter (for links to other pages), without defaults."""
        out = {k: v for k, v in (("layanan", self.layanan), ("status", self.status)) if v}
        if self.sla != "semua":
            out["sla"] = self.sla
        if (page or self.page) > 1:
            out["halaman"] = str(page or self.page)
        return out


@dataclass(frozen=True)
class QueueRow:
    tracking_number: str
    service_id: str
    service_name: str
    state: str
    state_label: str
    step: int | None  # 1-based
    step_count: int
    received_at: Any
    sla: SlaView


@dataclass
class QueuePage:
    rows: list[QueueRow]
    has_next: bool
    counts: dict[str, int]  # per state, for the agency, whatever the filter
    breached: int  # open applications past their due date
    services: list[tuple[str, str]] = field(default_factory=list)  # (id, name) for the filter

    @property
    def open_total(self) -> int:
        return sum(self.counts.get(s, 0) for s in OPEN_STATES)


def at_risk_before(calendar: Calendar, today: date) -> date:
    """Due dates before this day (and not before today) have at most `sla.AT_RISK_DAYS` (1) working day left."""
    return calendar.next_working_day(calendar.next_working_day(today))


async def service_names(session: AsyncSession, region_code: str, pairs: Iterable[tuple[str, int]],
                        cache: dict[tuple[str, int], str] | None = None) -> dict[tuple[str, int], str]:
    """The published name of each (service, version) — from the version the application pinned."""
    cache = {} if cache is None else cache
    wanted = {p for p in pairs if p not in cache}
    if wanted:
        ids = {s for s, _ in wanted}
        name = ServiceVersion.__table__.c.content["name_id"].as_string()  # only the name, not the whole standar pelayanan
        rows = await session.exec(select(ServiceVersion.service_id, ServiceVersion.version, name)
                                  .where(ServiceVersion.region_code == region_code, col(ServiceVersion.service_id).in_(ids)))
        for service_id, version, name_id in rows:
            if (service_id, version) in wanted:
                cache[(service_id, version)] = str(name_id or service_id)
        for p in wanted - cache.keys():
            cache[p] = p[0]
    return cache


async def queue(session: AsyncSession, region_code: str, agency_kind: str, filt: QueueFilter, *, today: date,
                calendar: Calendar) -> QueuePage:
    """One page of the agency's queue, with the agency's counts."""
    base = [Application.region_code == region_code, Application.step_agency == agency_kind]
    breached_expr = func.sum(case((and_(col(Application.due_date) < today, col(Application.state).in_(OPEN_STATES)), 1), else_=0))
    counted = await session.exec(select(Application.state, func.count(), breached_expr)
                                 .where(*base, col(Application.state).in_(QUEUE_STATES)).group_by(Application.state))
    counts, breached = {}, 0
    for state, n, late in counted:
        counts[state] = int(n)
        breached += int(late or 0)

    rows: list[QueueRow] = []
    has_next = False
    states = filt.states()
    if states:
        where = [*base, col(Application.state).in_(states)]
        if filt.layanan:
            where.append(Application.service_id == filt.layanan)
        if filt.sla == "lewat":
            where.append(col(Application.due_date) < today)
        elif filt.sla == "hampir":
            where += [col(Application.due_date) >= today, col(Application.due_date) < at_risk_before(calendar, today)]
        stmt = (select(Application.tracking_number, Application.service_id, Application.service_version, Application.state,
                       Application.step_position, Application.step_count, Application.created_at, Application.due_date)
                .where(*where)
                .order_by(col(Application.due_date).is_(None), col(Application.due_date), col(Application.created_at),
                          col(Application.id))
                .offset((filt.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        found = list(await session.exec(stmt))
        has_next = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        names = await service_names(session, region_code, {(r[1], r[2]) for r in found})
        for number, service_id, version, state, position, step_count, created_at, due in found:
            rows.append(QueueRow(number, service_id, names[(service_id, version)], state, STATE_LABELS.get(state, state),
                                 position + 1 if position is not None else None, step_count, created_at,
                                 sla_view(calendar, state, due, today)))
    offered = await session.exec(select(Service.id, Service.name_id).join(RegionService, RegionService.service_id == Service.id)
                                 .where(RegionService.region_code == region_code).order_by(Service.name_id))
    return QueuePage(rows, has_next, counts, breached, [(sid, name) for sid, name in offered])


async def visible_to(session: AsyncSession, app: Application, agency_kind: str) -> bool:
    """The agency owns a step of the application (any step: before, now or later)."""
    found = await session.exec(select(WorkflowStep.id).where(WorkflowStep.application_id == app.id,
                                                             WorkflowStep.agency_kind == agency_kind).limit(1))
    return found.first() is not None


async def require_visible(session: AsyncSession, app: Application, agency_kind: str) -> None:
    """"Not found" to an agency with no step in it: the number alone reveals nothing."""
    if not await visible_to(session, app, agency_kind):
        raise ApplicationNotFound(tracking_number=app.tracking_number)


def option_label(field_spec: Mapping[str, Any], value: Any) -> str:
    for option in field_spec.get("options") or ():
        if isinstance(option, Mapping) and option.get("value") == value:
            return str(option.get("label_id") or value)
        if option == value:
            return str(value)
    return str(value)
