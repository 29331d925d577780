"""Public catalog: server-rendered pages (work without JavaScript) and the same data as JSON.

Every route here is public (guard `public`): a standar pelayanan must be published openly
(UU 25/2009 art. 22).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.models import Region, ServiceVersion
from server.catalog.service import CatalogService, fee_label

PUBLIC = {"guard": "public"}


async def provide_catalog(db_session: NamedDependency[AsyncSession], request: Request) -> CatalogService:
    return CatalogService(db_session, request.app.state.couch)


@dataclass
class RegionOut:
    code: str
    name: str
    kind: str
    province_code: str
    province_name: str


@dataclass
class AgencyOut:
    kind: str
    name: str
    short_name: str
    locations: list[dict[str, Any]]


@dataclass
class RegionDetailOut(RegionOut):
    agencies: list[AgencyOut]


@dataclass
class ServiceSummaryOut:
    id: str
    version: int
    name_id: str
    name_en: str
    category: str
    owner_agency: str
    sla_days: int
    fee_idr: int
    fee_label: str
    assurance: str


@dataclass
class ServiceVersionOut:
    id: str
    region: str
    version: int
    published_at: str
    fee_label: str
    content: dict[str, Any]


def region_out(r: Region) -> RegionOut:
    return RegionOut(code=r.code, name=r.name, kind=r.kind, province_code=r.province_code, province_name=r.province_name)


def summary_out(v: ServiceVersion) -> ServiceSummaryOut:
    c = v.content
    return ServiceSummaryOut(id=v.service_id, version=v.version, name_id=c["name_id"], name_en=c["name_en"], category=c["category"],
                             owner_agency=c["owner_agency"], sla_days=c["sla_days"], fee_idr=c["fee_idr"],
                             fee_label=fee_label(c["fee_idr"]), assurance=c["assurance"])


def version_out(v: ServiceVersion) -> ServiceVersionOut:
    return ServiceVersionOut(id=v.service_id, region=v.region_code, version=v.version, published_at=v.published_at.isoformat(),
                             fee_label=fee_label(v.content["fee_idr"]), content=v.content)


class CatalogApi(Controller):
    path = "/api/regions"
    tags = ["catalog"]
    opt = PUBLIC
    dependencies = {"catalog": Provide(provide_catalog)}

    @get("/")
    async def list_regions(self, catalog: NamedDependency[CatalogService]) -> list[RegionOut]:
        """Public: every region that runs MPP Digital."""
        return [region_out(r) for r in await catalog.regions()]

    @get("/{code:str}")
    async def get_region(self, code: FromPath[str], catalog: NamedDependency[CatalogService]) -> RegionDetailOut:
        """Public: one region with its agencies."""
        r = await catalog.region(code)
        agencies = [AgencyOut(kind=a.kind, name=a.name, short_name=a.short_name, locations=a.locations) for a in await catalog.agencies(code)]
        return RegionDetailOut(**region_out(r).__dict__, agencies=agencies)

    @get("/{code:str}/services")
    async def list_services(self, code: FromPath[str], catalog: NamedDependency[CatalogService], q: FromQuery[str | None] = None) -> list[ServiceSummaryOut]:
        """Public: the services the region offers now (current versions), optionally searched with `q`."""
        await catalog.region(code)
        return [summary_out(v) for v in await catalog.offered(code, q)]

    @get("/{code:str}/services/{service_id:str}")
    async def get_service(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService]) -> ServiceVersionOut:
        """Public: the current standar pelayanan of one service in the region."""
        return version_out(await catalog.current(code, service_id))

    @get("/{code:str}/services/{service_id:str}/versions/{version:int}")
    async def get_version(self, code: FromPath[str], service_id: FromPath[str], version: FromPath[int], catalog: NamedDependency[CatalogService]) -> ServiceVersionOut:
        """Public: one published version (drafts pin the version they were started with)."""
        return version_out(await catalog.version(code, service_id, version))


CATEGORY_LABELS = {"adminduk": "Administrasi kependudukan", "perizinan_nakes": "Perizinan tenaga kesehatan"}
SOURCE_LABELS = {"upload": "Unggah foto/dokumen", "ikd": "Diambil dari data kependudukan (tanpa unggah)",
                 "sisdmk": "Diambil dari SATUSEHAT SDMK (tanpa unggah)", "generated": "Dibuat otomatis dari isian formulir"}


class CatalogPages(Controller):
    path = "/wilayah"
    opt = PUBLIC
    include_in_schema = False
    dependencies = {"catalog": Provide(provide_catalog)}

    @get("/")
    async def regions_page(self, catalog: NamedDependency[CatalogService]) -> Template:
        regions = await catalog.regions()
        by_province: dict[str, list[Region]] = {}
        for r in regions:
            by_province.setdefault(r.province_name, []).append(r)
        return Template("catalog/regions.html.j2", context={"by_province": by_province, "count": len(regions)})

    @get("/{code:str}")
    async def region_page(self, code: FromPath[str], catalog: NamedDependency[CatalogService], q: FromQuery[str | None] = None) -> Template:
        region = await catalog.region(code)
        agencies = {a.kind: a for a in await catalog.agencies(code)}
        grouped: dict[str, dict[str, list[ServiceVersion]]] = {}
        versions = await catalog.offered(code, q)
        for v in versions:
            agency = agencies.get(v.content["owner_agency"])
            grouped.setdefault(agency.short_name if agency else v.content["owner_agency"], {}).setdefault(
                CATEGORY_LABELS.get(v.content["category"], v.content["category"]), []).append(v)
        return Template("catalog/region.html.j2", context={
            "region": region, "agencies": agencies, "grouped": grouped, "q": q or "", "count": len(versions), "fee_label": fee_label})

    @get("/{code:str}/layanan/{service_id:str}")
    async def service_page(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService]) -> Template:
        region = await catalog.region(code)
        version = await catalog.current(code, service_id)
        agencies = {a.kind: a for a in await catalog.agencies(code)}
        return Template("catalog/service.html.j2", context={
            "region": region, "v": version, "c": version.content, "agencies": agencies, "fee_label": fee_label,
            "source_labels": SOURCE_LABELS, "category_label": CATEGORY_LABELS.get(version.content["category"], "")})
