"""Imports every table so that `SQLModel.metadata` (and Alembic) sees the whole schema."""

from identity.models import Account, AssuranceEvent, Credential, Device, OneTimeCode, RoleGrant, Throttle
from identity.registry_models import Resident
from server.catalog.models import Agency, Region, RegionDay, RegionService, Service, ServiceVersion
from sync.models import Application, ApplicationEvent, IngestCursor, Outbox, Submission, TrackingSequence, WorkflowStep

__all__ = [
    "Account", "Agency", "Application", "ApplicationEvent", "AssuranceEvent", "Credential", "Device", "IngestCursor", "OneTimeCode",
    "Outbox", "Region", "RegionDay", "RegionService", "Resident", "RoleGrant", "Service", "ServiceVersion", "Submission", "Throttle",
    "TrackingSequence", "WorkflowStep",
]
