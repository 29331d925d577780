"""The SLA clock (server.applications.sla): working days, pauses, breach, automatic issuance on day 5."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from server.applications.sla import AUTO_ISSUE_AT, lapsed, sla_view
from server.catalog.workdays import Calendar, RegionDays
from sync.tracking import sla_pauses

WIB = timezone(timedelta(hours=7))


def test_a_sip_received_on_monday_is_due_on_monday_a_week_later_and_lapses_at_closing_time():
    cal = Calendar()
    due = cal.sla_due_date(date(2026, 3, 2), 5, [])  # Mon 2 March 2026, 5 working days
    assert due == date(2026, 3, 9)
    assert not lapsed(due, datetime.combine(date(2026, 3, 9), time(9, 0), WIB))
    assert lapsed(due, datetime.combine(date(2026, 3, 9), AUTO_ISSUE_AT, WIB))
    assert lapsed(due, datetime.combine(date(2026, 3, 10), time(7, 0), WIB))
    assert not lapsed(None, datetime.combine(date(2030, 1, 1), time(7, 0), WIB))


def test_national_and_regional_holidays_push_the_due_date():
    # 2026-03-19/20: Nyepi and cuti bersama; the region also closes Tuesday 17 March
    plain = Calendar().sla_due_date(date(2026, 3, 16), 5, [])
    regional = Calendar(RegionDays(closed={date(2026, 3, 17)})).sla_due_date(date(2026, 3, 16), 5, [])
    assert regional > plain
    assert Calendar(RegionDays(closed={date(2026, 3, 17)})).is_working_day(date(2026, 3, 17)) is False


def test_the_clock_stops_while_waiting_for_the_person_and_resumes_on_resubmission():
    cal = Calendar()
    history = [(date(2026, 3, 2), "received"), (date(2026, 3, 4), "needs_revision")]
    assert cal.sla_due_date(date(2026, 3, 2), 5, sla_pauses(history)) is None  # paused: no due date
    resumed = history + [(date(2026, 3, 11), "resubmitted")]
    due = cal.sla_due_date(date(2026, 3, 2), 5, sla_pauses(resumed))
    # Tue 3, Wed 4 counted; paused until Wed 11; then Thu 12, Fri 13, Mon 16 -> due Mon 16
    assert due == date(2026, 3, 16)
    assert cal.sla_elapsed(date(2026, 3, 2), sla_pauses(resumed), due) == 5


def test_the_view_flags_breach_risk_and_pause():
    cal = Calendar()
    due = date(2026, 3, 9)
    assert sla_view(cal, "in_review", due, date(2026, 3, 5)).remaining == 2
    at_risk = sla_view(cal, "in_review", due, date(2026, 3, 6))
    assert at_risk.at_risk and not at_risk.breached and at_risk.remaining == 1
    late = sla_view(cal, "received", due, date(2026, 3, 11))
    assert late.breached and late.remaining == -2 and late.label == "Lewat 2 hari kerja"
    paused = sla_view(cal, "needs_revision", None, date(2026, 3, 11))
    assert paused.paused and not paused.breached and paused.label.startswith("Jeda")
    assert not sla_view(cal, "completed", due, date(2026, 4, 1)).breached
