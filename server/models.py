"""Imports every table so that `SQLModel.metadata` (and Alembic) sees the whole schema."""

from server.catalog.models import Region

__all__ = ["Region"]
