"""The application's state machine: pure rules, no database, no clock.

    waiting_for_files → received → in_review (step k of n) → needs_revision → resubmitted → …
                                             → approved → completed (output issued)
                                             → rejected (reason and legal basis)
    anything before a decision → withdrawn (by the person)

A service version lists its steps (`steps[]` of the standar pelayanan), each owned by an agency
kind; the step that issues the output (`issues_output`, e.g. "Penerbitan SIP") is done by the
system once the application is approved. An operator acts only on the step their agency owns:
passing it on hands the application to the next step's agency, approving is allowed at the last
step before issuance. The SLA clock (server.applications.sla) stops in needs_revision.

`decide(snapshot, action, actor, …)` returns the `Outcome` the service writes, or raises a
`WorkflowError` whose details are safe to show. The service stores who, when and the note of
every outcome (`ApplicationEvent`) and writes the audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.tracking import ApplicationError

# the agency has work to do: the SLA clock runs
OPEN_STATES = frozenset({"received", "in_review", "resubmitted"})
# the person may still withdraw: nothing has been decided yet
BEFORE_DECISION = frozenset({"waiting_for_files", "received", "in_review", "needs_revision", "resubmitted"})
FINAL_STATES = frozenset({"completed", "rejected", "withdrawn"})
STATES = ("waiting_for_files", "received", "in_review", "needs_revision", "resubmitted", "approved", "completed", "rejected",
          "withdrawn")

# what an operator may do (the form's buttons), the person, and the system
OPERATOR_ACTIONS = ("start_review", "request_revision", "pass_on", "approve", "reject")
CITIZEN_ACTIONS = ("resubmit", "withdraw")
SYSTEM_ACTIONS = ("auto_issue", "complete")
ACTIONS = OPERATOR_ACTIONS + CITIZEN_ACTIONS + SYSTEM_ACTIONS

MAX_NOTE = 500

STATE_LABELS = {
    "waiting_for_files": "Menunggu berkas",
    "received": "Diterima",
    "in_review": "Diperiksa",
    "needs_revision": "Perlu perbaikan",
    "resubmitted": "Perbaikan dikirim",
    "approved": "Disetujui",
    "completed": "Selesai",
    "rejected": "Ditolak",
    "withdrawn": "Dibatalkan pemohon",
}
ACTION_LABELS = {
    "start_review": "Mulai periksa",
    "request_revision": "Minta perbaikan",
    "pass_on": "Teruskan ke tahap berikutnya",
    "approve": "Setujui",
    "reject": "Tolak",
    "resubmit": "Kirim perbaikan",
    "withdraw": "Batalkan permohonan",
    "auto_issue": "Terbit otomatis (batas waktu layanan terlampaui)",
    "complete": "Dokumen hasil diterbitkan",
}


class WorkflowError(ApplicationError):
    """An action the workflow does not allow now; details name the state and action, never data."""


class ActionNotAllowed(WorkflowError):
    """This action cannot be taken in the application's current state (or at its current step)."""


class NotYourStep(WorkflowError):
    """The current step belongs to another agency: only that agency's operators act on it."""


class NoteRequired(WorkflowError):
    """Asking for a revision needs at least one note saying what to fix."""


class ReasonRequired(WorkflowError):
    """A rejection needs the reason and its legal basis."""


@dataclass(frozen=True)
class Step:
    position: int  # 0-based
    id: str
    name: str
    agency: str  # agency kind
    issues_output: bool = False


def steps_of(content_steps: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """The steps of a service version's content; the issuing step is the one so flagged, or
    else a last step named `penerbitan` (the seed's convention)."""
    steps = []
    for position, raw in enumerate(content_steps):
        sid = str(raw.get("id") or f"tahap_{position + 1}")
        flagged = raw.get("issues_output")
        issues = bool(flagged) if flagged is not None else (sid == "penerbitan" and position == len(content_steps) - 1)
        steps.append(Step(position, sid, str(raw.get("name_id") or sid), str(raw.get("agency") or ""), issues))
    return tuple(steps)


@dataclass(frozen=True)
class Snapshot:
    """What the machine needs to know about an application."""

    state: str
    step: int | None  # position of the current step (None: no step open yet, or all done)
    steps: tuple[Step, ...]
    auto_issue: bool = False  # the service issues on its own when the SLA lapses (SIP, day 5)
    sla_lapsed: bool = False  # computed by the caller from the SLA clock

    @property
    def decision_step(self) -> int:
        """The last step before the issuing one (or the last step): where approval is given."""
        positions = [s.position for s in self.steps if not s.issues_output]
        return positions[-1] if positions else 0

    @property
    def issuing_step(self) -> Step | None:
        return next((s for s in self.steps if s.issues_output), None)

    def current(self) -> Step | None:
        if self.step is None or not (0 <= self.step < len(self.steps)):
            return None
        return self.steps[self.step]


@dataclass(frozen=True)
class Actor:
    kind: str  # "operator" | "citizen" | "system"
    agency: str | None = None  # an operator's agency kind


SYSTEM = Actor("system")
CITIZEN = Actor("citizen")


@dataclass(frozen=True)
class Outcome:
    action: str
    old: str
    state: str
    step: int | None  # the current step afterwards
    closes: int | None = None  # the step marked done
    opens: int | None = None  # the step opened
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # notes per field/requirement, reason, legal basis, rule


def _clean_notes(notes: Mapping[str, Any] | None) -> dict[str, str]:
    out = {}
    for key, text in (notes or {}).items():
        text = str(text or "").strip()
        if text:
            out[str(key)[:80]] = text[:MAX_NOTE]
    return out


def available(snapshot: Snapshot, actor: Actor) -> list[str]:
    """The actions `actor` may take now (what the page offers)."""
    found = []
    for action in ACTIONS:
        try:
            _check(snapshot, action, actor)
        except WorkflowError:
            continue
        found.append(action)
    return found


def _refuse(snapshot: Snapshot, action: str) -> ActionNotAllowed:
    return ActionNotAllowed(current=snapshot.state, action=action, state_label=STATE_LABELS.get(snapshot.state, snapshot.state),
                            action_label=ACTION_LABELS.get(action, action))


def _check(snapshot: Snapshot, action: str, actor: Actor) -> None:
    if action not in ACTIONS:
        raise _refuse(snapshot, action)
    allowed_kind = "operator" if action in OPERATOR_ACTIONS else "citizen" if action in CITIZEN_ACTIONS else "system"
    if actor.kind != allowed_kind:
        raise _refuse(snapshot, action)
    state = snapshot.state
    if action in OPERATOR_ACTIONS:
        if state not in OPEN_STATES:
            raise _refuse(snapshot, action)
        step = snapshot.current()
        if step is None:
            raise _refuse(snapshot, action)
        if step.agency != actor.agency:
            raise NotYourStep(step=step.position + 1, action=action)
        if action == "start_review" and state == "in_review":
            raise _refuse(snapshot, action)
        if action == "pass_on" and snapshot.step >= snapshot.decision_step:
            raise _refuse(snapshot, action)
        if action == "approve" and snapshot.step != snapshot.decision_step:
            raise _refuse(snapshot, action)
    elif action == "resubmit":
        if state != "needs_revision":
            raise _refuse(snapshot, action)
    elif action == "withdraw":
        if state not in BEFORE_DECISION:
            raise _refuse(snapshot, action)
    elif action == "auto_issue":
        if state not in OPEN_STATES or not snapshot.auto_issue or not snapshot.sla_lapsed:
            raise _refuse(snapshot, action)
    elif action == "complete":
        if state != "approved":
            raise _refuse(snapshot, action)


def decide(snapshot: Snapshot, action: str, actor: Actor, *, note: str = "", notes: Mapping[str, Any] | None = None,
           legal_basis: str = "", rule: str = "") -> Outcome:
    """The outcome of `action` by `actor` on an application in `snapshot`, or a WorkflowError."""
    _check(snapshot, action, actor)
    note = (note or "").strip()[:MAX_NOTE]
    state, step = snapshot.state, snapshot.step
    if action == "start_review":
        return Outcome(action, state, "in_review", step, note=note)
    if action == "request_revision":
        cleaned = _clean_notes(notes)
        if not note and not cleaned:
            raise NoteRequired(action=action)
        return Outcome(action, state, "needs_revision", step, note=note or "; ".join(cleaned.values())[:MAX_NOTE],
                       details={"notes": cleaned})
    if action == "resubmit":
        return Outcome(action, state, "resubmitted", step, note=note or "Perbaikan diterima.")
    if action == "pass_on":
        nxt = step + 1
        return Outcome(action, state, "in_review", nxt, closes=step, opens=nxt, note=note)
    if action in ("approve", "auto_issue"):
        issuing = snapshot.issuing_step
        closes = step if action == "approve" else None
        if action == "auto_issue":  # every step still open is overtaken by the rule
            closes = step
        details = {"rule": rule} if action == "auto_issue" else {}
        return Outcome(action, state, "approved", issuing.position if issuing else None, closes=closes,
                       opens=issuing.position if issuing else None, note=note, details=details)
    if action == "reject":
        basis = (legal_basis or "").strip()[:MAX_NOTE]
        if not note or not basis:
            raise ReasonRequired(action=action, missing="reason" if not note else "legal_basis")
        return Outcome(action, state, "rejected", None, closes=step, note=note, details={"legal_basis": basis})
    if action == "withdraw":
        return Outcome(action, state, "withdrawn", None, closes=step, note=note or "Dibatalkan oleh pemohon.")
    # complete: the issuing step (if any) is done
    issuing = snapshot.issuing_step
    return Outcome(action, state, "completed", None, closes=issuing.position if issuing else None, note=note)
