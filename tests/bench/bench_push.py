"""Push fan-out: 1,000 status changes for 1,000 people, each with one subscribed phone, through
the worker's real path — the publisher writes each status doc and, in the same transaction, the
push message; the dispatcher encrypts, signs and sends it to a local push service.

Figures: messages per second (from the first status change's commit to the push service's last
acceptance) and the latency of each message from its status change's commit to the push
service's acceptance, p50/p95 (the goal is p95 ≤ 2 s). The worker runs with the polling
intervals it has in production (0.5 s for the outbox, 0.1 s for push), in a process of its own
while this one plays the back office. SQLite in a temporary folder, the shared PouchDB Server. Figures only: nothing here fails on a time."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Any

NAME = "push"

PEOPLE = 1_000
REGION = "21.71"
SERVICE = "nakes-sip-dokter-gigi"
WORKER_POLL_SECONDS = 0.5  # server/cli.py's default


async def _seed(sql_url: str, couch_conf: Any, subscribers: list[Any]) -> list[int]:
    """People with a database, a device and a subscription; one received SIP application each."""
    from sqlalchemy import insert
    from sqlmodel import col, select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from identity.models import Account, Device, utcnow
    from server.applications import workflow
    from server.catalog.models import RegionService, ServiceVersion
    from server.db import make_engine
    from server.push.models import PushCursor, PushSubscription
    from sync.models import Application, ApplicationEvent, WorkflowStep
    from sync.userdb import ensure_userdb

    engine = make_engine(sql_url)
    couch = couch_conf.client()
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            version = (await session.exec(select(ServiceVersion).join(
                RegionService, (RegionService.service_id == ServiceVersion.service_id) & (RegionService.region_code == ServiceVersion.region_code)
                & (RegionService.current_version == ServiceVersion.version)).where(
                ServiceVersion.region_code == REGION, ServiceVersion.service_id == SERVICE))).one()
            steps = workflow.steps_of(version.content.get("steps") or [])
            now, accounts = utcnow(), [uuid.uuid4().hex for _ in range(PEOPLE)]
            await session.exec(insert(Account.__table__), params=[  # type: ignore[call-overload]
                {"id": a, "kind": "citizen", "display_name": "WARGA BENCH", "assurance": "basic", "created_at": now} for a in accounts])
            await session.exec(insert(Device.__table__), params=[  # type: ignore[call-overload]
                {"id": a, "account_id": a, "name": "Chrome di Android", "created_at": now, "last_seen_at": now} for a in accounts])
            subs = [s.subscription() for s in subscribers]
            await session.exec(insert(PushSubscription.__table__), params=[  # type: ignore[call-overload]
                {"account_id": a, "device_id": a, "endpoint": sub["endpoint"], "endpoint_key": uuid.uuid4().hex * 2,
                 "p256dh": sub["keys"]["p256dh"], "auth": sub["keys"]["auth"], "created_at": now - timedelta(minutes=1), "updated_at": now}
                for a, sub in zip(accounts, subs)])
            await session.exec(insert(Application.__table__), params=[  # type: ignore[call-overload]
                {"draft_id": f"draft:bench-push-{i}", "account_id": a, "region_code": REGION, "service_id": SERVICE,
                 "service_version": version.version, "tracking_number": f"MPP-2171-2026-9{i:05d}", "state": "received",
                 "submission_id": "s1", "values": {}, "due_date": date.today() + timedelta(days=5), "created_at": now, "updated_at": now,
                 "applicant_kind": "self", "applicant": {}, "step_position": 0, "step_agency": steps[0].agency,
                 "step_count": len(steps), "auto_issue": True} for i, a in enumerate(accounts)])
            ids = list((await session.exec(select(Application.id).where(col(Application.draft_id).like("draft:bench-push-%"))
                                           .order_by(Application.id))).all())
            await session.exec(insert(WorkflowStep.__table__), params=[  # type: ignore[call-overload]
                {"application_id": app_id, "position": s.position, "name": s.name[:200], "agency_kind": s.agency, "step_id": s.id,
                 "issues_output": s.issues_output, "opened_at": now, "state": "open" if s.position == 0 else "waiting"}
                for app_id in ids for s in steps])
            await session.exec(insert(ApplicationEvent.__table__), params=[  # type: ignore[call-overload]
                {"application_id": app_id, "at": now, "state": "received", "note": "Permohonan diterima.", "by": "system",
                 "action": "", "actor_role": "", "actor_agency": "", "details": {}} for app_id in ids])
            await session.commit()
            events = dict((await session.exec(select(ApplicationEvent.application_id, ApplicationEvent.id)
                                               .where(col(ApplicationEvent.application_id).in_(ids)))).all())
            await session.exec(insert(PushCursor.__table__), params=[  # type: ignore[call-overload]
                {"application_id": app_id, "event_id": events[app_id]} for app_id in ids])  # "received" was told already
            await session.commit()
        gate = asyncio.Semaphore(16)

        async def make(account_id: str) -> None:
            async with gate:
                await ensure_userdb(couch, account_id)

        await asyncio.gather(*(make(a) for a in accounts))
        return ids
    finally:
        await couch.aclose()
        await engine.dispose()


async def _change(sql_url: str, ids: list[int], service: Any, worker_env: dict[str, str], log_path: Any) -> dict[str, Any]:
    """Start the worker (its own process, as in production), make one operator action per
    application (each its own transaction, as in the back office), wait for the push service."""
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.applications import transitions
    from server.applications.validation import CatalogRules
    from server.db import make_engine
    from server.push.models import PushMessage, PushSubscription
    from sync.models import Application
    from tests.bench.support import ROOT

    engine = make_engine(sql_url)
    rules = CatalogRules()
    operator = transitions.Acting("operator", "c" * 32, "agency_operator", "dpmptsp", "DPMPTSP Kota Batam", "Operator DPMPTSP")
    with open(log_path, "ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "server", "worker", "--poll", str(WORKER_POLL_SECONDS)],
                                  env={**os.environ, **worker_env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            await asyncio.sleep(3)  # started, first sweep done
            committed: dict[int, float] = {}
            started = time.time()
            for app_id in ids:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    await transitions.act(session, await session.get(Application, app_id), "start_review", operator, rules)
                    await session.commit()
                committed[app_id] = time.time()
            changes_s = time.time() - started
            deadline = time.monotonic() + 180
            while len(service.received) < len(ids) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(30)
        async with AsyncSession(engine) as session:
            rows = list((await session.exec(select(PushMessage.application_id, PushSubscription.endpoint, PushMessage.outcome,
                                                   PushMessage.attempts, PushMessage.created_at).join(
                PushSubscription, PushSubscription.id == PushMessage.subscription_id))).all())
        # a burst: 1,000 more changes committed while no worker runs (passed on to the next agency), then one starts
        for app_id in ids:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                await transitions.act(session, await session.get(Application, app_id), "pass_on", operator, rules)
                await session.commit()
        before = len(service.received)
        worker = subprocess.Popen([sys.executable, "-m", "server", "worker", "--poll", str(WORKER_POLL_SECONDS)],
                                  env={**os.environ, **worker_env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while len(service.received) < before + len(ids) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(30)
        burst = sorted(r.at for r in service.received[before:] if 200 <= r.status < 300)
    await engine.dispose()
    accepted = {r.path: r.at for r in service.received[:before] if 200 <= r.status < 300}
    latencies = sorted(accepted[urlsplit(endpoint).path] - committed[app_id] for app_id, endpoint, *_ in rows
                       if urlsplit(endpoint).path in accepted)
    # where the time goes: commit -> push message made from the outbox row, made -> accepted by the push service
    made = sorted(created.timestamp() - committed[app_id] for app_id, _, _, _, created in rows)
    sending = sorted(accepted[urlsplit(endpoint).path] - created.timestamp() for _, endpoint, _, _, created in rows
                     if urlsplit(endpoint).path in accepted)
    last = max(accepted.values()) if accepted else started
    return {
        "changes": len(ids), "changes_s": round(changes_s, 2), "messages": len(rows),
        "delivered": sum(1 for _, _, outcome, *_ in rows if outcome == "delivered"),
        "retried": sum(1 for _, _, _, attempts, _ in rows if attempts > 1),
        "received_by_service": before,
        "burst_delivered": len(burst),
        "burst_messages_per_s": round((len(burst) - 1) / (burst[-1] - burst[0]), 1) if len(burst) > 1 else 0.0,
        "messages_per_s": round(len(accepted) / (last - started), 1) if accepted else 0.0,
        "latency_p50_ms": _p(latencies, 0.5), "latency_p95_ms": _p(latencies, 0.95), "latency_max_ms": _p(latencies, 1.0),
        "published_p50_ms": _p(made, 0.5), "published_p95_ms": _p(made, 0.95),
        "sent_p50_ms": _p(sending, 0.5), "sent_p95_ms": _p(sending, 0.95),
    }


def _p(ordered: list[float], q: float) -> int | None:
    return round(ordered[max(0, int(len(ordered) * q) - 1)] * 1000) if ordered else None


def run(ctx) -> dict[str, Any]:
    from server.db import migrate
    from tests.factories import seed_regions
    from tests.support.env import app_env, sqlite_url
    from tests.support.pushstub import PushService, Subscriber

    folder = ctx.tmp / f"push-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    sql_url = sqlite_url(folder)
    migrate(sql_url)
    seed_regions(sql_url, ctx.couch, (REGION,))
    env = app_env(sql_url, ctx.couch, folder)
    with PushService() as service:
        subscribers = [Subscriber(service.endpoint()) for _ in range(PEOPLE)]
        started = time.perf_counter()
        ids = asyncio.run(_seed(sql_url, ctx.couch, subscribers))
        seeded_s = time.perf_counter() - started
        result = asyncio.run(_change(sql_url, ids, service, env, ctx.out_dir / "push-worker.log"))
    # every message decrypts for its phone (a sample, so the figure is about sending)
    by_path = {s.endpoint.split("/push/", 1)[1]: s for s in subscribers}
    sample = [r for r in service.received if r.status == 201][:20]
    result["decrypted_sample"] = sum(1 for r in sample if by_path[r.path.split("/push/", 1)[1]].decrypt(r)["s"] == "in_review")
    return {"store": "SQLite", "people": PEOPLE, "seed_s": round(seeded_s, 1), "worker_poll_s": WORKER_POLL_SECONDS, **result}


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("fan-out", f"{result['changes']:,} status changes to {result['people']:,} subscriptions ({result['store']}, "
                    f"worker poll {result['worker_poll_s']} s); changes made in {result['changes_s']:.1f} s"),
        ("delivered", f"{result['delivered']:,} of {result['messages']:,} messages ({result['retried']} needed a retry); "
                      f"{result['decrypted_sample']} of 20 sampled decrypt to the change"),
        ("burst", f"{result['burst_delivered']:,} changes committed while no worker ran: "
                  f"{result['burst_messages_per_s']:.0f} messages/s from the first acceptance to the last"),
        ("of which", f"commit → message made p50 {result['published_p50_ms']} ms, p95 {result['published_p95_ms']} ms; "
                     f"made → accepted p50 {result['sent_p50_ms']} ms, p95 {result['sent_p95_ms']} ms"),
        ("throughput", f"{result['messages_per_s']:.0f} messages/s at the pace the changes were made (first change to last acceptance)"),
        ("latency (commit → accepted)", f"p50 {result['latency_p50_ms']} ms, p95 {result['latency_p95_ms']} ms, "
                                        f"max {result['latency_max_ms']} ms (goal p95 ≤ 2,000 ms)"),
    ]
