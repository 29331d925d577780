"""Sync over a network that keeps dropping: a phone (PouchDB in Node, data kept on disk) pushes
submitted drafts through a proxy that cuts connections at random points, 30 times over, while
the ingest worker runs. Afterwards: every draft is on the server, each became exactly one
application with its own tracking number, and every status doc came back to the phone."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.faultproxy import FaultProxy
from tests.support.people import enrol_resident
from tests.support.phone import AppStack, counts, device, valid_values

RUNS = 30
DRAFTS_PER_RUN = 2
REGION, SERVICE = "21.71", "adminduk-ktp-el"


@pytest.fixture(scope="module")
def stack(couch, tmp_path_factory):
    """Its own app and worker (the shared e2e server must not see these accounts)."""
    tmp = tmp_path_factory.mktemp("flaky")
    with AppStack(couch, tmp) as app:
        yield app.server, tmp


def test_thirty_flaky_syncs_lose_nothing_and_duplicate_nothing(stack):
    server, tmp = stack
    cookie = enrol_resident(server.url, server.env["DATABASE_URL"], REGION)
    version, values = valid_values(server.url, REGION, SERVICE)
    phone = {"dir": str(tmp / "phone"), "cookie": cookie, "attempts": 200}
    spec = {"region_code": REGION, "service_id": SERVICE, "service_version": version, "values": values}
    made: list[str] = []
    cuts = 0
    for run_no in range(RUNS):
        with FaultProxy("127.0.0.1", server.port, seed=run_no, cut_probability=0.5, max_budget=2_500) as proxy:
            out = device({**phone, "remote": proxy.url + "/sync/me", "add": [spec] * DRAFTS_PER_RUN, "push": True, "pull": True})
            cuts += proxy.stats.cuts
        made += out["added"]
        assert not out["push"].get("failed") and not out["pull"].get("failed"), out["errors"][-5:]
        assert set(made) <= set(out["drafts"])  # nothing lost on the phone either
    assert cuts >= RUNS, f"the proxy cut only {cuts} connections; the test would prove little"

    expected = len(made)
    deadline = time.monotonic() + 120
    while counts(server.env["DATABASE_URL"])[0] < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    apps, subs, numbers = counts(server.env["DATABASE_URL"])
    assert (apps, subs, numbers) == (expected, expected, expected)

    # the status of every draft reaches the phone, through the same bad network
    statuses: list[dict] = []
    pulls: list[dict] = []
    deadline = time.monotonic() + 120
    while len(statuses) < expected and time.monotonic() < deadline:
        with FaultProxy("127.0.0.1", server.port, seed=1000 + len(pulls), cut_probability=0.5, max_budget=2_500) as proxy:
            out = device({**phone, "remote": proxy.url + "/sync/me", "pull": True})
            pulls.append({"pull": out["pull"], "cuts": proxy.stats.cuts, "connections": proxy.stats.connections,
                          "statuses": len(out["statuses"]), "errors": out["errors"][-3:]})
            statuses = out["statuses"]
        time.sleep(0.5)
    assert len(statuses) == expected, (len(statuses), pulls[-3:])
    assert {s["id"].removeprefix("status:") for s in statuses} == {d.removeprefix("draft:") for d in made}
    assert {s["state"] for s in statuses} == {"received"}
    assert len({s["tracking_number"] for s in statuses}) == expected


def test_a_draft_edited_on_two_phones_keeps_both_versions_on_both(stack, couch):
    server, tmp = stack
    cookie = enrol_resident(server.url, server.env["DATABASE_URL"], "33.02")
    remote = server.url + "/sync/me"
    first = {"dir": str(tmp / "phone-a"), "cookie": cookie, "remote": remote, "attempts": 5}
    second = {**first, "dir": str(tmp / "phone-b")}
    spec = {"region_code": REGION, "service_id": SERVICE, "service_version": 1, "values": {"catatan": "awal"}, "state": "draft"}
    [draft] = device({**first, "add": [spec], "push": True})["added"]
    assert draft in device({**second, "pull": True})["drafts"]

    # both phones change the same draft with no signal, then sync
    device({**first, "edit": [{"id": draft, "set": {"values": {"catatan": "dari ponsel A"}}}]})
    device({**second, "edit": [{"id": draft, "set": {"values": {"catatan": "dari ponsel B"}}}]})
    pushed = [device({**first, "push": True}), device({**second, "push": True})]
    assert all(p["push"].get("docs_written") == 1 for p in pushed), pushed
    # the server keeps both revisions: nothing was dropped on the way
    kept = set()
    for name in couch.databases():
        if name.startswith("userdb-"):
            r = httpx.get(f"{couch.db_url(name)}/{draft}", params={"open_revs": "all"}, headers={"accept": "application/json"},
                          auth=couch.auth, timeout=30)
            if r.status_code == 200:
                kept |= {row["ok"]["values"]["catatan"] for row in r.json() if "ok" in row}
    assert kept == {"dari ponsel A", "dari ponsel B"}

    # and each phone, after pulling, holds both and can show the choice
    a = device({**first, "pull": True})
    b = device({**second, "pull": True})
    assert draft in a["conflicts"] and draft in b["conflicts"], (a["conflicts"], b["conflicts"])
