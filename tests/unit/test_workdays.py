"""The hari kerja calendar behind every SLA: national days off, cuti bersama, region days, pauses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.catalog.workdays import (
    Calendar,
    PauseOutOfOrder,
    RegionDayConflict,
    RegionDays,
    cuti_bersama_published,
    national_days_off,
)

D = date.fromisoformat

# SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1017, 2 dan 2 Tahun 2024
# tentang Hari Libur Nasional dan Cuti Bersama Tahun 2025.
SKB_CUTI_BERSAMA_2025 = {
    D("2025-01-28"),  # Tahun Baru Imlek
    D("2025-03-28"),  # Nyepi
    D("2025-04-02"), D("2025-04-03"), D("2025-04-04"), D("2025-04-07"),  # Idul Fitri
    D("2025-05-13"),  # Waisak
    D("2025-05-30"),  # Kenaikan Yesus Kristus
    D("2025-06-09"),  # Idul Adha
    D("2025-12-26"),  # Natal
}
# Set by the government in August 2025, after the SKB: the Monday after Hari Kemerdekaan.
EXTRA_2025 = {D("2025-08-18")}

# SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1497, 2 dan 5 Tahun 2025
# tentang Hari Libur Nasional dan Cuti Bersama Tahun 2026.
SKB_CUTI_BERSAMA_2026 = {
    D("2026-02-16"),  # Tahun Baru Imlek
    D("2026-03-18"),  # Nyepi
    D("2026-03-20"), D("2026-03-23"), D("2026-03-24"),  # Idul Fitri
    D("2026-05-15"),  # Kenaikan Yesus Kristus
    D("2026-05-28"),  # Idul Adha
    D("2026-12-24"),  # Natal
}


def cuti_bersama_in(year: int) -> set[date]:
    return {d for d, name in national_days_off(year).items() if "Cuti Bersama" in name}


def working_days(cal: Calendar, first: date, last: date) -> list[date]:
    days = (first + timedelta(n) for n in range((last - first).days + 1))
    return [d for d in days if cal.is_working_day(d)]


@pytest.fixture
def cal() -> Calendar:
    return Calendar()


# --- national days off ---------------------------------------------------------------------


def test_cuti_bersama_2025_match_the_skb_plus_the_day_added_in_august():
    assert cuti_bersama_in(2025) == SKB_CUTI_BERSAMA_2025 | EXTRA_2025


def test_cuti_bersama_2026_match_the_skb():
    assert cuti_bersama_in(2026) == SKB_CUTI_BERSAMA_2026


def test_every_cuti_bersama_and_national_holiday_on_a_weekday_is_not_a_working_day(cal):
    for year in (2025, 2026):
        for d in national_days_off(year):
            assert not cal.is_working_day(d), d


def test_weekends_are_not_working_days_and_ordinary_weekdays_are(cal):
    week = [D("2026-07-06") + timedelta(n) for n in range(7)]  # Mon..Sun, no holiday
    assert [cal.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


def test_holiday_lookups_are_computed_once_per_year():
    assert national_days_off(2026) is national_days_off(2026)


def test_calendar_knows_whether_a_year_has_its_cuti_bersama_yet():
    assert cuti_bersama_published(2026)
    assert not cuti_bersama_published(2100)


# --- year end ------------------------------------------------------------------------------


def test_year_end_2025_skips_christmas_its_cuti_bersama_and_new_year(cal):
    assert working_days(cal, D("2025-12-24"), D("2026-01-02")) == [
        D("2025-12-24"), D("2025-12-29"), D("2025-12-30"), D("2025-12-31"), D("2026-01-02"),
    ]
    assert cal.add_working_days(D("2025-12-24"), 1) == D("2025-12-29")
    assert cal.add_working_days(D("2025-12-24"), 4) == D("2026-01-02")


def test_year_end_2026_sla_5_from_23_december_is_due_4_january_2027(cal):
    assert working_days(cal, D("2026-12-23"), D("2027-01-04")) == [
        D("2026-12-23"), D("2026-12-28"), D("2026-12-29"), D("2026-12-30"), D("2026-12-31"), D("2027-01-04"),
    ]
    assert cal.add_working_days(D("2026-12-23"), 5) == D("2027-01-04")
    assert cal.working_days_between(D("2026-12-23"), D("2027-01-04")) == 5


def test_file_complete_on_cuti_bersama_starts_its_clock_on_the_next_working_day(cal):
    assert cal.add_working_days(D("2026-12-24"), 0) == D("2026-12-28")
    assert cal.add_working_days(D("2026-12-24"), 1) == D("2026-12-29")


# --- Idul Fitri 2026 -----------------------------------------------------------------------


def test_idul_fitri_2026_falls_on_21_and_22_march_in_the_installed_calendar():
    days = national_days_off(2026)
    assert days[D("2026-03-21")] == "Hari Raya Idul Fitri"
    assert days[D("2026-03-22")] == "Hari kedua dari Hari Raya Idul Fitri"


def test_idul_fitri_2026_with_nyepi_closes_offices_from_18_to_24_march(cal):
    assert working_days(cal, D("2026-03-16"), D("2026-03-27")) == [
        D("2026-03-16"), D("2026-03-17"), D("2026-03-25"), D("2026-03-26"), D("2026-03-27"),
    ]
    assert cal.add_working_days(D("2026-03-17"), 1) == D("2026-03-25")
    assert cal.working_days_between(D("2026-03-17"), D("2026-03-24")) == 0


# --- the counting rule ---------------------------------------------------------------------


def test_file_complete_on_friday_with_sla_1_is_due_monday(cal):
    assert cal.add_working_days(D("2026-01-09"), 1) == D("2026-01-12")


def test_file_complete_on_saturday_counts_monday_as_day_0(cal):
    assert cal.add_working_days(D("2026-01-10"), 0) == D("2026-01-12")
    assert cal.add_working_days(D("2026-01-10"), 1) == D("2026-01-13")
    assert cal.working_days_between(D("2026-01-10"), D("2026-01-12")) == 0
    assert cal.working_days_between(D("2026-01-10"), D("2026-01-13")) == 1


def test_sla_0_on_a_working_day_is_due_the_same_day(cal):
    assert cal.add_working_days(D("2026-01-08"), 0) == D("2026-01-08")
    assert cal.working_days_between(D("2026-01-08"), D("2026-01-08")) == 0


def test_next_working_day_is_strictly_after_the_given_day(cal):
    assert cal.next_working_day(D("2026-01-08")) == D("2026-01-09")
    assert cal.next_working_day(D("2026-01-09")) == D("2026-01-12")
    assert cal.next_working_day(D("2026-12-23")) == D("2026-12-28")


def test_working_days_between_is_0_when_the_end_is_not_after_the_start(cal):
    assert cal.working_days_between(D("2026-01-12"), D("2026-01-12")) == 0
    assert cal.working_days_between(D("2026-01-12"), D("2026-01-05")) == 0


def test_negative_sla_is_refused(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-01-12"), -1)
    with pytest.raises(ValueError):
        cal.sla_due_date(D("2026-01-12"), -1, [])


# --- region days ---------------------------------------------------------------------------


def test_a_region_closed_day_is_skipped_only_in_that_region(cal):
    closed = Calendar(RegionDays(closed={D("2026-12-18")}))
    assert not closed.is_working_day(D("2026-12-18"))
    assert closed.add_working_days(D("2026-12-17"), 1) == D("2026-12-21")
    assert cal.add_working_days(D("2026-12-17"), 1) == D("2026-12-18")


def test_a_region_extra_open_saturday_counts_as_a_working_day():
    open_saturday = Calendar(RegionDays(open={D("2026-01-10")}))
    assert open_saturday.is_working_day(D("2026-01-10"))
    assert open_saturday.add_working_days(D("2026-01-09"), 1) == D("2026-01-10")
    assert open_saturday.add_working_days(D("2026-01-09"), 2) == D("2026-01-12")
    assert not open_saturday.is_working_day(D("2026-01-17"))


def test_a_region_may_open_on_cuti_bersama():
    serving = Calendar(RegionDays(open={D("2026-12-24")}))
    assert serving.add_working_days(D("2026-12-23"), 1) == D("2026-12-24")


def test_a_day_both_closed_and_open_is_refused_and_named():
    with pytest.raises(RegionDayConflict) as err:
        RegionDays(closed={D("2026-05-04"), D("2026-05-05")}, open={D("2026-05-05")})
    assert err.value.details == {"dates": ["2026-05-05"]}


# --- invariants ----------------------------------------------------------------------------

CALENDARS = {
    "national": Calendar(),
    "region": Calendar(RegionDays(closed={D("2026-04-06"), D("2026-10-30")}, open={D("2026-03-21"), D("2026-08-15")})),
}


@pytest.mark.parametrize("name", CALENDARS)
def test_due_date_is_the_first_working_day_where_the_count_reaches_n_for_every_start_in_2026(name):
    cal = CALENDARS[name]
    for s in (D("2026-01-01") + timedelta(k) for k in range(365)):
        assert cal.add_working_days(s, 0) == cal.working_day_on_or_after(s)
        for n in range(11):
            due = cal.add_working_days(s, n)
            assert cal.working_days_between(s, due) == n, (s, n)
            assert cal.is_working_day(due), (s, n)
            if n > 0:
                assert cal.working_days_between(s, due - timedelta(1)) == n - 1, (s, n)


# --- pauses --------------------------------------------------------------------------------


def test_without_pauses_elapsed_is_working_days_between(cal):
    # 23, 28, 29, 30, 31 December, 4 and 6 January: 5 January 2027 is Isra Mikraj
    assert cal.sla_elapsed(D("2026-12-22"), [], D("2027-01-06")) == cal.working_days_between(D("2026-12-22"), D("2027-01-06")) == 7


def test_clock_counts_the_day_it_stops_and_resumes_the_day_after_resubmission(cal):
    started, pauses = D("2026-03-02"), [(D("2026-03-04"), D("2026-03-09"))]
    assert cal.sla_elapsed(started, pauses, D("2026-03-04")) == 2
    assert cal.sla_elapsed(started, pauses, D("2026-03-06")) == 2
    assert cal.sla_elapsed(started, pauses, D("2026-03-09")) == 2
    assert cal.sla_elapsed(started, pauses, D("2026-03-10")) == 3
    assert cal.sla_due_date(started, 3, pauses) == D("2026-03-10")


def test_pause_over_christmas_does_not_take_the_holidays_off_twice(cal):
    started, pauses = D("2026-12-22"), [(D("2026-12-23"), D("2026-12-29"))]
    assert cal.sla_elapsed(started, [], D("2026-12-31")) == 5
    assert cal.sla_elapsed(started, pauses, D("2026-12-31")) == 3  # 23, 30 and 31 December


def test_resubmission_on_a_day_off_resumes_counting_after_the_next_working_day(cal):
    started, pauses = D("2026-01-05"), [(D("2026-01-06"), D("2026-01-10"))]  # resubmitted Saturday
    assert cal.sla_elapsed(started, pauses, D("2026-01-12")) == 1
    assert cal.sla_elapsed(started, pauses, D("2026-01-13")) == 2


def test_open_pause_stops_the_clock_and_leaves_no_due_date(cal):
    started, pauses = D("2026-03-02"), [(D("2026-03-04"), None)]
    assert cal.sla_elapsed(started, pauses, D("2026-04-30")) == 2
    assert cal.sla_due_date(started, 5, pauses) is None
    assert cal.sla_due_date(started, 2, pauses) == D("2026-03-04")


def test_overlapping_pauses_take_each_day_off_once(cal):
    started = D("2026-07-06")
    one = [(D("2026-07-07"), D("2026-07-14"))]
    overlapping = [(D("2026-07-07"), D("2026-07-10")), (D("2026-07-09"), D("2026-07-14"))]
    today = D("2026-07-17")
    assert cal.sla_elapsed(started, overlapping, today) == cal.sla_elapsed(started, one, today) == 4  # 7, 15, 16, 17


def test_pause_that_resumes_before_it_stops_is_refused(cal):
    with pytest.raises(PauseOutOfOrder):
        cal.sla_elapsed(D("2026-03-02"), [(D("2026-03-09"), D("2026-03-04"))], D("2026-03-10"))


def test_sla_0_is_due_on_day_0_and_nothing_has_elapsed_then(cal):
    assert cal.sla_due_date(D("2026-01-10"), 0, []) == D("2026-01-12")
    assert cal.sla_elapsed(D("2026-01-10"), [], D("2026-01-12")) == 0
    assert cal.sla_elapsed(D("2026-01-12"), [], D("2026-01-01")) == 0


@pytest.mark.parametrize(
    "pauses",
    [
        [],
        [(D("2026-03-17"), D("2026-03-26"))],
        [(D("2026-05-13"), D("2026-05-16")), (D("2026-05-20"), D("2026-05-20"))],
        [(D("2026-12-23"), D("2027-01-02"))],
    ],
)
def test_elapsed_reaches_n_exactly_on_the_due_date_with_pauses(cal, pauses):
    for s in (D("2026-03-01") + timedelta(k) for k in range(0, 306, 3)):
        for n in range(11):
            due = cal.sla_due_date(s, n, pauses)
            assert cal.sla_elapsed(s, pauses, due) == n, (s, n)
            if n > 0:
                assert cal.sla_elapsed(s, pauses, due - timedelta(1)) == n - 1, (s, n)
