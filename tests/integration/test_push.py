"""Web Push from the outbox to a local push service: what leaves the server is encrypted for the
device, signed with the server's VAPID key and holds no personal data; a forgotten subscription is
removed, a busy or unreachable push service gets the message later, exactly once. The routes:
who may subscribe, replacing and removing a device's subscription. Real stores (SQLite and
PostgreSQL, PouchDB Server)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Device, utcnow
from server.accounts.sessions import session_config
from server.app import create_app
from server.applications import transitions
from server.devenv import generate_vapid_keys
from server.push.dispatch import Dispatcher
from server.push.enqueue import enqueue_from_outbox
from server.push.messages import TEXTS, TTL_SECONDS
from server.push.models import PushMessage, PushSubscription
from server.settings import PushSettings
from sync.models import Application
from tests.conftest import make_settings
from tests.factories import citizen_session, seed_regions
from tests.integration.test_issuance import DPMPTSP, SIP, SIP_VALUES
from tests.support.drafts import Stores, draft, with_stores
from tests.support.pushstub import PushService, Subscriber, vapid_claims

PRIVATE, PUBLIC = generate_vapid_keys()
VAPID = PushSettings(vapid_private_key=PRIVATE, vapid_public_key=PUBLIC, subject="mailto:admin@mpp.example.go.id")


@pytest.fixture
def stores(sql_url, fresh_couch):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    return lambda fn: with_stores(sql_url, fresh_couch, fn)


@pytest.fixture
def service():
    with PushService() as running:
        yield running


async def subscribed(s: Stores, service: PushService) -> tuple[str, Subscriber]:
    """A person with a database and one device subscribed to `service`."""
    db = await s.account()
    account_id = db.removeprefix("userdb-")
    phone = Subscriber(service.endpoint())
    sub = phone.subscription()
    async with AsyncSession(s.engine) as session:
        device = Device(id=account_id[:16] + "d" * 16, account_id=account_id, name="Chrome di Android")
        session.add(device)
        session.add(PushSubscription(account_id=account_id, device_id=device.id, endpoint=sub["endpoint"], endpoint_key=account_id * 2,
                                     p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
        await session.commit()
    return db, phone


async def submit(s: Stores, db: str) -> Application:
    (doc,) = await s.put(db, draft(service=SIP, values=SIP_VALUES))
    await publish(s)
    (app,) = await s.rows(Application, Application.draft_id == doc["_id"])
    return app


async def publish(s: Stores) -> None:
    """Ingest, publish the status docs and make the push messages, as the worker does."""
    await s.work()
    while (await enqueue_from_outbox(s.engine))[0]:
        pass


async def ask_revision(s: Stores, app_id: int) -> None:
    async with AsyncSession(s.engine, expire_on_commit=False) as session:
        await transitions.act(session, await session.get(Application, app_id), "request_revision", DPMPTSP, s.rules,
                              note="Foto STR tidak terbaca.", notes={"nomor_str": "Tulis nomor STR seperti pada dokumen."})
        await session.commit()
    await publish(s)


async def drain(dispatcher: Dispatcher) -> None:
    while (await dispatcher.run_once()).claimed:
        pass


def test_a_status_change_reaches_the_device_encrypted_signed_and_without_personal_data(stores, service, caplog):
    caplog.set_level(logging.INFO, logger="mpp.push")

    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        dispatcher = Dispatcher(s.engine, VAPID)
        app = await submit(s, db)
        await drain(dispatcher)
        await ask_revision(s, app.id)
        await drain(dispatcher)
        await dispatcher.aclose()
        return app, phone, await s.rows(PushMessage)

    app, phone, messages = stores(go)
    got = service.delivered_to(phone.endpoint)
    assert [phone.decrypt(r) for r in got] == [
        {"n": app.tracking_number, "s": "received", "title": TEXTS["received"][0], "body": TEXTS["received"][1].format(n=app.tracking_number)},
        {"n": app.tracking_number, "s": "needs_revision", "title": TEXTS["needs_revision"][0],
         "body": TEXTS["needs_revision"][1].format(n=app.tracking_number)},
    ]
    assert [r.headers["urgency"] for r in got] == ["normal", "high"]
    assert {r.headers["ttl"] for r in got} == {str(TTL_SECONDS)} and TTL_SECONDS <= 7 * 24 * 3600
    for received in got:
        claims = vapid_claims(received, phone.endpoint)
        assert claims["sub"] == VAPID.subject and claims["k"] == PUBLIC
        assert received.at < claims["exp"] <= received.at + 24 * 3600
        assert len(received.body) <= 1024 + 103  # the payload ≤ 1 KB, plus the aes128gcm header and tag
    plain = json.dumps([phone.decrypt(r) for r in got], ensure_ascii=False)
    wire = b"".join(r.body + json.dumps(r.headers).encode() for r in got)
    for value in SIP_VALUES.values():  # NIK, name, STR number, address, phone, …
        if len(value) > 4:
            assert value not in plain and value.encode() not in wire and value not in caplog.text, value
    assert all(m.outcome == "delivered" and m.attempts == 1 and m.last_status == 201 for m in messages)
    attempts = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert len(attempts) == 2 and all("-> delivered" in line and "201" in line for line in attempts)
    assert not any(phone.endpoint.rsplit("/", 1)[1] in line for line in attempts), "the endpoint's token stays out of the log"


def test_a_subscription_the_push_service_forgot_is_removed(stores, service):
    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        service.answer(phone.endpoint, 410)
        await submit(s, db)
        dispatcher = Dispatcher(s.engine, VAPID)
        await drain(dispatcher)
        await dispatcher.aclose()
        return await s.rows(PushMessage), await s.count(PushSubscription)

    (message,), left = stores(go)
    assert (message.outcome, message.last_status, left) == ("gone", 410, 0)


def test_a_busy_push_service_gets_the_message_again_after_retry_after_and_only_once(stores, service):
    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        service.answer(phone.endpoint, (503, {"Retry-After": "1"}), 201)
        await submit(s, db)
        dispatcher = Dispatcher(s.engine, VAPID, backoff_seconds=0.05)
        first = await dispatcher.run_once()
        (waiting,) = await s.rows(PushMessage)
        early = await dispatcher.run_once()  # Retry-After says 1 s: not before
        await asyncio.sleep(1.1)
        await drain(dispatcher)
        await dispatcher.aclose()
        return phone, first, waiting, early, await s.rows(PushMessage)

    phone, first, waiting, early, (message,) = stores(go)
    assert (first.retried, early.claimed) == (1, 0)
    assert waiting.next_attempt_at - utcnow() > timedelta(seconds=-1.2) and waiting.last_status == 503
    assert [r.status for r in service.received] == [503, 201] and len(service.delivered_to(phone.endpoint)) == 1
    assert (message.outcome, message.attempts) == ("delivered", 2)


def test_a_change_made_while_the_push_service_is_down_is_delivered_when_it_is_back(stores, service):
    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        service.stop()
        app = await submit(s, db)
        dispatcher = Dispatcher(s.engine, VAPID, backoff_seconds=0.2)
        down = await dispatcher.run_once()
        service.start()  # the same port
        deadline = time.monotonic() + 10
        while not service.delivered_to(phone.endpoint) and time.monotonic() < deadline:
            await dispatcher.run_once()
            await asyncio.sleep(0.1)
        await drain(dispatcher)
        await dispatcher.aclose()
        return app, phone, down, await s.rows(PushMessage)

    app, phone, down, (message,) = stores(go)
    assert down.retried == 1
    (got,) = service.delivered_to(phone.endpoint)
    assert phone.decrypt(got)["n"] == app.tracking_number
    assert (message.outcome, message.attempts) == ("delivered", 2)


def test_of_two_changes_waiting_together_only_the_newer_is_sent(stores, service):
    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        app = await submit(s, db)
        await ask_revision(s, app.id)  # the dispatcher was not running: both wait
        dispatcher = Dispatcher(s.engine, VAPID)
        await drain(dispatcher)
        await dispatcher.aclose()
        return phone, await s.rows(PushMessage)

    phone, messages = stores(go)
    assert [phone.decrypt(r)["s"] for r in service.received] == ["needs_revision"]
    assert sorted((m.state, m.outcome) for m in messages) == [("needs_revision", "delivered"), ("received", "superseded")]


def test_a_message_that_cannot_be_encrypted_fails_alone(stores, service):
    async def go(s: Stores):
        db, phone = await subscribed(s, service)
        broken_db, _ = await subscribed(s, service)
        async with AsyncSession(s.engine) as session:  # keys no browser would give (the route refuses them)
            await session.exec(update(PushSubscription).where(PushSubscription.account_id == broken_db.removeprefix("userdb-"))
                               .values(p256dh="AAAA"))
            await session.commit()
        await submit(s, db)
        await submit(s, broken_db)
        dispatcher = Dispatcher(s.engine, VAPID)
        await drain(dispatcher)
        await dispatcher.aclose()
        return phone, await s.rows(PushMessage)

    phone, messages = stores(go)
    assert sorted(m.outcome for m in messages) == ["delivered", "failed"]
    assert len(service.delivered_to(phone.endpoint)) == 1


def test_changes_from_before_the_subscription_are_not_pushed(stores, service):
    async def go(s: Stores):
        db = await s.account()
        app = await submit(s, db)  # no device subscribed yet
        async with AsyncSession(s.engine) as session:
            account_id = db.removeprefix("userdb-")
            session.add(Device(id="e" * 32, account_id=account_id, name="Chrome di Android"))
            sub = Subscriber(service.endpoint()).subscription()
            session.add(PushSubscription(account_id=account_id, device_id="e" * 32, endpoint=sub["endpoint"], endpoint_key="f" * 64,
                                         p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"], created_at=utcnow()))
            await session.commit()
        await publish(s)
        before = await s.count(PushMessage)
        await ask_revision(s, app.id)
        return before, await s.rows(PushMessage)

    before, (message,) = stores(go)
    assert before == 0 and message.state == "needs_revision"


# --- routes -------------------------------------------------------------------------------

@pytest.fixture
def web(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        yield client, settings


def test_a_signed_in_device_subscribes_replaces_and_turns_notifications_off(web, sql_url):
    client, settings = web
    phone = Subscriber("https://push.example.net/send/abc")
    assert client.get("/api/push/key").json() == {"public_key": settings.push.vapid_public_key}
    assert client.post("/api/push/subscriptions", json=phone.subscription()).status_code == 401
    assert client.get("/api/push/subscriptions").status_code == 401
    assert client.delete("/api/push/subscriptions").status_code == 401

    client.set_session_data(citizen_session(sql_url, settings.pii_key))
    assert client.get("/api/push/subscriptions").json() == {"enabled": False}
    r = client.post("/api/push/subscriptions", json=phone.subscription())
    assert (r.status_code, r.json()) == (201, {"enabled": True})
    renewed = Subscriber("https://push.example.net/send/def")
    assert client.post("/api/push/subscriptions", json=renewed.subscription()).status_code == 201
    rows = rows_of(client, PushSubscription)
    assert [row.endpoint for row in rows] == [renewed.endpoint], "a device keeps one subscription, the newest"
    assert client.get("/api/push/subscriptions").json() == {"enabled": True}

    bad = {**phone.subscription(), "keys": {"p256dh": "AAAA", "auth": "AAAA"}}
    r = client.post("/api/push/subscriptions", json=bad)
    assert r.status_code == 400 and r.json()["code"] == "push.subscription_invalid" and "notifikasi" in r.json()["message"]
    r = client.post("/api/push/subscriptions", json={**phone.subscription(), "endpoint": "ftp://push.example.net/x"})
    assert r.status_code == 400 and r.json()["code"] == "push.subscription_invalid"

    assert client.delete("/api/push/subscriptions").json() == {"enabled": False}
    assert rows_of(client, PushSubscription) == []
    assert client.post("/api/push/subscriptions", json=phone.subscription()).status_code == 201
    assert client.post("/api/identity/logout").status_code == 200
    assert rows_of(client, PushSubscription) == [], "signing out ends the device's notifications"


def test_revoking_a_device_ends_its_notifications(web, sql_url):
    client, settings = web
    session = citizen_session(sql_url, settings.pii_key)
    client.set_session_data(session)
    lost = Subscriber("https://push.example.net/send/lost-phone")

    async def second_device():  # the person's other phone, subscribed, now lost
        async with AsyncSession(client.app.state.engine) as db:
            db.add(Device(id="9" * 32, account_id=session["account"], name="Chrome di Android"))
            sub = lost.subscription()
            db.add(PushSubscription(account_id=session["account"], device_id="9" * 32, endpoint=sub["endpoint"], endpoint_key="9" * 64,
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
            await db.commit()

    client.blocking_portal.call(second_device)
    assert client.post("/api/push/subscriptions", json=Subscriber("https://push.example.net/send/this").subscription()).status_code == 201
    assert client.delete(f"/api/identity/devices/{'9' * 32}").status_code == 200
    assert [row.endpoint for row in rows_of(client, PushSubscription)] == ["https://push.example.net/send/this"]


def test_production_accepts_only_https_endpoints_on_public_hosts():
    from server.push.routes import SubscriptionIn, KeysIn, SubscriptionInvalid, check_subscription

    keys = Subscriber("https://x.example").subscription()["keys"]
    for endpoint in ("http://push.example.net/a", "https://localhost/a", "https://127.0.0.1/a", "https://10.0.0.5/a",
                     "https://[::1]/a", "https://169.254.169.254/latest"):
        with pytest.raises(SubscriptionInvalid):
            check_subscription(SubscriptionIn(endpoint=endpoint, keys=KeysIn(**keys)), production=True)
    check_subscription(SubscriptionIn(endpoint="https://fcm.googleapis.com/fcm/send/abc", keys=KeysIn(**keys)), production=True)
    check_subscription(SubscriptionIn(endpoint="http://127.0.0.1:9/push/a", keys=KeysIn(**keys)), production=False)


def rows_of(client: TestClient, model: type) -> list:
    from sqlmodel import select

    async def read():
        async with AsyncSession(client.app.state.engine) as session:
            return list(await session.exec(select(model)))

    return client.blocking_portal.call(read)
