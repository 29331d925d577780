"""Catalog tables."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Region(SQLModel, table=True):
    """A kabupaten/kota that runs an MPP Digital, keyed by its Kemendagri code (e.g. `21.71`)."""

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=10)  # "kabupaten" | "kota"
    province_code: str = Field(max_length=2, index=True)
    province_name: str = Field(max_length=80)
    active: bool = Field(default=True)
