"""Imports every table so that `SQLModel.metadata` (and Alembic) sees the whole schema."""

from identity.models import Account, AssuranceEvent, Credential, Device, OneTimeCode, RoleGrant, Throttle
from identity.registry_models import Resident
from server.catalog.models import Agency, Region, RegionDay, RegionService, Service, ServiceVersion

__all__ = [
    "Account", "Agency", "AssuranceEvent", "Credential", "Device", "OneTimeCode", "Region", "RegionDay", "RegionService",
    "Resident", "RoleGrant", "Service", "ServiceVersion", "Throttle",
]
