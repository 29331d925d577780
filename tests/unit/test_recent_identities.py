"""The short-lived identity reuse of replication requests: which requests may reuse, expiry, forgetting."""

from __future__ import annotations

from datetime import datetime, timezone

from identity.accounts import Identity
from server.accounts import guards
from server.accounts.guards import RecentIdentities, _reuses_identity


def who(account: str = "a1") -> Identity:
    return Identity(account_id=account, kind="citizen", display_name="X", assurance="basic", device_id="d1",
                    auth_at=datetime(2026, 1, 1, tzinfo=timezone.utc), grants=())


def test_only_replication_requests_that_write_no_document_reuse_an_identity():
    assert _reuses_identity("GET", "/sync/me/_changes")
    assert _reuses_identity("POST", "/sync/me/_revs_diff")
    assert _reuses_identity("POST", "/sync/me/_bulk_get")
    assert _reuses_identity("PUT", "/sync/me/_local/abc")
    assert not _reuses_identity("POST", "/sync/me/_bulk_docs")
    assert not _reuses_identity("PUT", "/sync/me/draft%3A123")
    assert not _reuses_identity("DELETE", "/sync/me/draft%3A123")
    assert not _reuses_identity("GET", "/api/identity/me")
    assert not _reuses_identity("POST", "/api/identity/logout")


def test_an_identity_is_reused_for_ttl_seconds_then_loaded_again(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(guards.time, "monotonic", lambda: now[0])
    recent = RecentIdentities(ttl=5.0)
    key = ("a1", "d1", "t")
    recent.put(key, who())
    now[0] += 4.9
    assert recent.get(key) is not None
    now[0] += 0.2
    assert recent.get(key) is None


def test_forgetting_an_account_drops_all_its_devices_only():
    recent = RecentIdentities()
    recent.put(("a1", "d1", "t"), who("a1"))
    recent.put(("a1", "d2", "t"), who("a1"))
    recent.put(("a2", "d3", "t"), who("a2"))
    recent.forget("a1")
    assert recent.get(("a1", "d1", "t")) is None and recent.get(("a1", "d2", "t")) is None
    assert recent.get(("a2", "d3", "t")) is not None


def test_the_cache_never_grows_past_its_size():
    recent = RecentIdentities(size=3)
    for i in range(10):
        recent.put((f"a{i}", "d", "t"), who(f"a{i}"))
    assert len(recent._entries) <= 3
