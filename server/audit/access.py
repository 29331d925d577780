"""What a person is shown of who accessed their data: one line per time someone opened their
application, not one per request. Opening an application's page also loads its photos, each an
audit entry of its own (`view_file`); for the person those are one visit. Views of the same
application by the same agency and role within VISIT of each other are folded into one line
that counts the views and the files opened. Every other action keeps its own line. The audit
log itself keeps every entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

VISIT = timedelta(minutes=15)
VIEWS = frozenset({"view", "view_file"})


@dataclass
class Visit:
    first: Any  # the newest entry of the visit (entries come newest first)
    views: int = 0
    files: int = 0
    earliest: datetime | None = None
    entries: list[Any] = field(default_factory=list)

    @property
    def action(self) -> str:
        """A visit that opened the application reads as that; files alone as opening files."""
        return "view" if self.views else self.first.action


def _key(entry: Any) -> tuple:
    return (entry.actor_role, entry.actor_agency_name, entry.application_id)


def fold_visits(entries: Sequence[Any]) -> list[Visit]:
    """Entries (newest first) as visits, newest first; a non-view entry is a visit of its own."""
    visits: list[Visit] = []
    open_by_key: dict[tuple, Visit] = {}
    for entry in entries:
        if entry.action not in VIEWS:
            visits.append(Visit(first=entry, entries=[entry], earliest=entry.at))
            continue
        visit = open_by_key.get(_key(entry))
        if visit is None or visit.earliest - entry.at > VISIT:
            visit = Visit(first=entry, earliest=entry.at)
            open_by_key[_key(entry)] = visit
            visits.append(visit)
        visit.entries.append(entry)
        visit.earliest = entry.at
        if entry.action == "view":
            visit.views += 1
        else:
            visit.files += 1
    return visits
