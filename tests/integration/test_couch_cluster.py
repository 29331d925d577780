"""A CouchDB cluster losing a node: replication and ingest go on through the other nodes, every
draft becomes exactly one application, every status doc reaches its phone, and the node's
return doubles nothing.

Runs only against a cluster: `COUCHDB_TEST_NODES` naming three or more nodes, with
`COUCHDB_TEST_STOP_NODE` / `COUCHDB_TEST_START_NODE` (tests/support/couchdb.py). The node
stopped is the one the app (or the worker) sends its requests to first, so the failover is
the client's own (`sync.couch.FailoverTransport`).
"""

from __future__ import annotations

import time

import pytest

from sync.couch import preferred_node
from tests.support.drafts import with_stores
from tests.support.people import enrol_resident
from tests.support.phone import AppStack, counts, device, finish_device, start_device, valid_values

REGION, SERVICE = "21.71", "adminduk-ktp-el"
PHONES = 4
DRAFTS_PER_PHONE = 50  # 200 drafts in all; a citizen's database holds at most 200 docs (drafts + status docs)
DEADLINE = 300.0


@pytest.fixture
def cluster(fresh_couch):
    if len(fresh_couch.nodes) < 3:
        pytest.skip("needs a CouchDB cluster: COUCHDB_TEST_NODES=url1,url2,url3 (see tests/support/couchdb.py)")
    if not (fresh_couch.stop_command and fresh_couch.start_command):
        pytest.skip("needs COUCHDB_TEST_STOP_NODE and COUCHDB_TEST_START_NODE to stop and start a node")
    for n in range(1, len(fresh_couch.nodes) + 1):
        if not fresh_couch.node_up(n):
            fresh_couch.start_node(n)
    yield fresh_couch
    for n in range(1, len(fresh_couch.nodes) + 1):  # leave the cluster whole for the next test
        if not fresh_couch.node_up(n):
            fresh_couch.start_node(n)


def wait_for(what: str, ready, timeout: float = DEADLINE):
    """Polls `ready()` until it returns something true; fails with `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:.0f} s (last: {value!r})")
        time.sleep(0.5)  # the worker and the cluster are other processes; nothing to wait on but their effects


def phones(stack: AppStack, tmp_path) -> list[dict]:
    cookies = [enrol_resident(stack.url, stack.env["DATABASE_URL"], REGION) for _ in range(PHONES)]
    return [{"dir": str(tmp_path / f"phone-{i}"), "cookie": cookie, "remote": stack.url + "/sync/me", "attempts": 400,
             "batch_size": 5} for i, cookie in enumerate(cookies)]


def all_received(stack: AppStack, phone_list: list[dict], expected: int) -> list[dict]:
    """Pull every phone until each of its drafts has its status doc; returns the statuses."""
    statuses: list[dict] = []

    def pulled():
        statuses.clear()
        for p in phone_list:
            out = device({**p, "pull": True})
            statuses.extend(out["statuses"])
        return len(statuses) >= expected and statuses

    return wait_for(f"{expected} status docs on the phones", pulled)


def assert_exactly_once(stack: AppStack, made: list[str], statuses: list[dict]) -> None:
    expected = len(made)
    assert counts(stack.env["DATABASE_URL"]) == (expected, expected, expected)  # applications, submissions, numbers
    assert sorted(s["id"].removeprefix("status:") for s in statuses) == sorted(d.removeprefix("draft:") for d in made)
    assert len({s["tracking_number"] for s in statuses}) == expected
    assert {s["state"] for s in statuses} == {"received"}


def test_a_node_stopped_while_phones_replicate_loses_and_doubles_nothing(cluster, tmp_path):
    with AppStack(cluster, tmp_path, worker_args=("--sweep", "2")) as stack:
        version, values = valid_values(stack.url, REGION, SERVICE)
        spec = {"region_code": REGION, "service_id": SERVICE, "service_version": version, "values": values}
        phone_list = phones(stack, tmp_path)
        half = DRAFTS_PER_PHONE // 2
        made = []
        for p in phone_list:  # the first half with every node up
            out = device({**p, "add": [spec] * half, "push": True})
            assert not out["push"].get("failed"), out["errors"][-5:]
            made += out["added"]
        # the second half while the node the app talks to goes down
        running = [start_device({**p, "add": [spec] * (DRAFTS_PER_PHONE - half), "push": True}, tmp_path / f"push-{i}.log")
                   for i, p in enumerate(phone_list)]
        app_node = preferred_node(len(cluster.nodes), stack.server.process.pid) + 1
        cluster.stop_node(app_node)
        for proc in running:
            out = finish_device(proc)
            assert not out["push"].get("failed"), out["errors"][-5:]
            made += out["added"]
        assert len(made) == PHONES * DRAFTS_PER_PHONE
        wait_for("every draft an application", lambda: counts(stack.env["DATABASE_URL"])[0] >= len(made))
        statuses = all_received(stack, phone_list, len(made))
        assert_exactly_once(stack, made, statuses)

        cluster.start_node(app_node)
        after_return(stack, cluster, phone_list, made)


def test_a_node_stopped_while_the_worker_ingests_loses_and_doubles_nothing(cluster, tmp_path):
    with AppStack(cluster, tmp_path, worker_args=("--sweep", "2"), start_worker=False) as stack:
        version, values = valid_values(stack.url, REGION, SERVICE)
        spec = {"region_code": REGION, "service_id": SERVICE, "service_version": version, "values": values}
        phone_list = phones(stack, tmp_path)
        made = []
        for p in phone_list:  # everything is on the server before any worker reads it
            out = device({**p, "add": [spec] * DRAFTS_PER_PHONE, "push": True})
            assert not out["push"].get("failed"), out["errors"][-5:]
            made += out["added"]
        worker = stack.start_worker()
        wait_for("the worker's first applications", lambda: counts(stack.env["DATABASE_URL"])[0] >= 1)
        worker_node = preferred_node(len(cluster.nodes), worker.pid) + 1
        cluster.stop_node(worker_node)
        wait_for("every draft an application", lambda: counts(stack.env["DATABASE_URL"])[0] >= len(made))
        statuses = all_received(stack, phone_list, len(made))
        assert_exactly_once(stack, made, statuses)

        cluster.start_node(worker_node)
        after_return(stack, cluster, phone_list, made)


def after_return(stack: AppStack, cluster, phone_list: list[dict], made: list[str]) -> None:
    """With the node back (its shard copies catching up), every database is read again from its
    checkpoint to the end and everything pending published: nothing new may come of it."""
    stack.stop_worker()

    async def again(stores):
        await stores.ingestor_sweep()
        return await stores.work()

    ingested, published = with_stores(stack.env["DATABASE_URL"], cluster, again)
    assert ingested.accepted == ingested.invalid == 0 and published.written == 0, (ingested, published)
    assert_exactly_once(stack, made, all_received(stack, phone_list, len(made)))
