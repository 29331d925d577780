"""The application's state machine (server.applications.workflow): pure, no database."""

from __future__ import annotations

import pytest

from server.applications import workflow as wf
from server.applications.workflow import Actor, Snapshot, decide

SIP_STEPS = wf.steps_of([
    {"id": "pemeriksaan_berkas", "name_id": "Pemeriksaan kelengkapan berkas", "agency": "dpmptsp"},
    {"id": "verifikasi_teknis", "name_id": "Verifikasi teknis", "agency": "dinkes"},
    {"id": "penerbitan", "name_id": "Penerbitan SIP", "agency": "dpmptsp"},
])
DPMPTSP, DINKES = Actor("operator", "dpmptsp"), Actor("operator", "dinkes")


def sip(state: str, step: int | None = 0, **kw) -> Snapshot:
    return Snapshot(state, step, SIP_STEPS, **kw)


def test_the_seed_steps_end_with_the_issuing_step_and_approval_is_at_the_step_before():
    assert [s.issues_output for s in SIP_STEPS] == [False, False, True]
    assert sip("received").decision_step == 1 and sip("received").issuing_step.agency == "dpmptsp"


def test_the_sip_path_hands_the_application_from_dpmptsp_to_dinkes_and_issues_after_approval():
    o = decide(sip("received"), "start_review", DPMPTSP)
    assert (o.state, o.step) == ("in_review", 0)
    o = decide(sip("in_review"), "request_revision", DPMPTSP, notes={"nomor_str": "Nomor STR tidak terbaca."})
    assert o.state == "needs_revision" and o.details["notes"] == {"nomor_str": "Nomor STR tidak terbaca."}
    assert decide(sip("needs_revision"), "resubmit", wf.CITIZEN).state == "resubmitted"
    o = decide(sip("resubmitted"), "pass_on", DPMPTSP)
    assert (o.state, o.step, o.closes, o.opens) == ("in_review", 1, 0, 1)
    o = decide(sip("in_review", 1), "approve", DINKES)
    assert (o.state, o.step, o.closes, o.opens) == ("approved", 2, 1, 2)
    o = decide(sip("approved", 2), "complete", wf.SYSTEM)
    assert (o.state, o.closes) == ("completed", 2)


def test_an_operator_acts_only_on_the_step_their_agency_owns():
    with pytest.raises(wf.NotYourStep):
        decide(sip("received"), "start_review", DINKES)
    with pytest.raises(wf.NotYourStep):
        decide(sip("in_review", 1), "approve", DPMPTSP)
    assert wf.available(sip("in_review", 1), DPMPTSP) == []
    assert wf.available(sip("in_review", 1), DINKES) == ["request_revision", "approve", "reject"]


def test_approval_only_at_the_decision_step_and_passing_on_only_before_it():
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip("in_review", 0), "approve", DPMPTSP)
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip("in_review", 1), "pass_on", DINKES)


@pytest.mark.parametrize("state", ["approved", "completed", "rejected", "withdrawn"])
def test_nothing_moves_a_decided_application_back(state):
    for action in wf.OPERATOR_ACTIONS:
        with pytest.raises(wf.WorkflowError):
            decide(sip(state, 1), action, DINKES)
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip(state, 1), "withdraw", wf.CITIZEN)


def test_a_revision_needs_a_note_and_a_rejection_needs_reason_and_legal_basis():
    with pytest.raises(wf.NoteRequired):
        decide(sip("in_review"), "request_revision", DPMPTSP, notes={"nomor_str": "  "})
    with pytest.raises(wf.ReasonRequired) as missing_basis:
        decide(sip("in_review"), "reject", DPMPTSP, note="STR tidak aktif.")
    assert missing_basis.value.details["missing"] == "legal_basis"
    o = decide(sip("in_review"), "reject", DPMPTSP, note="STR tidak aktif.", legal_basis="UU 17/2023")
    assert o.state == "rejected" and o.details == {"legal_basis": "UU 17/2023"}


def test_the_person_withdraws_before_a_decision_only_and_operators_cannot_do_it_for_them():
    for state in ("waiting_for_files", "received", "in_review", "needs_revision", "resubmitted"):
        assert decide(sip(state), "withdraw", wf.CITIZEN).state == "withdrawn"
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip("received"), "withdraw", DPMPTSP)
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip("received"), "approve", wf.CITIZEN)


def test_automatic_issuance_needs_the_flag_a_lapsed_clock_and_no_pause():
    assert decide(sip("in_review", 1, auto_issue=True, sla_lapsed=True), "auto_issue", wf.SYSTEM, rule="KB 2025").details == {"rule": "KB 2025"}
    for snapshot in (sip("in_review", 1, auto_issue=False, sla_lapsed=True), sip("in_review", 1, auto_issue=True, sla_lapsed=False),
                     sip("needs_revision", 0, auto_issue=True, sla_lapsed=True)):
        with pytest.raises(wf.ActionNotAllowed):
            decide(snapshot, "auto_issue", wf.SYSTEM)
    with pytest.raises(wf.ActionNotAllowed):
        decide(sip("in_review", 1, auto_issue=True, sla_lapsed=True), "auto_issue", DINKES)


def test_a_refusal_names_the_state_and_action_in_indonesian_for_the_message():
    with pytest.raises(wf.ActionNotAllowed) as refused:
        decide(sip("completed", None), "start_review", DPMPTSP)
    assert refused.value.details["state_label"] == "Selesai" and refused.value.details["action_label"] == "Mulai periksa"


def test_a_service_without_an_issuing_step_is_approved_at_its_last_step():
    steps = wf.steps_of([{"id": "verifikasi_berkas", "agency": "disdukcapil"}, {"id": "cetak", "agency": "disdukcapil"}])
    assert not any(s.issues_output for s in steps)
    o = decide(Snapshot("in_review", 1, steps), "approve", Actor("operator", "disdukcapil"))
    assert (o.state, o.step, o.opens) == ("approved", None, None)
