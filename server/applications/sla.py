"""The SLA clock of an application, in the region's working days.

Day 0 is the day the file was complete (received); the clock stops while the agency waits for
the person (needs_revision, and while photos are still on their way) and runs again on the day
the correction arrives (see `sync.tracking.sla_pauses` and `server.catalog.workdays`). The due
date is stored on the application (`due_date`) whenever the clock changes, so queues sort and
flag by it without replaying histories.

A service flagged `auto_issue_on_sla` (SIP: Keputusan Bersama 9 September 2025, "terbit
otomatis pada hari kelima") is issued by the system when its due day ends with no decision:
the SLA has lapsed once the region's offices close on the due date (`AUTO_ISSUE_AT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from server.applications.workflow import OPEN_STATES
from server.catalog.workdays import Calendar

AUTO_ISSUE_AT = time(16, 0)  # office closing time, local: the due day is over
AUTO_ISSUE_RULE = ("Keputusan Bersama Menkes, MenPANRB, Mendagri, Menkomdigi dan Kepala BSSN (9 September 2025): "
                   "SIP terbit otomatis bila tidak ada keputusan sampai batas waktu layanan")
AT_RISK_DAYS = 1  # working days left at which a queue shows "hampir lewat"


@dataclass(frozen=True)
class SlaView:
    due: date | None
    running: bool  # the agency has the application and the clock runs
    paused: bool  # waiting for the person
    remaining: int | None  # working days left after today (negative: overdue by that many)
    breached: bool
    at_risk: bool

    @property
    def label(self) -> str:
        if self.paused:
            return "Jeda (menunggu pemohon)"
        if self.due is None or not self.running:
            return "-"
        if self.breached:
            return f"Lewat {-self.remaining} hari kerja" if self.remaining else "Lewat batas waktu"
        if self.remaining == 0:
            return "Jatuh tempo hari ini"
        return f"Sisa {self.remaining} hari kerja"


def sla_view(calendar: Calendar, state: str, due: date | None, today: date) -> SlaView:
    """Where the clock of an application in `state`, due on `due`, stands at the end of `today`."""
    running = state in OPEN_STATES
    paused = state in ("needs_revision", "waiting_for_files")
    if due is None or not running:
        return SlaView(due, running, paused, None, False, False)
    if today <= due:
        remaining = calendar.working_days_between(today, due)
    else:
        remaining = -max(calendar.working_days_between(due, today), 1)
    breached = today > due
    return SlaView(due, running, paused, remaining, breached, not breached and remaining <= AT_RISK_DAYS)


def lapsed(due: date | None, now_local: datetime) -> bool:
    """The due day is over: after `AUTO_ISSUE_AT` on the due date, or any later day."""
    if due is None:
        return False
    today = now_local.date()
    return today > due or (today == due and now_local.time() >= AUTO_ISSUE_AT)
