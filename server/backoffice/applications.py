"""The agency operator's back office: the queue of their agency and one application's page.

`/backoffice/wilayah/{code}/antrian` lists what waits for the operator's agency in the region,
riskiest SLA first; `/permohonan/{tracking}` shows one application (the person, the answers, the
files, the requirement checklist, the actions the workflow allows now, the SLA, the steps and
the history) to an operator whose agency owns a step of it — "not found" to anyone else. Every
view, file opened, verdict and action writes an audit entry. Pages are server-rendered, work
without JavaScript and every form carries the CSRF token; a refused action comes back as the
page with the reason and the operator's input kept, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Stream, Template
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account
from server.accounts.guards import current_identity
from server.applications import checklist, queries, transitions, workflow
from server.applications.service import ROLE_LABELS, ApplicationService, find, operator
from server.applications.sla import sla_view
from server.applications.transitions import Acting
from server.audit import log as audit
from server.backoffice.catalog_admin import tanggal
from server.catalog.formspec import MONTHS
from server.catalog.models import Agency, Region
from server.catalog.regiondays import RegionDayService, region_offset, region_today
from server.errors import lookup
from server.i18n import message
from sync.files import referenced_blobs
from sync.models import ApplicationEvent, Blob, RequirementCheck, WalletDocument
from sync.tracking import ApplicationError, ApplicationNotFound

SEE_OTHER = 303
OPERATOR = {"guard": "agency_operator"}  # the app-wide guard checks the grant is in the path's region
PURPOSE_VIEW = "Pemeriksaan permohonan"
ASSURANCE_LABELS = {"basic": "Identitas dasar (data cocok dengan Dukcapil)", "verified": "Terverifikasi tatap muka"}
STEP_STATE_LABELS = {"open": "Sedang diproses", "waiting": "Menunggu", "done": "Selesai", "skipped": "Tidak dilanjutkan"}
FILE_TYPES = ("photo", "document")
NOTE_PREFIX = "note__"


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def flash_text(ok: str | None) -> str | None:
    """The confirmation after a redirect; only known kinds, never text from the address."""
    if ok in workflow.OPERATOR_ACTIONS:
        return f"Tindakan “{workflow.ACTION_LABELS[ok]}” tersimpan dan dikabarkan kepada pemohon."
    if ok == "persyaratan":
        return "Hasil pemeriksaan persyaratan disimpan."
    return None


def flash_place(ok: str | None, requirement: str | None) -> str:
    """Where the confirmation shows: in the part of the page the redirect lands on."""
    if ok == "persyaratan" and requirement:
        return f"syarat-{requirement}"
    return "tindakan"


def revision_labels(answers: list[dict[str, Any]], requirements: list[dict[str, Any]]) -> dict[str, str]:
    """The fields and requirements an operator may write a revision note on, each once: a
    requirement whose document is one of the answers is noted on that answer."""
    covered = {a["requirement"] for a in answers if a.get("requirement")}
    return {a["id"]: a["label"] for a in answers} | {f"req:{r['id']}": r["label"] for r in requirements if r["id"] not in covered}


def waktu(at: datetime | None, offset: timezone) -> str:
    """`12 Januari 2026 14.05 WIB`, at the region's offices."""
    if at is None:
        return "—"
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=timezone.utc)
    local = at.astimezone(offset)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M} {offset.tzname(None)}"


def tgl(d: date | None) -> str:
    return tanggal(d) if d else "—"


async def acting_operator(request: Request, session: AsyncSession, code: str) -> Acting:
    """The signed-in operator as their agency in region `code` (403 for a grant without an agency)."""
    return await operator(session, await current_identity(request), code)


class ActionForm:
    """What the operator typed into an action form, kept to show again when the action is refused."""

    def __init__(self, data: Mapping[str, Any] | None = None):
        data = data or {}
        self.action = _text(data, "action")
        self.note = _text(data, "note")
        self.legal_basis = _text(data, "legal_basis")
        self.notes = {k[len(NOTE_PREFIX):]: _text(data, k) for k in data if k.startswith(NOTE_PREFIX) and _text(data, k)}

    def value(self, action: str, key: str) -> str:
        """A field's kept value, only in the form of the action that was sent."""
        if action != self.action:
            return ""
        if key == "note":
            return self.note
        if key == "legal_basis":
            return self.legal_basis
        return self.notes.get(key, "")


class ApplicationsOffice(Controller):
    """Agency operator: `/backoffice/wilayah/{code}/antrian` and `/permohonan/{tracking}`."""

    path = "/backoffice/wilayah/{code:str}"
    opt = OPERATOR
    include_in_schema = False

    # -- the queue

    @get("/antrian")
    async def queue_page(self, request: Request, code: FromPath[str], db_session: NamedDependency[AsyncSession],
                         layanan: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
                         sla: FromQuery[str | None] = None, halaman: FromQuery[int | None] = None) -> Template:
        acting = await acting_operator(request, db_session, code)
        region = await db_session.get(Region, code)
        filt = queries.QueueFilter.of(layanan, status, sla, halaman)
        today = region_today(region)
        calendar = await RegionDayService(db_session).calendar(code)
        page = await queries.queue(db_session, code, acting.agency, filt, today=today, calendar=calendar)
        base = f"/backoffice/wilayah/{code}/antrian"
        return Template("backoffice/applications/queue.html.j2", context={
            "region": region, "acting": acting, "page": page, "filt": filt, "today": today, "tgl": tgl,
            "waktu": lambda at: waktu(at, region_offset(region.province_code)), "state_labels": workflow.STATE_LABELS,
            "queue_states": queries.QUEUE_STATES, "sla_filters": queries.SLA_FILTERS,
            "prev_url": base + "?" + urlencode(filt.query(filt.page - 1)) if filt.page > 1 else None,
            "next_url": base + "?" + urlencode(filt.query(filt.page + 1)) if page.has_next else None,
            "count_url": lambda state: base + "?" + urlencode({"status": state}), "late_url": base + "?sla=lewat",
            "section": "antrian"})

    # -- one application

    @get("/permohonan/{tracking_number:str}")
    async def application_page(self, request: Request, code: FromPath[str], tracking_number: FromPath[str],
                               db_session: NamedDependency[AsyncSession], ok: FromQuery[str | None] = None,
                               syarat: FromQuery[str | None] = None) -> Template:
        acting = await acting_operator(request, db_session, code)
        return await self._page(db_session, code, tracking_number, acting, flash=flash_text(ok), flash_at=flash_place(ok, syarat))

    @post("/permohonan/{tracking_number:str}/tindakan")
    async def act(self, request: Request, code: FromPath[str], tracking_number: FromPath[str],
                  db_session: NamedDependency[AsyncSession], data: URLEncodedBody[dict[str, Any]]) -> Redirect | Template:
        acting = await acting_operator(request, db_session, code)
        app = await find(db_session, code, tracking_number)
        await queries.require_visible(db_session, app, acting.agency)
        form = ActionForm(data)
        try:
            await ApplicationService(db_session, request.app.state.rules).act(
                code, tracking_number, form.action, await current_identity(request), note=form.note, notes=form.notes,
                legal_basis=form.legal_basis)
        except (workflow.WorkflowError, ApplicationError) as refused:
            if isinstance(refused, ApplicationNotFound):
                raise
            await db_session.rollback()
            return await self._refused(db_session, code, tracking_number, acting, refused, form=form)
        return Redirect(f"/backoffice/wilayah/{code}/permohonan/{tracking_number}?ok={form.action}#tindakan", status_code=SEE_OTHER)

    @post("/permohonan/{tracking_number:str}/persyaratan/{requirement_id:str}")
    async def check(self, request: Request, code: FromPath[str], tracking_number: FromPath[str], requirement_id: FromPath[str],
                    db_session: NamedDependency[AsyncSession], data: URLEncodedBody[dict[str, Any]]) -> Redirect | Template:
        acting = await acting_operator(request, db_session, code)
        app = await find(db_session, code, tracking_number)
        await queries.require_visible(db_session, app, acting.agency)
        region = await db_session.get(Region, code)
        try:
            await checklist.check_requirement(db_session, app, requirement_id, _text(data, "verdict"), _text(data, "note"), acting,
                                              today=region_today(region))
        except (checklist.VerdictInvalid, checklist.RequirementNotApplicable) as refused:
            await db_session.rollback()
            kept = {"requirement": requirement_id, "verdict": _text(data, "verdict"), "note": _text(data, "note")}
            return await self._page(db_session, code, tracking_number, acting, error=refused.message, error_at=f"syarat-{requirement_id}",
                                    check_form=kept, status_code=400)
        await db_session.commit()
        return Redirect(f"/backoffice/wilayah/{code}/permohonan/{tracking_number}?ok=persyaratan&syarat={requirement_id}#syarat-{requirement_id}",
                        status_code=SEE_OTHER)

    @get("/permohonan/{tracking_number:str}/berkas/{sha256:str}")
    async def file(self, request: Request, code: FromPath[str], tracking_number: FromPath[str], sha256: FromPath[str],
                   db_session: NamedDependency[AsyncSession]) -> Stream:
        acting = await acting_operator(request, db_session, code)
        app = await find(db_session, code, tracking_number)
        await queries.require_visible(db_session, app, acting.agency)
        store = request.app.state.blobs
        blob = await db_session.get(Blob, sha256) if sha256 in referenced_blobs(app.values, app.applicant) else None
        if blob is None or not store.exists(sha256):
            raise ApplicationNotFound(tracking_number=tracking_number)
        await audit.append(db_session, acting.audit_actor, "view_file", region_code=code, application_id=app.id,
                           purpose="Pemeriksaan berkas permohonan", details={"sha256": sha256}, **transitions.subject_of(app))
        await db_session.commit()
        return Stream(store.iter_bytes(sha256), media_type=blob.mime, headers={
            "Cache-Control": "private, no-store", "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff",
            "Content-Length": str(blob.size)})

    # -- rendering

    async def _refused(self, session: AsyncSession, code: str, tracking_number: str, acting: Acting, refused: Exception,
                       form: ActionForm) -> Template:
        spec = lookup(refused)
        status, text = (spec.status, message(spec.code, "id", **getattr(refused, "details", {}))) if spec else (
            400, "Tindakan tidak dapat dilakukan. Muat ulang permohonan, lalu pilih tindakan yang tersedia.")
        return await self._page(session, code, tracking_number, acting, error=text, error_at="tindakan", form=form, status_code=status)

    async def _page(self, session: AsyncSession, code: str, tracking_number: str, acting: Acting, *, flash: str | None = None,
                    flash_at: str = "tindakan", error: str | None = None, error_at: str = "", form: ActionForm | None = None,
                    check_form: Mapping[str, str] | None = None, status_code: int = 200) -> Template:
        app = await find(session, code, tracking_number)
        await queries.require_visible(session, app, acting.agency)
        region = await session.get(Region, code)
        offset = region_offset(region.province_code)
        today = region_today(region)
        content = await checklist.version_content(session, app)
        steps = await transitions.steps_of(session, app.id)
        events = list(await session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                         .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))))
        checks = {c.requirement_id: c for c in await session.exec(select(RequirementCheck).where(RequirementCheck.application_id == app.id))}
        agencies = {a.kind: a.name for a in await session.exec(select(Agency).where(Agency.region_code == code))}
        people = {app.account_id, app.filed_by, *(e.by for e in events), *(c.by for c in checks.values()), *(s.done_by for s in steps)}
        names = {a.id: a for a in await session.exec(select(Account).where(col(Account.id).in_({p for p in people if p})))}
        shas = referenced_blobs(app.values, app.applicant)
        blobs = {b.sha256: b for b in await session.exec(select(Blob).where(col(Blob.sha256).in_(shas)))} if shas else {}
        wallet = {}
        if app.applicant_nik_hash and shas:
            wallet = {w.sha256: w for w in await session.exec(select(WalletDocument).where(
                WalletDocument.nik_hash == app.applicant_nik_hash, col(WalletDocument.sha256).in_(shas)))}
        calendar = await RegionDayService(session).calendar(code)
        sla = sla_view(calendar, app.state, app.due_date, today)
        snapshot = transitions.snapshot(app, steps)
        actions = [a for a in workflow.available(snapshot, acting.actor) if a in workflow.OPERATOR_ACTIONS]
        current = snapshot.current()
        next_step = steps[app.step_position + 1] if app.step_position is not None and app.step_position + 1 < len(steps) else None
        base = f"/backoffice/wilayah/{code}/permohonan/{app.tracking_number}"

        def file_ref(value: Any, label: str) -> dict[str, Any] | None:
            if not (isinstance(value, Mapping) and isinstance(value.get("sha256"), str)):
                return None
            sha = value["sha256"]
            blob = blobs.get(sha)
            kept = wallet.get(sha)
            from_wallet = ""
            if kept is not None:
                from_wallet = (f"dari dompet dokumen, diverifikasi oleh {kept.verified_by_name or 'sistem'}"
                               f"{f' ({kept.verified_by_agency})' if kept.verified_by_agency else ''} pada {tgl(_day(kept.verified_at, offset))}")
            elif value.get("wallet"):
                from_wallet = "dari dompet dokumen"
            return {"label": label, "url": f"{base}/berkas/{sha}", "mime": (blob.mime if blob else value.get("mime") or ""),
                    "arrived": blob is not None, "size": blob.size if blob else value.get("size"), "wallet": from_wallet}

        answers, files = [], []
        for spec in content.get("form_fields") or ():
            if spec.get("id") not in app.values:
                continue
            value = app.values[spec["id"]]
            entry = {"id": spec["id"], "label": spec.get("label_id") or spec["id"], "text": "", "file": None,
                     "requirement": spec.get("requirement")}
            if spec.get("type") in FILE_TYPES:
                entry["file"] = file_ref(value, entry["label"])
                if entry["file"]:
                    files.append(entry["file"])
            elif spec.get("type") == "checkbox" and not spec.get("options"):
                entry["text"] = "Ya" if value else "Tidak"
            elif isinstance(value, list):
                entry["text"] = ", ".join(queries.option_label(spec, v) for v in value)
            elif spec.get("options"):
                entry["text"] = queries.option_label(spec, value)
            elif isinstance(value, Mapping):
                entry["text"] = ", ".join(str(v) for v in value.values() if v not in (None, ""))
            else:
                entry["text"] = str(value)
            answers.append(entry)

        applicant: dict[str, Any] = {"kind": app.applicant_kind}
        if app.applicant_kind == "assisted":
            data = app.applicant or {}
            check, consent = data.get("identity_check") or {}, data.get("consent") or {}
            officer = names.get(app.filed_by or "")
            applicant.update(name=data.get("name") or "—", birth_date=tgl(app.applicant_birth_date or _date(data.get("birth_date"))),
                             officer=officer.display_name if officer else "—",
                             check_place=check.get("place") or "—", check_at=_when(check.get("at"), offset),
                             check_photo=file_ref(check.get("photo"), "Foto KTP"),
                             consent_version=consent.get("version") or "—", consent_text=consent.get("text") or "",
                             consent_at=_when(consent.get("at"), offset),
                             consent_photo=file_ref(consent.get("photo") or consent.get("signature"), "Bukti persetujuan"))
            files += [f for f in (applicant["check_photo"], applicant["consent_photo"]) if f]
        else:
            owner = names.get(app.account_id)
            applicant.update(name=owner.display_name if owner else "—",
                             assurance=ASSURANCE_LABELS.get(owner.assurance, owner.assurance) if owner else "—")

        requirements = []
        for r in checklist.applicable(content, app.values, today):
            c = checks.get(r["id"])
            kept = check_form if check_form and check_form.get("requirement") == r["id"] else None
            document = checklist.document_of(content, app.values, r["id"])
            requirements.append({
                "id": r["id"], "label": r.get("label_id") or r["id"], "required": bool(r.get("required")), "source": r.get("source", ""),
                "verdict": c.verdict if c else "", "verdict_label": checklist.VERDICTS.get(c.verdict, c.verdict) if c else "Belum diperiksa",
                "note": c.note if c else "", "by": _name(names, c.by) if c else "", "at": waktu(c.at, offset) if c else "",
                "form_verdict": kept["verdict"] if kept else (c.verdict if c else ""), "form_note": kept["note"] if kept else (c.note if c else ""),
                "document": file_ref(document, r.get("label_id") or r["id"]) if document else None})

        history = [{"at": waktu(e.at, offset), "state": workflow.STATE_LABELS.get(e.state, e.state),
                    "action": workflow.ACTION_LABELS.get(e.action, "") if e.action else "",
                    "role": ROLE_LABELS.get(e.actor_role, e.actor_role) if e.actor_role else ("Sistem (otomatis)" if e.by == "system" else ""),
                    "agency": agencies.get(e.actor_agency, e.actor_agency), "by": _name(names, e.by) if e.actor_role != "citizen" else "",
                    "note": e.note, "notes": (e.details or {}).get("notes") or {}, "legal_basis": (e.details or {}).get("legal_basis", ""),
                    "rule": (e.details or {}).get("rule", "")} for e in events]
        step_rows = [{"n": s.position + 1, "name": s.name, "agency": agencies.get(s.agency_kind, s.agency_kind),
                      "mine": s.agency_kind == acting.agency, "state": STEP_STATE_LABELS.get(s.state, s.state),
                      "current": s.position == app.step_position and app.state in workflow.OPEN_STATES | {"needs_revision"},
                      "done_by": _name(names, s.done_by) if s.done_by else "", "closed_at": waktu(s.closed_at, offset) if s.closed_at else ""}
                     for s in steps]
        labels = revision_labels(answers, requirements)

        await audit.append(session, acting.audit_actor, "view", region_code=code, application_id=app.id, purpose=PURPOSE_VIEW,
                           details={}, **transitions.subject_of(app))
        await session.commit()
        return Template("backoffice/applications/application.html.j2", status_code=status_code, context={
            "region": region, "acting": acting, "app": app, "base": base, "service_name": content.get("name_id") or app.service_id,
            "state_label": workflow.STATE_LABELS.get(app.state, app.state), "sla": sla, "due": tgl(app.due_date),
            "received": waktu(app.created_at, offset), "applicant": applicant, "answers": answers, "files": files,
            "requirements": requirements, "verdicts": checklist.VERDICTS, "actions": actions, "action_labels": workflow.ACTION_LABELS,
            "current": current, "current_agency": agencies.get(current.agency, current.agency) if current else "",
            "next_step": next_step, "next_agency": agencies.get(next_step.agency_kind, next_step.agency_kind) if next_step else "",
            "steps": step_rows, "history": history, "labels": labels, "legal_basis": content.get("legal_basis") or [],
            "form": form or ActionForm(), "error": error, "error_at": error_at, "flash": flash, "flash_at": flash_at, "section": "permohonan"})


def _name(names: Mapping[str, Account], account_id: str | None) -> str:
    if not account_id or account_id == "system":
        return "Sistem"
    found = names.get(account_id)
    return found.display_name if found else ""


def _day(at: datetime, offset: timezone) -> date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(offset).date()


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _when(value: Any, offset: timezone) -> str:
    if not isinstance(value, str) or not value:
        return "—"
    try:
        return waktu(datetime.fromisoformat(value.replace("Z", "+00:00")), offset)
    except ValueError:
        return value[:40]
