"""Imports every table so that `SQLModel.metadata` (and Alembic) sees the whole schema."""

from identity.models import Account, AssuranceEvent, Credential, Device, OneTimeCode, RoleGrant, Throttle
from identity.registry_models import Resident
from server.catalog.models import Agency, Region, RegionDay, RegionService, Service, ServiceVersion
from server.audit.models import AuditEntry, AuditHead
from server.push.models import PushCursor, PushMessage, PushSubscription
from sync.models import (
    Application, ApplicationEvent, Blob, BlobOwner, IngestCursor, IssuedDocument, Outbox, PurgeCursor, RequirementCheck, Submission,
    TrackingSequence, Upload, WalletDocument, WorkflowStep,
)

__all__ = [
    "Account", "Agency", "Application", "ApplicationEvent", "AuditEntry", "AuditHead", "Blob", "BlobOwner", "IssuedDocument", "PurgeCursor",
    "RequirementCheck", "Upload", "WalletDocument", "AssuranceEvent", "Credential", "Device", "IngestCursor", "OneTimeCode",
    "Outbox", "PushCursor", "PushMessage", "PushSubscription", "Region", "RegionDay", "RegionService", "Resident", "RoleGrant", "Service", "ServiceVersion", "Submission", "Throttle",
    "TrackingSequence", "WorkflowStep",
]
