"""Push subscriptions per device, the messages sent to them, and how far each application was notified."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from identity.models import utcnow


class PushSubscription(SQLModel, table=True):
    """One signed-in device's push subscription (at most one per device; a new one replaces it)."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=32)
    device_id: str = Field(foreign_key="device.id", unique=True, max_length=32)
    endpoint: str = Field(max_length=1024)
    endpoint_key: str = Field(unique=True, max_length=64)  # sha256 of the endpoint: one row per browser subscription
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PushMessage(SQLModel, table=True):
    """One status change to send to one subscription, and what became of it.

    The payload is not stored: it is made at send time from the application's tracking number
    and `state`. `outcome`: pending, delivered, gone (the push service forgot the subscription),
    superseded (a newer change of the application went to the device first), failed (refused,
    or still failing after the last retry)."""

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        # the dispatcher asks only for pending messages that are due
        Index("ix_pushmessage_pending", "next_attempt_at", sqlite_where=text("outcome = 'pending'"),
              postgresql_where=text("outcome = 'pending'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int | None = Field(default=None, index=True)  # none once the subscription was removed
    account_id: str = Field(max_length=32)
    application_id: int = Field(index=True)
    event_id: int
    state: str = Field(max_length=24)
    changed_at: datetime  # when the status changed (committed), for the delivery latency
    created_at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    last_status: int | None = None  # the push service's HTTP status of the last attempt
    last_error: str | None = Field(default=None, max_length=200)


class PushCursor(SQLModel, table=True):
    """The newest event of an application that push messages were made for."""

    application_id: int = Field(primary_key=True)
    event_id: int
