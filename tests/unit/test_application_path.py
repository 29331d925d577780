"""Pure rules of the application path: tracking numbers, the state machine, the SLA clock's
pauses, which changes ingest reads, and the status doc the person sees."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from server.catalog.workdays import Calendar
from sync.ingest import account_of, seq_text, submitted_drafts
from sync.models import Application, ApplicationEvent, Submission
from sync.publisher import HISTORY, advisory_key, iso, status_doc
from sync.tracking import sla_pauses, tracking_number

DRAFT = "draft:3f0c2a1e-0000-4000-8000-000000000001"
SUB = "11111111-2222-4333-8444-555555555555"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def test_tracking_number_is_region_without_dot_year_and_six_digits():
    assert tracking_number("21.71", 2026, 123) == "MPP-2171-2026-000123"
    assert tracking_number("33.02", 2027, 1) == "MPP-3302-2027-000001"


def test_sla_pauses_open_at_a_revision_request_and_close_at_the_resubmission():
    events = [(date(2026, 3, 2), "received"), (date(2026, 3, 4), "needs_revision"), (date(2026, 3, 9), "resubmitted"),
              (date(2026, 3, 10), "in_review"), (date(2026, 3, 11), "needs_revision")]
    assert sla_pauses(events) == [(date(2026, 3, 4), date(2026, 3, 9)), (date(2026, 3, 11), None)]
    assert sla_pauses(events[:1]) == []


def test_resubmission_after_revision_moves_the_due_date_as_the_calendar_says():
    # the example of server.catalog.workdays: Tue 03 day 1, Wed 04 day 2 and revision; resubmitted Mon 09; Tue 10 day 3
    events = [(date(2026, 3, 2), "received"), (date(2026, 3, 4), "needs_revision"), (date(2026, 3, 9), "resubmitted")]
    assert Calendar().sla_due_date(date(2026, 3, 2), 3, sla_pauses(events)) == date(2026, 3, 10)
    assert Calendar().sla_due_date(date(2026, 3, 2), 3, sla_pauses(events[:2])) is None  # waiting for the person


def test_ingest_reads_only_winning_submitted_drafts_with_a_submission_id():
    good = {"_id": DRAFT, "state": "submitted", "submission_id": SUB}
    rows = [
        {"id": DRAFT, "doc": good},
        {"id": DRAFT, "deleted": True, "doc": {**good, "_deleted": True}},
        {"id": DRAFT, "doc": {**good, "state": "draft"}},
        {"id": DRAFT, "doc": {**good, "submission_id": "not-a-uuid"}},
        {"id": "status:3f0c2a1e-0000-4000-8000-000000000001", "doc": good},
        {"id": "_design/x", "doc": good},
        {"id": DRAFT},
    ]
    assert submitted_drafts(rows) == [good]


def test_checkpoints_and_database_names():
    assert seq_text(17) == "17" and seq_text("17-g1AAAA") == "17-g1AAAA"
    assert account_of("userdb-0a1b2c") == "0a1b2c"
    assert account_of("catalog-2171") is None and account_of("userdb-") is None and account_of("userdb-XYZ") is None


def test_advisory_lock_keys_are_stable_signed_64_bit_integers():
    assert advisory_key(DRAFT) == advisory_key(DRAFT)
    assert advisory_key(DRAFT) != advisory_key(DRAFT.replace("1", "2"))
    assert all(-(2 ** 63) <= advisory_key(f"draft:{n}") < 2 ** 63 for n in range(100))


def app(state: str = "received", due: date | None = date(2026, 3, 3)) -> Application:
    return Application(id=7, draft_id=DRAFT, account_id="ab" * 16, region_code="21.71", service_id="adminduk-kk", service_version=1,
                       tracking_number="MPP-2171-2026-000123", state=state, submission_id=SUB, values={}, due_date=due,
                       created_at=T0, updated_at=T0)


def event(state: str, minutes: int, note: str = "") -> ApplicationEvent:
    return ApplicationEvent(application_id=7, state=state, note=note, at=T0 + timedelta(minutes=minutes))


def submission(outcome: str, errors: dict | None = None, sub: str = SUB) -> Submission:
    return Submission(id=1, draft_id=DRAFT, submission_id=sub, db_name="userdb-" + "ab" * 16, rev="1-x", outcome=outcome,
                      errors=errors or {}, received_at=T0 + timedelta(minutes=30))


def test_a_received_status_names_the_tracking_number_and_the_due_date():
    doc = status_doc(DRAFT, app(), [event("received", 0, "Permohonan diterima.")], submission("accepted"))
    assert doc == {
        "_id": "status:3f0c2a1e-0000-4000-8000-000000000001", "type": "status", "draft_id": DRAFT, "submission_id": SUB,
        "state": "received", "tracking_number": "MPP-2171-2026-000123",
        "message": "Permohonan Anda sudah diterima dengan nomor MPP-2171-2026-000123.",
        "next_step": "Simpan nomor permohonan ini. Petugas akan memeriksa berkas Anda; perkiraan selesai 3 Maret 2026.",
        "history": [{"at": "2026-03-02T01:00:00.000Z", "state": "received", "note": "Permohonan diterima."}],
        "updated_at": "2026-03-02T01:00:00.000Z",
    }


def test_a_revision_request_shows_the_officers_note_and_keeps_the_number():
    events = [event("received", 0), event("needs_revision", 60, "Foto KTP buram.")]
    doc = status_doc(DRAFT, app("needs_revision", None), events, submission("accepted"))
    assert doc["state"] == "needs_revision" and doc["message"].endswith(": Foto KTP buram.")
    assert "Nomor permohonan tetap sama" in doc["next_step"] and doc["updated_at"] == iso(T0 + timedelta(minutes=60))


def test_an_invalid_resend_wins_only_while_the_person_may_edit():
    errors = {"nik_pemohon": "NIK harus 16 angka."}
    resend = submission("invalid", errors, sub="99999999-2222-4333-8444-555555555555")
    events = [event("received", 0), event("needs_revision", 10)]
    doc = status_doc(DRAFT, app("needs_revision", None), events, resend)
    assert (doc["state"], doc["submission_id"], doc["tracking_number"], doc["errors"]) == (
        "invalid", resend.submission_id, "MPP-2171-2026-000123", errors)
    assert "1 isian" in doc["message"] and doc["next_step"].endswith("Nomor permohonan tetap sama.")
    # once the agency decided again, the application's state is what the person sees
    doc = status_doc(DRAFT, app("rejected", None), [*events, event("rejected", 90, "Tidak memenuhi syarat.")], resend)
    assert (doc["state"], doc["submission_id"]) == ("rejected", SUB) and "errors" not in doc


def test_errors_about_the_whole_draft_say_what_to_do_and_no_application_means_no_number():
    doc = status_doc(DRAFT, None, [], submission("invalid", {"_service": "Layanan ini sudah tidak dibuka di Kota Batam."}))
    assert (doc["state"], doc["tracking_number"], doc["history"]) == ("invalid", None, [])
    assert doc["message"] == "Permohonan belum dapat diterima." and doc["next_step"] == "Layanan ini sudah tidak dibuka di Kota Batam."
    assert status_doc(DRAFT, None, [], None) is None


def test_history_is_short_and_newest_last():
    events = [event("received", 0)] + [event("in_review", n) for n in range(1, 20)]
    doc = status_doc(DRAFT, app("in_review"), events, submission("accepted"))
    assert len(doc["history"]) == HISTORY and doc["history"][-1]["at"] == iso(events[-1].at)


@pytest.mark.parametrize("state", ["waiting_for_files", "received", "in_review", "needs_revision", "resubmitted", "approved",
                                   "completed", "rejected", "withdrawn"])
def test_every_state_has_a_message_and_a_next_step(state):
    doc = status_doc(DRAFT, app(state), [event(state, 0, "Catatan.")], submission("accepted"))
    assert doc["message"] and doc["next_step"] and doc["state"] == state


def test_a_fault_in_one_round_does_not_stop_the_worker_nor_reach_the_log_with_its_message(monkeypatch, caplog):
    import asyncio

    from sync import worker as worker_module
    from sync.ingest import IngestReport
    from sync.publisher import PublishReport

    monkeypatch.setattr(worker_module, "ERROR_PAUSE_SECONDS", 0.01)
    stop = asyncio.Event()
    rounds = []

    class FlakyIngestor:
        async def sweep(self):
            return 0

        async def run_once(self):
            rounds.append(len(rounds))
            if len(rounds) == 1:
                raise RuntimeError("3302015505900001 must not reach the log")
            if len(rounds) == 3:
                stop.set()
            return IngestReport()

    class IdlePublisher:
        async def run_once(self):
            return PublishReport()

    w = worker_module.Worker.__new__(worker_module.Worker)
    w.ingestor, w.publisher, w.poll_seconds, w.sweep_seconds, w._next_sweep, w.alongside = FlakyIngestor(), IdlePublisher(), 0.01, 60.0, 0.0, ()
    with caplog.at_level("INFO", logger="mpp.worker"):
        asyncio.run(asyncio.wait_for(w.run(stop), 5))
    assert len(rounds) == 3  # went on after the fault, ended when told to
    assert "RuntimeError" in caplog.text and "3302015505900001" not in caplog.text
