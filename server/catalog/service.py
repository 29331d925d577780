"""Catalog rules: what a region offers, publishing standar pelayanan versions, pushing them to devices."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog import formspec
from server.catalog.models import Agency, Region, RegionService, Service, ServiceVersion, utcnow
from server.catalog.seed import agencies_for, seed_services, template_of
from server.catalog.wilayah import districts
from sync.catalog import service_doc_id, write_catalog
from sync.couch import CouchClient

OVERRIDABLE = ("sla_days", "fee_idr", "requirements", "steps")


class CatalogError(Exception):
    """Base for catalog rule violations; `details` are safe to show."""

    def __init__(self, detail: str = "", **details: object) -> None:
        super().__init__(detail or type(self).__name__)
        self.details = details


class RegionNotFound(CatalogError):
    pass


class ServiceNotFound(CatalogError):
    pass


class ServiceNotOffered(CatalogError):
    """The region has not enabled (or never published) this service."""


@dataclass
class SpecInconsistent(CatalogError):
    """Publishing refused: every problem found in the form and requirements is listed."""

    problems: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        CatalogError.__init__(self, f"{len(self.problems)} problems", problems=self.problems, count=len(self.problems))


class InvalidOverride(CatalogError):
    pass


# --- content ---------------------------------------------------------------------------------


def effective_content(service: Service, overrides: dict[str, Any]) -> dict[str, Any]:
    """The template with a region's overrides applied and the form fields normalised."""
    content = copy.deepcopy(service.template)
    for key in OVERRIDABLE:
        if key in overrides:
            content[key] = copy.deepcopy(overrides[key])
    content["form_fields"] = [f.model_dump(mode="json", exclude_none=True) for f in formspec.normalize_seed_fields(content["form_fields"])]
    content["service_id"] = service.id
    return json.loads(json.dumps(content))  # exactly what the JSON column will give back


def check_content(content: dict[str, Any], agency_kinds: set[str]) -> list[dict[str, Any]]:
    """Every problem of a version about to be published (form spec, requirements, steps, numbers)."""
    fields = formspec.normalize_seed_fields(content["form_fields"])
    problems = [asdict(p) for p in formspec.check_spec(fields, content.get("requirements", []))]
    if not isinstance(content.get("sla_days"), int) or content["sla_days"] < 0:
        problems.append({"code": "spec.sla_invalid", "field_id": "sla_days", "message": "Waktu penyelesaian harus bilangan hari kerja, 0 atau lebih."})
    if not isinstance(content.get("fee_idr"), int) or content["fee_idr"] < 0:
        problems.append({"code": "spec.fee_invalid", "field_id": "fee_idr", "message": "Biaya harus bilangan rupiah, 0 atau lebih."})
    steps = content.get("steps") or []
    if not steps:
        problems.append({"code": "spec.steps_empty", "field_id": "steps", "message": "Layanan harus memiliki paling sedikit satu tahap proses."})
    seen: set[str] = set()
    for step in steps:
        if step.get("id") in seen:
            problems.append({"code": "spec.step_duplicate", "field_id": step.get("id"), "message": f"Tahap '{step.get('id')}' tercantum lebih dari sekali."})
        seen.add(step.get("id"))
        if step.get("agency") not in agency_kinds:
            problems.append({"code": "spec.step_agency_unknown", "field_id": step.get("id"),
                             "message": f"Tahap '{step.get('id')}' dimiliki instansi '{step.get('agency')}' yang tidak ada di daerah ini."})
    return problems


def catalog_doc(version: ServiceVersion, current: bool) -> dict[str, Any]:
    return {
        "_id": service_doc_id(version.service_id, version.version),
        "type": "service",
        "service_id": version.service_id,
        "version": version.version,
        "region": version.region_code,
        "current": current,
        "published_at": version.published_at.isoformat(),
        "content": version.content,
    }


# --- the service -----------------------------------------------------------------------------


class CatalogService:
    def __init__(self, session: AsyncSession, couch: CouchClient | None = None):
        self.session = session
        self.couch = couch

    async def region(self, code: str) -> Region:
        region = await self.session.get(Region, code)
        if region is None or not region.active:
            raise RegionNotFound(region=code)
        return region

    async def regions(self) -> list[Region]:
        return list((await self.session.exec(select(Region).where(Region.active).order_by(Region.province_code, Region.code))).all())

    async def agencies(self, region_code: str) -> list[Agency]:
        return list((await self.session.exec(select(Agency).where(Agency.region_code == region_code).order_by(Agency.id))).all())

    async def offered(self, region_code: str, query: str | None = None) -> list[ServiceVersion]:
        """The current published version of every service the region offers, optionally searched."""
        stmt = (
            select(ServiceVersion)
            .join(RegionService, (RegionService.region_code == ServiceVersion.region_code)
                  & (RegionService.service_id == ServiceVersion.service_id)
                  & (RegionService.current_version == ServiceVersion.version))
            .where(ServiceVersion.region_code == region_code, RegionService.enabled)
            .order_by(ServiceVersion.service_id)
        )
        versions = list((await self.session.exec(stmt)).all())
        if query:
            words = query.lower().split()
            versions = [v for v in versions if all(w in _search_text(v.content) for w in words)]
        return versions

    async def current(self, region_code: str, service_id: str) -> ServiceVersion:
        rs = await self.session.get(RegionService, (region_code, service_id))
        if rs is None or not rs.enabled or rs.current_version is None:
            raise ServiceNotOffered(region=region_code, service=service_id)
        return await self.version(region_code, service_id, rs.current_version)

    async def version(self, region_code: str, service_id: str, version: int) -> ServiceVersion:
        found = (await self.session.exec(select(ServiceVersion).where(
            ServiceVersion.region_code == region_code, ServiceVersion.service_id == service_id,
            ServiceVersion.version == version))).first()
        if found is None:
            raise ServiceNotFound(region=region_code, service=service_id, version=version)
        return found

    async def region_services(self, region_code: str) -> list[tuple[Service, RegionService | None]]:
        services = (await self.session.exec(select(Service).order_by(Service.category, Service.id))).all()
        rows = {rs.service_id: rs for rs in (await self.session.exec(select(RegionService).where(RegionService.region_code == region_code))).all()}
        return [(s, rows.get(s.id)) for s in services]

    async def set_enabled(self, region_code: str, service_id: str, enabled: bool) -> RegionService:
        rs = await self._region_service(region_code, service_id)
        rs.enabled = enabled
        rs.updated_at = utcnow()
        self.session.add(rs)
        await self.session.commit()
        await self.push_region(region_code)
        return rs

    async def set_overrides(self, region_code: str, service_id: str, overrides: dict[str, Any]) -> RegionService:
        unknown = set(overrides) - set(OVERRIDABLE)
        if unknown:
            raise InvalidOverride(keys=sorted(unknown))
        rs = await self._region_service(region_code, service_id)
        rs.overrides = {k: v for k, v in overrides.items() if v is not None}
        rs.updated_at = utcnow()
        self.session.add(rs)
        await self.session.commit()
        return rs

    async def preview(self, region_code: str, service_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The content the next publication would freeze, and its problems (empty when publishable)."""
        rs = await self._region_service(region_code, service_id)
        service = await self.session.get(Service, service_id)
        content = effective_content(service, rs.overrides)
        kinds = {a.kind for a in await self.agencies(region_code)}
        return content, check_content(content, kinds)

    async def publish(self, region_code: str, service_id: str, by: str = "system") -> ServiceVersion:
        """Freeze the effective content as the next version; refused with every problem listed."""
        content, problems = await self.preview(region_code, service_id)
        if problems:
            raise SpecInconsistent(problems=problems)
        rs = await self._region_service(region_code, service_id)
        latest = (await self.session.exec(select(func.max(ServiceVersion.version)).where(
            ServiceVersion.region_code == region_code, ServiceVersion.service_id == service_id))).one()
        if latest is not None and rs.current_version is not None:
            current = await self.version(region_code, service_id, rs.current_version)
            if current.content == content:
                return current  # nothing changed: publishing again is a no-op
        version = ServiceVersion(region_code=region_code, service_id=service_id, version=(latest or 0) + 1, content=content, published_by=by)
        self.session.add(version)
        rs.current_version = version.version
        rs.updated_at = utcnow()
        self.session.add(rs)
        await self.session.commit()
        await self.push_region(region_code)
        return version

    async def push_region(self, region_code: str) -> int:
        """Write the region's catalog to CouchDB: every version, `current` on the ones in use."""
        if self.couch is None:
            return 0
        region = await self.region(region_code)
        rows = {rs.service_id: rs for rs in (await self.session.exec(select(RegionService).where(RegionService.region_code == region_code))).all()}
        versions = (await self.session.exec(select(ServiceVersion).where(ServiceVersion.region_code == region_code)
                                            .order_by(col(ServiceVersion.service_id), col(ServiceVersion.version)))).all()
        docs = [catalog_doc(v, current=bool(rows.get(v.service_id) and rows[v.service_id].enabled
                                             and rows[v.service_id].current_version == v.version)) for v in versions]
        docs.append(region_doc(region, await self.agencies(region_code)))
        return await write_catalog(self.couch, region_code, docs)

    async def _region_service(self, region_code: str, service_id: str) -> RegionService:
        await self.region(region_code)
        if await self.session.get(Service, service_id) is None:
            raise ServiceNotFound(service=service_id)
        rs = await self.session.get(RegionService, (region_code, service_id))
        if rs is None:
            rs = RegionService(region_code=region_code, service_id=service_id, enabled=False, overrides={})
            self.session.add(rs)
            await self.session.flush()
        return rs

    # --- seed ------------------------------------------------------------------------------

    async def seed_services(self) -> int:
        """Insert or refresh the national templates from the project's seed file."""
        added = 0
        for seed in seed_services():
            template = template_of(seed)
            existing = await self.session.get(Service, seed["id"])
            if existing is None:
                self.session.add(Service(id=seed["id"], name_id=seed["name_id"], name_en=seed["name_en"], category=seed["category"],
                                         subcategory=seed.get("subcategory", ""), owner_agency=template["owner_agency"], template=template))
                added += 1
            elif existing.template != template:
                existing.template = template
                self.session.add(existing)
        await self.session.commit()
        return added

    async def seed_region(self, region: Region) -> int:
        """Agencies for the region and every seeded service enabled and published (demo data)."""
        added = 0
        kinds = {a.kind for a in await self.agencies(region.code)}
        for spec in agencies_for(region.name):
            if spec["kind"] not in kinds:
                self.session.add(Agency(region_code=region.code, **spec))
                added += 1
        await self.session.commit()
        for service in (await self.session.exec(select(Service))).all():
            rs = await self.session.get(RegionService, (region.code, service.id))
            if rs is None:
                self.session.add(RegionService(region_code=region.code, service_id=service.id, enabled=True, overrides={}))
                await self.session.commit()
                await self._publish_quietly(region.code, service.id)
                added += 1
        return added

    async def _publish_quietly(self, region_code: str, service_id: str) -> None:
        couch, self.couch = self.couch, None  # one push for the whole region, after the loop
        try:
            await self.publish(region_code, service_id, by="seed")
        finally:
            self.couch = couch

    # --- region admin (back office) ------------------------------------------------------------

    async def enable(self, region_code: str, service_id: str, by: str = "system") -> ServiceVersion:
        """Offer a service; one never published is published first, and stays off if that is refused."""
        rs = await self._region_service(region_code, service_id)
        if rs.current_version is None:
            couch, self.couch = self.couch, None  # set_enabled pushes once, below
            try:
                await self.publish(region_code, service_id, by=by)
            finally:
                self.couch = couch
        await self.set_enabled(region_code, service_id, True)
        return await self.current(region_code, service_id)

    async def current_versions(self, region_code: str) -> dict[str, ServiceVersion]:
        """The version in force of every service the region has published, enabled or not."""
        stmt = (
            select(ServiceVersion)
            .join(RegionService, (RegionService.region_code == ServiceVersion.region_code)
                  & (RegionService.service_id == ServiceVersion.service_id)
                  & (RegionService.current_version == ServiceVersion.version))
            .where(ServiceVersion.region_code == region_code)
        )
        return {v.service_id: v for v in (await self.session.exec(stmt)).all()}

    async def unpublished(self, region_code: str) -> set[str]:
        """Services whose next publication would differ from the version in force."""
        current = await self.current_versions(region_code)
        return {service.id for service, rs in await self.region_services(region_code)
                if rs is not None and service.id in current and effective_content(service, rs.overrides) != current[service.id].content}


def region_doc(region: Region, agencies: list[Agency]) -> dict[str, Any]:
    """`region:<code>` in the region's catalog database: what the device needs besides the
    services — the agencies with their service points (where to go, which counter, when), and
    the region's kecamatan, so forms offer pickers instead of asking for codes."""
    return {
        "_id": f"region:{region.code}", "type": "region", "code": region.code, "name": region.name,
        "kind": region.kind, "province": region.province_name,
        "agencies": [{"kind": a.kind, "name": a.name, "short_name": a.short_name, "locations": a.locations} for a in agencies],
        "districts": [{"code": d.code, "name": d.name} for d in districts(region.code)],
    }


def _search_text(content: dict[str, Any]) -> str:
    parts = [content.get("name_id", ""), content.get("name_en", ""), content.get("short_name") or "", content.get("category", ""),
             content.get("output", {}).get("label_id", "")]
    return " ".join(parts).lower()


def fee_label(fee_idr: int) -> str:
    """Rp 0 shows as "Gratis"; other fees as Indonesian rupiah, e.g. "Rp 150.000"."""
    return "Gratis" if fee_idr == 0 else "Rp " + f"{fee_idr:,}".replace(",", ".")
