"""A person's access history counts visits, not requests: opening an application with its photos is one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from server.audit.access import fold_visits

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


@dataclass
class Entry:
    action: str
    at: datetime
    application_id: int = 1
    actor_role: str = "agency_operator"
    actor_agency_name: str = "DPMPTSP"


def newest_first(*entries):
    return sorted(entries, key=lambda e: e.at, reverse=True)


def test_four_page_views_with_their_photos_are_four_lines_not_eleven():
    entries = []
    for visit in range(4):
        start = T0 + timedelta(hours=visit)
        entries.append(Entry("view", start))
        entries += [Entry("view_file", start + timedelta(seconds=s)) for s in (1, 2)] if visit < 3 else [Entry("view_file", start + timedelta(seconds=1))]
    assert len(entries) == 11
    visits = fold_visits(newest_first(*entries))
    assert len(visits) == 4
    assert all(v.action == "view" and v.views == 1 for v in visits)
    assert [v.files for v in visits] == [1, 2, 2, 2]


def test_an_action_keeps_its_own_line_and_other_agencies_are_not_folded_together():
    visits = fold_visits(newest_first(
        Entry("view", T0), Entry("request_revision", T0 + timedelta(minutes=1)),
        Entry("view", T0 + timedelta(minutes=2), actor_agency_name="Dinas Kesehatan"),
        Entry("view", T0 + timedelta(minutes=3))))
    assert [(v.action, v.first.actor_agency_name, v.views) for v in visits] == [
        ("view", "DPMPTSP", 2), ("view", "Dinas Kesehatan", 1), ("request_revision", "DPMPTSP", 0)]


def test_views_further_apart_than_a_visit_are_separate_lines():
    visits = fold_visits(newest_first(Entry("view", T0), Entry("view", T0 + timedelta(hours=2))))
    assert len(visits) == 2
