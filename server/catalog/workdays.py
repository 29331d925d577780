"""Working days (*hari kerja*) for service-level clocks.

A standar pelayanan promises a result within N hari kerja counted from the day the file is
declared complete (*berkas lengkap*). This module is the one place that knows which days are
working days and how that count runs; it is plain Python so the dashboard, the reminders and
the tests share it.

Which days are off
    Saturdays and Sundays; national holidays (*libur nasional*, Keppres 8/2024 as set out each
    year by the SKB of the Ministers of Religious Affairs, Manpower and PANRB); and *cuti
    bersama*, the collective-leave days the same SKB gives civil servants (ASN). Both lists
    come from the pinned `holidays` package, categories "public" and "government"; the
    2025 and 2026 cuti bersama are checked against the SKBs in tests/unit/test_workdays.py.
    A region admin can close a day the nation works (hari jadi, a local holiday, an office
    move) or open a day the nation rests (a Saturday service day; the SKB lets units serving
    the public assign staff on cuti bersama). A region's choice wins over the national list.

How the count runs (`Calendar.add_working_days`, `working_days_between`)
    The clock starts on the day the file is complete: that day is day 0. If it is not a
    working day, the clock starts on the next working day instead, which is then day 0. Day
    n is the n-th working day after day 0, so SLA 0 means "on day 0" (a same-day service).
    With the 2026 calendar:

    * complete Fri 2026-01-09, SLA 1 -> Mon 2026-01-12
    * complete Sat 2026-01-10, SLA 1 -> Tue 2026-01-13 (Monday is day 0); SLA 0 -> Mon 01-12
    * complete Wed 2026-12-23, SLA 5 -> Mon 2027-01-04 (24 Dec cuti bersama, 25 Dec Natal,
      the weekend, and 1 Jan 2027 are skipped: 28, 29, 30, 31 Dec, 4 Jan)

    `working_days_between(a, b)` counts the working days after day 0 of a clock started on a,
    up to and including b; so `working_days_between(s, add_working_days(s, n)) == n` for
    every s and n >= 0.

Pauses (`Calendar.sla_elapsed`, `sla_due_date`)
    The clock stops while the office waits for the citizen (a revision was requested) and
    resumes when they resubmit. A pause is `(stopped_on, resumed_on)`, resumed_on `None`
    while still waiting. The day it stops still counts (the office worked the file that day).
    The day of resubmission is a new day 0 under the same rule as the start (a day off gives
    way to the next working day), and counting resumes on the working day after it. So the
    working days d with stopped_on < d <= working_day_on_or_after(resumed_on) do not count;
    for an open pause, no day after stopped_on counts. Pauses may overlap: a day is counted
    once or not at all. Example: complete Mon 2026-03-02; Tue 03 is day 1, Wed 04 day 2 and
    a revision is requested that day; the citizen resubmits Mon 09; Tue 10 is day 3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

ONE_DAY = timedelta(days=1)
SATURDAY = 5  # date.weekday(): Monday is 0

Pause = tuple[date, date | None]


class RegionDayConflict(ValueError):
    """The same date was set both closed and open for one region."""

    def __init__(self, dates: AbstractSet[date]):
        self.dates = sorted(dates)
        self.details = {"dates": [d.isoformat() for d in self.dates]}
        super().__init__(f"dates both closed and open: {', '.join(self.details['dates'])}")


class PauseOutOfOrder(ValueError):
    """A pause says the citizen resubmitted before the office asked for a revision."""

    def __init__(self, stopped_on: date, resumed_on: date):
        self.details = {"stopped_on": stopped_on.isoformat(), "resumed_on": resumed_on.isoformat()}
        super().__init__(f"pause resumed on {resumed_on} before it stopped on {stopped_on}")


@lru_cache(maxsize=64)
def national_days_off(year: int) -> Mapping[date, str]:
    """Libur nasional and cuti bersama in `year`, each with its Indonesian name."""
    days = holidays.country_holidays("ID", years=year, categories=(PUBLIC, GOVERNMENT), language="id")
    return MappingProxyType(dict(days))


@lru_cache(maxsize=64)
def cuti_bersama_published(year: int) -> bool:
    """Whether the installed `holidays` knows the SKB's cuti bersama for `year`.

    The SKB for a year is signed in the autumn before it; until a `holidays` release carries
    it, the calendar for that year has national holidays only, and an admin page should say so.
    """
    return bool(holidays.country_holidays("ID", years=year, categories=(GOVERNMENT,)))


@dataclass(frozen=True)
class RegionDays:
    """Days a region admin sets for its own offices, on top of the national calendar.

    `closed`: days the offices are shut although the nation works. `open`: days they serve
    although the nation rests. Any set of dates is accepted and kept as a frozenset.
    """

    closed: AbstractSet[date] = frozenset()
    open: AbstractSet[date] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed", frozenset(self.closed))
        object.__setattr__(self, "open", frozenset(self.open))
        if both := self.closed & self.open:
            raise RegionDayConflict(both)


class Calendar:
    """The working days of one region's offices; see the module docstring for the rules."""

    def __init__(self, region_days: RegionDays | None = None):
        self.region_days = region_days or RegionDays()

    def is_working_day(self, d: date) -> bool:
        if d in self.region_days.open:
            return True
        if d in self.region_days.closed or d.weekday() >= SATURDAY:
            return False
        return d not in national_days_off(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d += ONE_DAY
        while not self.is_working_day(d):
            d += ONE_DAY
        return d

    def working_day_on_or_after(self, d: date) -> date:
        """Day 0 of a clock started on d: d itself if it is a working day, else the next one."""
        return d if self.is_working_day(d) else self.next_working_day(d)

    def add_working_days(self, start: date, n: int) -> date:
        """The due date of an n-working-day SLA whose clock started on `start`."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        d = self.working_day_on_or_after(start)
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after day 0 of a clock started on a, up to and including b."""
        return sum(1 for _ in self._counted_days(a, b))

    def sla_elapsed(self, started: date, pauses: Sequence[Pause], today: date) -> int:
        """Working days the SLA clock has run by the end of `today`, pauses left out."""
        spans = self._pause_spans(pauses)
        return sum(1 for d in self._counted_days(started, today) if not _paused(d, spans))

    def sla_due_date(self, started: date, n: int, pauses: Sequence[Pause]) -> date | None:
        """The day the clock reaches n, or None while a pause that stops it short is open.

        `sla_elapsed(started, pauses, sla_due_date(started, n, pauses)) == n`.
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        spans = self._pause_spans(pauses)
        d, counted = self.working_day_on_or_after(started), 0
        while counted < n:
            d = self.next_working_day(d)
            if any(hi == date.max and lo < d for lo, hi in spans):
                return None
            if not _paused(d, spans):
                counted += 1
        return d

    def _counted_days(self, a: date, b: date) -> Iterator[date]:
        d = self.working_day_on_or_after(a)
        while d < b:
            d = self.next_working_day(d)
            if d <= b:
                yield d

    def _pause_spans(self, pauses: Sequence[Pause]) -> list[tuple[date, date]]:
        """Each pause as (lo, hi): the working days d with lo < d <= hi do not count."""
        spans = []
        for stopped_on, resumed_on in pauses:
            if resumed_on is None:
                spans.append((stopped_on, date.max))
            elif resumed_on < stopped_on:
                raise PauseOutOfOrder(stopped_on, resumed_on)
            else:
                spans.append((stopped_on, self.working_day_on_or_after(resumed_on)))
        return spans


def _paused(d: date, spans: list[tuple[date, date]]) -> bool:
    return any(lo < d <= hi for lo, hi in spans)
