"""Carrying out one workflow action on a stored application, in the caller's transaction.

`workflow.decide` says what an action does; `act` writes it: the application's state and
current step (a conditional update, so a resubmission or another operator's action committed
meanwhile makes this one refuse instead of overwriting it), the steps closed and opened, the
event the person sees and the outbox row that publishes it (`sync.tracking.record`), the SLA
due date, and the audit entry. Operators, the person (withdraw) and the system (automatic
issuance, completion) all come through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from server.applications import workflow
from server.audit import log as audit
from sync.drafts import userdb_name
from sync.ingest import Rules
from sync.models import Application, ApplicationEvent, WorkflowStep
from sync.tracking import TransitionRefused, record

DECIDED = ("approved", "rejected", "withdrawn")


@dataclass(frozen=True)
class Acting:
    """Who acts, for the workflow (kind, agency) and for the records (account, role, names)."""

    kind: str  # operator | citizen | system
    account_id: str  # "system" for the system
    role: str  # agency_operator | citizen | system | field_officer
    agency: str | None = None  # agency kind
    agency_name: str = ""
    display_name: str = ""

    @property
    def actor(self) -> workflow.Actor:
        return workflow.Actor(self.kind, self.agency)

    @property
    def audit_actor(self) -> audit.Actor:
        return audit.Actor(self.account_id, self.role, self.agency or "", self.agency_name)


SYSTEM = Acting("system", "system", "system")


async def steps_of(session: AsyncSession, application_id: int) -> list[WorkflowStep]:
    return list(await session.exec(select(WorkflowStep).where(WorkflowStep.application_id == application_id)
                                   .order_by(col(WorkflowStep.position))))


def snapshot(app: Application, steps: list[WorkflowStep], *, sla_lapsed: bool = False) -> workflow.Snapshot:
    return workflow.Snapshot(
        state=app.state, step=app.step_position,
        steps=tuple(workflow.Step(s.position, s.step_id or f"tahap_{s.position + 1}", s.name, s.agency_kind, s.issues_output)
                    for s in steps),
        auto_issue=app.auto_issue, sla_lapsed=sla_lapsed)


def subject_of(app: Application) -> dict[str, Any]:
    """Whose data the application is, for the audit log: the person's account for their own
    application; for an assisted one the person's NIK hash (the account is the officer's)."""
    if app.applicant_kind == "assisted":
        return {"subject_account_id": None, "subject_nik_hash": app.applicant_nik_hash}
    return {"subject_account_id": app.account_id, "subject_nik_hash": app.applicant_nik_hash}


async def act(session: AsyncSession, app: Application, action: str, who: Acting, rules: Rules, *, note: str = "",
              notes: dict[str, Any] | None = None, legal_basis: str = "", rule: str = "", sla_lapsed: bool = False,
              purpose: str = "", now: datetime | None = None) -> workflow.Outcome:
    """Carry out `action` on `app` (read in this transaction); raises a WorkflowError or
    TransitionRefused (someone else changed it first). The caller commits."""
    steps = await steps_of(session, app.id)
    outcome = workflow.decide(snapshot(app, steps, sla_lapsed=sla_lapsed), action, who.actor, note=note, notes=notes,
                              legal_basis=legal_basis, rule=rule)
    now = now or utcnow()
    by_position = {s.position: s for s in steps}
    current = by_position.get(outcome.step) if outcome.step is not None else None
    values: dict[str, Any] = {"state": outcome.state, "step_position": outcome.step,
                              "step_agency": current.agency_kind if current else None, "updated_at": now}
    if outcome.state in DECIDED:
        values["decided_at"] = now
    same_step = app.step_position
    guard = [Application.id == app.id, Application.state == outcome.old]
    guard.append(col(Application.step_position).is_(None) if same_step is None else Application.step_position == same_step)
    result = await session.exec(update(Application).where(*guard).values(**values)  # type: ignore[call-overload]
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise TransitionRefused(current="changed", requested=outcome.state)
    for name, value in values.items():
        setattr(app, name, value)

    if outcome.closes is not None:
        await session.exec(update(WorkflowStep).where(  # type: ignore[call-overload]
            WorkflowStep.application_id == app.id, WorkflowStep.position == outcome.closes)
            .values(state="done", closed_at=now, done_by=who.account_id).execution_options(synchronize_session=False))
    if outcome.action in ("auto_issue", "reject", "withdraw"):  # later steps will not happen
        skipped = update(WorkflowStep).where(WorkflowStep.application_id == app.id, col(WorkflowStep.state) != "done")
        if outcome.opens is not None:
            skipped = skipped.where(WorkflowStep.position != outcome.opens)
        await session.exec(skipped.values(state="skipped", closed_at=now)  # type: ignore[call-overload]
                           .execution_options(synchronize_session=False))
    if outcome.opens is not None:
        await session.exec(update(WorkflowStep).where(  # type: ignore[call-overload]
            WorkflowStep.application_id == app.id, WorkflowStep.position == outcome.opens)
            .values(state="open", opened_at=now, closed_at=None).execution_options(synchronize_session=False))

    event = record(session, app, userdb_name(app.account_id), outcome.state, outcome.note, who.account_id, at=now,
                   action=outcome.action, actor_role=who.role, actor_agency=who.agency or "",
                   step_position=outcome.closes if outcome.closes is not None else outcome.step, details=outcome.details)
    if outcome.state in ("needs_revision", "in_review", "approved", "rejected", "withdrawn"):
        events = list(await session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                         .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))))
        if all(e.id != event.id for e in events):
            events.append(event)
        due = await rules.due_date(session, app, events)
        if due != app.due_date:
            app.due_date = due
            await session.exec(update(Application).where(Application.id == app.id).values(due_date=due)  # type: ignore[call-overload]
                               .execution_options(synchronize_session=False))

    details: dict[str, Any] = {"from": outcome.old, "to": outcome.state}
    if outcome.closes is not None:
        details["step_done"] = outcome.closes + 1
    if outcome.opens is not None:
        details["step_opened"] = outcome.opens + 1
    if outcome.details.get("notes"):
        details["notes_on"] = sorted(outcome.details["notes"])  # which fields, not what was written
    if rule:
        details["rule"] = rule
    await audit.append(session, who.audit_actor, outcome.action, region_code=app.region_code, application_id=app.id,
                       purpose=purpose or workflow.ACTION_LABELS.get(outcome.action, outcome.action), details=details, at=now,
                       **subject_of(app))
    return outcome
