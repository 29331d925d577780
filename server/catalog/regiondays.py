"""A region's own days (closed although the nation works, open although it rests) and its calendar.

The rules of counting live in `workdays.py`; this module keeps the `RegionDay` rows a region
admin sets, turns them into the `RegionDays` a `Calendar` takes, and knows the region's local
date: Indonesia has three time zones without daylight saving (WIB UTC+7, WITA UTC+8, WIT
UTC+9), and a due date counted from the wrong day would be a day off at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.models import Region, RegionDay
from server.catalog.service import RegionNotFound
from server.catalog.workdays import SATURDAY, Calendar, RegionDays, national_days_off

# Province codes (Kemendagri) by time zone; every other province is on WIB (UTC+7).
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def region_offset(province_code: str) -> timezone:
    if province_code in WIT_PROVINCES:
        return timezone(timedelta(hours=9), "WIT")
    if province_code in WITA_PROVINCES:
        return timezone(timedelta(hours=8), "WITA")
    return timezone(timedelta(hours=7), "WIB")


def region_today(region: Region, now: datetime | None = None) -> date:
    """Today's date at the region's offices."""
    return (now or datetime.now(timezone.utc)).astimezone(region_offset(region.province_code)).date()


def national_status(d: date) -> str | None:
    """Why the nation does not work on d ("Sabtu", "Tahun Baru Masehi", ...), or None on a working day."""
    if name := national_days_off(d.year).get(d):
        return name
    if d.weekday() >= SATURDAY:
        return "Sabtu" if d.weekday() == SATURDAY else "Minggu"
    return None


@dataclass(frozen=True)
class DueExample:
    """A file complete on `start` is due on `due[n]` for an SLA of n working days."""

    start: date
    due: dict[int, date]


def due_examples(calendar: Calendar, today: date, slas: tuple[int, ...] = (1, 5), count: int = 10) -> list[DueExample]:
    """Due dates for files completed on each of the next `count` working days, today's first."""
    start = calendar.working_day_on_or_after(today)
    rows = []
    for _ in range(count):
        rows.append(DueExample(start=start, due={n: calendar.add_working_days(start, n) for n in slas}))
        start = calendar.next_working_day(start)
    return rows


class RegionDayService:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def days(self, region_code: str) -> list[RegionDay]:
        stmt = select(RegionDay).where(RegionDay.region_code == region_code).order_by(RegionDay.day)
        return list((await self.session.exec(stmt)).all())

    async def set_day(self, region_code: str, day: date, closed: bool, note: str = "") -> RegionDay:
        """Close (or open) the region's offices on `day`; setting a day again replaces it."""
        region = await self.session.get(Region, region_code)
        if region is None or not region.active:
            raise RegionNotFound(region=region_code)
        row = await self.session.get(RegionDay, (region_code, day))
        if row is None:
            row = RegionDay(region_code=region_code, day=day)
        row.closed, row.note = closed, note.strip()
        self.session.add(row)
        await self.session.commit()
        return row

    async def remove_day(self, region_code: str, day: date) -> bool:
        """Back to the national calendar on `day`; False when the region had not set it."""
        row = await self.session.get(RegionDay, (region_code, day))
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.commit()
        return True

    async def region_days(self, region_code: str) -> RegionDays:
        rows = await self.days(region_code)
        return RegionDays(closed={r.day for r in rows if r.closed}, open={r.day for r in rows if not r.closed})

    async def calendar(self, region_code: str) -> Calendar:
        return Calendar(await self.region_days(region_code))
