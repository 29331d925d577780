"""Imports every table so that `SQLModel.metadata` (and Alembic) sees the whole schema."""

from server.catalog.models import Agency, Region, RegionDay, RegionService, Service, ServiceVersion

__all__ = ["Agency", "Region", "RegionDay", "RegionService", "Service", "ServiceVersion"]
