"""Region admin pages for a region's catalog: which services it offers, its overrides, publishing, its days.

A region may change four parts of a standar pelayanan (time, fee, requirements, steps); every
change is kept as an override until it is published as a new immutable version, so the page
shows both what is in force and what would be published. Pages are server-rendered, usable
without JavaScript, and every form carries the CSRF token. A form with mistakes comes back
with the input kept and the message beside the field (400), never a 500.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog import conditions
from server.catalog.formspec import MONTHS
from server.catalog.models import Agency, Region, Service
from server.catalog.regiondays import RegionDayService, due_examples, national_status, region_today
from server.catalog.routes import CATEGORY_LABELS, SOURCE_LABELS, provide_catalog
from server.catalog.service import OVERRIDABLE, CatalogService, SpecInconsistent, fee_label
from server.catalog.workdays import cuti_bersama_published

ADMIN = {"guard": "region_admin"}  # the app-wide guard checks the grant is for the region in the path


def acting_admin(request: Request) -> str:
    """The signed-in region admin, recorded as who enabled or published a version."""
    who = request.scope["state"]["identity"]
    return f"{who.display_name} ({who.account_id[:8]})"
SEE_OTHER = 303

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
TYPE_LABELS = {
    "text": "Teks", "textarea": "Teks panjang", "number": "Angka", "date": "Tanggal", "select": "Pilihan (daftar)",
    "radio": "Pilihan (satu)", "checkbox": "Centang", "nik": "NIK", "kk": "Nomor KK", "phone": "Nomor HP",
    "email": "Email", "photo": "Foto", "document": "Dokumen",
}
PART_LABELS = {"sla_days": "Waktu penyelesaian", "fee_idr": "Biaya", "requirements": "Persyaratan", "steps": "Tahapan proses",
               "form_fields": "Formulir permohonan"}

MAX_SLA_DAYS = 365
MAX_FEE_IDR = 1_000_000_000
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,79}")
ROW_KEY = re.compile(r"(req|step)-(\d{1,3})-([a-z]+)")


def tanggal(d: date) -> str:
    """`Senin, 12 Januari 2026`."""
    return f"{DAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}"


async def provide_region_days(db_session: NamedDependency[AsyncSession]) -> RegionDayService:
    return RegionDayService(db_session)


# --- the overrides form ------------------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):  # a repeated key: the last one wins, as a browser would send one
        value = value[-1] if value else ""
    return str(value).strip()


def _slug(text: str, prefix: str, taken: set[str]) -> str:
    """A stable id for a new row, from its label: `Surat pengantar RT/RW` -> `surat_pengantar_rt_rw`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:40].rstrip("_") or prefix
    if not base[0].isalpha():
        base = f"{prefix}_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


@dataclass
class RequirementRow:
    id: str = ""
    label: str = ""
    wajib: bool = False
    sumber: str = "upload"
    kondisi: str = ""
    hapus: bool = False

    @property
    def blank(self) -> bool:
        return not (self.id or self.label or self.kondisi or self.wajib)


@dataclass
class StepRow:
    id: str = ""
    nama: str = ""
    instansi: str = ""
    urutan: str = ""
    hapus: bool = False

    @property
    def blank(self) -> bool:
        return not (self.id or self.nama)


@dataclass
class OverridesForm:
    """What the admin typed, kept as text so a form with mistakes comes back exactly as sent."""

    sla_days: str
    fee_idr: str
    requirements: list[RequirementRow]
    steps: list[StepRow]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_content(cls, content: Mapping[str, Any]) -> OverridesForm:
        reqs = [RequirementRow(id=r["id"], label=r.get("label_id", ""), wajib=bool(r.get("required")), sumber=r.get("source", "upload"),
                               kondisi=r.get("when") or "") for r in content.get("requirements", [])]
        steps = [StepRow(id=s["id"], nama=s.get("name_id", ""), instansi=s.get("agency", ""), urutan=str(i))
                 for i, s in enumerate(content.get("steps", []), start=1)]
        return cls(sla_days=str(content.get("sla_days", "")), fee_idr=str(content.get("fee_idr", "")),
                   requirements=reqs, steps=steps).with_blank_rows()

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> OverridesForm:
        rows: dict[tuple[str, int], dict[str, str]] = {}
        for key in data:
            if m := ROW_KEY.fullmatch(key):
                rows.setdefault((m[1], int(m[2])), {})[m[3]] = _text(data, key)
        reqs, steps = [], []
        for (kind, _), v in sorted(rows.items()):
            if kind == "req":
                reqs.append(RequirementRow(id=v.get("id", ""), label=v.get("label", ""), wajib=bool(v.get("wajib")),
                                           sumber=v.get("sumber", "upload"), kondisi=v.get("kondisi", ""), hapus=bool(v.get("hapus"))))
            else:
                steps.append(StepRow(id=v.get("id", ""), nama=v.get("nama", ""), instansi=v.get("instansi", ""),
                                     urutan=v.get("urutan", ""), hapus=bool(v.get("hapus"))))
        return cls(sla_days=_text(data, "sla_days"), fee_idr=_text(data, "fee_idr"), requirements=reqs, steps=steps)

    def with_blank_rows(self, requirement: bool = True, step: bool = True) -> OverridesForm:
        """One more empty row to fill in (adding a requirement or step without JavaScript)."""
        if requirement:
            self.requirements.append(RequirementRow())
        if step:
            last = max((int(s.urutan) for s in self.steps if s.urutan.isdigit()), default=0)
            self.steps.append(StepRow(urutan=str(last + 1)))
        return self

    # -- checking

    def validate(self, agency_kinds: set[str]) -> bool:
        """Fill `errors` (form key -> message beside that field); True when there are none."""
        e = self.errors
        e.clear()
        if (sla := _whole_number(self.sla_days)) is None:
            e["sla_days"] = "Isi waktu penyelesaian dengan bilangan bulat hari kerja, 0 atau lebih, mis. 5."
        elif sla > MAX_SLA_DAYS:
            e["sla_days"] = f"Waktu penyelesaian paling lama {MAX_SLA_DAYS} hari kerja."
        fee = _whole_number(self.fee_idr.removeprefix("Rp").replace(".", "").replace(" ", ""))
        if fee is None:
            e["fee_idr"] = "Isi biaya dalam rupiah tanpa sen, mis. 0 (gratis) atau 150000."
        elif fee > MAX_FEE_IDR:
            e["fee_idr"] = "Biaya terlalu besar; periksa jumlah nolnya."
        for i, r in enumerate(self.requirements):
            if r.hapus or r.blank:
                continue
            if r.id and not ID_PATTERN.fullmatch(r.id):
                e[f"req-{i}-label"] = "Baris ini rusak; muat ulang halaman lalu ulangi perubahan."
            if not r.label:
                e[f"req-{i}-label"] = "Tulis nama persyaratan, atau centang Hapus."
            elif len(r.label) > 300:
                e[f"req-{i}-label"] = "Nama persyaratan paling panjang 300 huruf."
            if r.sumber not in SOURCE_LABELS:
                e[f"req-{i}-sumber"] = "Pilih sumber dari daftar."
            if r.kondisi and (problem := _condition_problem(r.kondisi)):
                e[f"req-{i}-kondisi"] = problem
        kept = 0
        for i, s in enumerate(self.steps):
            if s.hapus or s.blank:
                continue
            kept += 1
            if s.id and not ID_PATTERN.fullmatch(s.id):
                e[f"step-{i}-nama"] = "Baris ini rusak; muat ulang halaman lalu ulangi perubahan."
            if not s.nama:
                e[f"step-{i}-nama"] = "Tulis nama tahap, atau centang Hapus."
            elif len(s.nama) > 200:
                e[f"step-{i}-nama"] = "Nama tahap paling panjang 200 huruf."
            if s.instansi not in agency_kinds:
                e[f"step-{i}-instansi"] = "Pilih instansi pemilik tahap ini dari daftar instansi daerah."
            if (n := _whole_number(s.urutan)) is None or not 1 <= n <= 999:
                e[f"step-{i}-urutan"] = "Isi nomor urut 1, 2, 3, …"
        if kept == 0:
            e["steps"] = "Layanan harus memiliki paling sedikit satu tahap proses."
        return not e

    # -- the result

    def overrides(self, template: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
        """The region's values for the four parts it may change, kept only where they differ from the template."""
        known_reqs = {r["id"]: r for r in current.get("requirements", [])}
        known_steps = {s["id"]: s for s in current.get("steps", [])}
        req_ids = {r.id for r in self.requirements if r.id and not r.hapus}
        step_ids = {s.id for s in self.steps if s.id and not s.hapus}
        requirements = []
        for r in self.requirements:
            if r.hapus or r.blank:
                continue
            item = dict(known_reqs.get(r.id) or {"alternative_to": None})
            item.update(id=r.id or _slug(r.label, "syarat", req_ids), label_id=r.label, required=r.wajib, source=r.sumber,
                        when=r.kondisi or None, from_registry=r.sumber in ("ikd", "sisdmk"), from_wallet=r.sumber == "upload")
            requirements.append(item)
        kept = [(int(s.urutan), i, s) for i, s in enumerate(self.steps) if not (s.hapus or s.blank)]
        steps = []
        for _, _, s in sorted(kept, key=lambda t: (t[0], t[1])):
            item = dict(known_steps.get(s.id) or {})
            item.update(id=s.id or _slug(s.nama, "tahap", step_ids), name_id=s.nama, agency=s.instansi)
            steps.append(item)
        values = {
            "sla_days": int(self.sla_days),
            "fee_idr": int(self.fee_idr.removeprefix("Rp").replace(".", "").replace(" ", "")),
            "requirements": requirements,
            "steps": steps,
        }
        return {k: v for k, v in values.items() if k in OVERRIDABLE and v != template.get(k)}


def _whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _condition_problem(expr: str) -> str | None:
    try:
        conditions.parse(expr)
    except conditions.ConditionSyntaxError as exc:
        snippet = expr[exc.position: exc.position + 20] or "(akhir teks)"
        return (f"Kondisi tidak dapat dibaca mulai posisi {exc.position + 1}: «{snippet}». "
                "Periksa tanda kutip, kurung, dan operator (==, !=, in, not in, and, or).")
    return None


# --- pages -------------------------------------------------------------------------------------


def changed_parts(content: Mapping[str, Any], current: Mapping[str, Any] | None) -> list[str]:
    """What the next publication changes compared with the version in force, for people to read."""
    if current is None:
        return []
    keys = set(content) | set(current)
    parts = []
    for key in [k for k in PART_LABELS if k in keys] + sorted(keys - PART_LABELS.keys()):
        if content.get(key) == current.get(key):
            continue
        if key == "sla_days":
            parts.append(f"Waktu penyelesaian: {current.get(key)} → {content.get(key)} hari kerja")
        elif key == "fee_idr":
            parts.append(f"Biaya: {fee_label(current.get(key) or 0)} → {fee_label(content.get(key) or 0)}")
        else:
            parts.append(PART_LABELS.get(key, f"Standar nasional ({key})"))
    return parts


def flash_text(ok: str | None, name: str | None = None, versi: int | None = None, day: date | None = None, closed: bool | None = None) -> str | None:
    """The confirmation shown after a redirect; only known kinds, never text from the address."""
    what = f" — {name}" if name else ""
    if ok == "terbit" and versi:
        return f"Versi {versi} diterbitkan{what}. Versi ini kini tampil di katalog publik dan aplikasi."
    if ok == "aktif" and versi:
        return f"Layanan diaktifkan{what}; versi {versi} berlaku dan tampil di katalog publik."
    if ok == "nonaktif":
        return f"Layanan dinonaktifkan{what}; tidak lagi tampil di katalog publik dan aplikasi."
    if ok == "disimpan":
        return "Perubahan disimpan tetapi belum terbit. Periksa pratinjau di bawah, lalu terbitkan."
    if ok == "hari" and day:
        return f"{tanggal(day)} disimpan sebagai hari {'tutup' if closed else 'buka'}."
    if ok == "hari-hapus" and day:
        return f"{tanggal(day)} kembali mengikuti kalender nasional."
    return None


@dataclass
class DayForm:
    tanggal: str = ""
    jenis: str = "tutup"
    keterangan: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> DayForm:
        return cls(tanggal=_text(data, "tanggal"), jenis=_text(data, "jenis") or "tutup", keterangan=_text(data, "keterangan"))

    def day(self) -> date | None:
        try:
            return date.fromisoformat(self.tanggal) if len(self.tanggal) == 10 else None
        except ValueError:
            return None

    def validate(self) -> bool:
        self.errors.clear()
        if not self.tanggal:
            self.errors["tanggal"] = "Pilih tanggalnya."
        elif self.day() is None:
            self.errors["tanggal"] = "Tanggal tidak dikenali; tulis seperti 2026-08-17 (tahun-bulan-tanggal)."
        elif not 2000 <= self.day().year <= 2100:
            self.errors["tanggal"] = "Tanggal harus antara tahun 2000 dan 2100."
        if self.jenis not in ("tutup", "buka"):
            self.errors["jenis"] = "Pilih tutup atau buka."
        if len(self.keterangan) > 200:
            self.errors["keterangan"] = "Keterangan paling panjang 200 huruf."
        return not self.errors


class CatalogAdmin(Controller):
    """Region admin: `/backoffice/wilayah/{code}/katalog` and its sub-pages."""

    path = "/backoffice/wilayah/{code:str}/katalog"
    opt = ADMIN
    include_in_schema = False
    dependencies = {"catalog": Provide(provide_catalog), "region_days": Provide(provide_region_days)}

    # -- services

    @get("/")
    async def services_page(self, code: FromPath[str], catalog: NamedDependency[CatalogService], ok: FromQuery[str | None] = None,
                            layanan: FromQuery[str | None] = None, versi: FromQuery[int | None] = None) -> Template:
        region = await catalog.region(code)
        rows = await catalog.region_services(code)
        current = await catalog.current_versions(code)
        names = {s.id: s.name_id for s, _ in rows}
        return Template("backoffice/catalog/services.html.j2", context={
            "region": region, "rows": rows, "current": current, "unpublished": await catalog.unpublished(code),
            "enabled_count": sum(1 for _, rs in rows if rs and rs.enabled and rs.current_version), "category_labels": CATEGORY_LABELS,
            "fee_label": fee_label, "flash": flash_text(ok, names.get(layanan or ""), versi), "section": "katalog"})

    @post("/layanan/{service_id:str}/aktifkan")
    async def enable(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService],
                     request: Request) -> Redirect | Template:
        try:
            version = await catalog.enable(code, service_id, by=acting_admin(request))
        except SpecInconsistent as refused:
            return await self._preview(catalog, code, service_id, refused=refused, refused_what="diaktifkan")
        return Redirect(f"/backoffice/wilayah/{code}/katalog?ok=aktif&layanan={service_id}&versi={version.version}", status_code=SEE_OTHER)

    @post("/layanan/{service_id:str}/nonaktifkan")
    async def disable(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService]) -> Redirect:
        await catalog.set_enabled(code, service_id, False)
        return Redirect(f"/backoffice/wilayah/{code}/katalog?ok=nonaktif&layanan={service_id}", status_code=SEE_OTHER)

    @get("/layanan/{service_id:str}")
    async def edit_page(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService]) -> Template:
        content, _ = await catalog.preview(code, service_id)
        return await self._edit(catalog, code, service_id, OverridesForm.from_content(content))

    @post("/layanan/{service_id:str}")
    async def save_overrides(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService],
                             data: URLEncodedBody[dict[str, Any]]) -> Redirect | Template:
        form = OverridesForm.from_form(data)
        action = _text(data, "aksi")
        if action in ("tambah_persyaratan", "tambah_tahap"):
            return await self._edit(catalog, code, service_id, form.with_blank_rows(action == "tambah_persyaratan", action == "tambah_tahap"))
        current, _ = await catalog.preview(code, service_id)
        agencies = await catalog.agencies(code)
        if not form.validate({a.kind for a in agencies}):
            return await self._edit(catalog, code, service_id, form, status_code=400)
        service = await catalog.session.get(Service, service_id)
        await catalog.set_overrides(code, service_id, form.overrides(service.template, current))
        return Redirect(f"/backoffice/wilayah/{code}/katalog/layanan/{service_id}/pratinjau?ok=disimpan", status_code=SEE_OTHER)

    @get("/layanan/{service_id:str}/pratinjau")
    async def preview_page(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService],
                           ok: FromQuery[str | None] = None) -> Template:
        return await self._preview(catalog, code, service_id, flash=flash_text(ok))

    @post("/layanan/{service_id:str}/terbitkan")
    async def publish(self, code: FromPath[str], service_id: FromPath[str], catalog: NamedDependency[CatalogService],
                      request: Request) -> Redirect | Template:
        try:
            version = await catalog.publish(code, service_id, by=acting_admin(request))
        except SpecInconsistent as refused:
            return await self._preview(catalog, code, service_id, refused=refused, refused_what="diterbitkan")
        return Redirect(f"/backoffice/wilayah/{code}/katalog?ok=terbit&layanan={service_id}&versi={version.version}", status_code=SEE_OTHER)

    # -- region days

    @get("/hari-kerja")
    async def days_page(self, code: FromPath[str], catalog: NamedDependency[CatalogService], region_days: NamedDependency[RegionDayService],
                        ok: FromQuery[str | None] = None, tanggal: FromQuery[date | None] = None, tutup: FromQuery[bool | None] = None) -> Template:
        return await self._days(catalog, region_days, code, DayForm(), flash=flash_text(ok, day=tanggal, closed=tutup))

    @post("/hari-kerja")
    async def add_day(self, code: FromPath[str], catalog: NamedDependency[CatalogService], region_days: NamedDependency[RegionDayService],
                      data: URLEncodedBody[dict[str, Any]]) -> Redirect | Template:
        form = DayForm.from_form(data)
        if not form.validate():
            return await self._days(catalog, region_days, code, form, status_code=400)
        day = await region_days.set_day(code, form.day(), closed=form.jenis == "tutup", note=form.keterangan)
        return Redirect(f"/backoffice/wilayah/{code}/katalog/hari-kerja?ok=hari&tanggal={day.day.isoformat()}&tutup={str(day.closed).lower()}",
                        status_code=SEE_OTHER)

    @post("/hari-kerja/{day:date}/hapus")
    async def remove_day(self, code: FromPath[str], day: FromPath[date], catalog: NamedDependency[CatalogService],
                         region_days: NamedDependency[RegionDayService]) -> Redirect:
        await catalog.region(code)
        await region_days.remove_day(code, day)
        return Redirect(f"/backoffice/wilayah/{code}/katalog/hari-kerja?ok=hari-hapus&tanggal={day.isoformat()}", status_code=SEE_OTHER)

    # -- rendering

    async def _edit(self, catalog: CatalogService, code: str, service_id: str, form: OverridesForm, status_code: int = 200) -> Template:
        region = await catalog.region(code)
        _, problems = await catalog.preview(code, service_id)  # also the 404 for an unknown service
        service = await catalog.session.get(Service, service_id)
        return Template("backoffice/catalog/edit.html.j2", status_code=status_code, context={
            "region": region, "service": service, "form": form, "agencies": await catalog.agencies(code), "problem_count": len(problems),
            "source_labels": SOURCE_LABELS, "template": service.template, "fee_label": fee_label, "section": "katalog"})

    async def _preview(self, catalog: CatalogService, code: str, service_id: str, flash: str | None = None,
                       refused: SpecInconsistent | None = None, refused_what: str = "") -> Template:
        region = await catalog.region(code)
        content, problems = await catalog.preview(code, service_id)
        current = (await catalog.current_versions(code)).get(service_id)
        agencies: dict[str, Agency] = {a.kind: a for a in await catalog.agencies(code)}
        return Template("backoffice/catalog/preview.html.j2", status_code=422 if refused else 200, context={
            "region": region, "service_id": service_id, "c": content, "problems": refused.problems if refused else problems,
            "refused_what": refused_what if refused else "", "current": current,
            "changes": changed_parts(content, current.content if current else None), "agencies": agencies,
            "source_labels": SOURCE_LABELS, "type_labels": TYPE_LABELS, "fee_label": fee_label, "flash": flash, "section": "katalog"})

    async def _days(self, catalog: CatalogService, region_days: RegionDayService, code: str, form: DayForm, status_code: int = 200,
                    flash: str | None = None) -> Template:
        region: Region = await catalog.region(code)
        today = region_today(region)
        calendar = await region_days.calendar(code)
        examples = due_examples(calendar, today)
        years = sorted({today.year, examples[-1].due[max(examples[-1].due)].year})
        return Template("backoffice/catalog/days.html.j2", status_code=status_code, context={
            "region": region, "days": await region_days.days(code), "form": form, "today": today, "examples": examples,
            "unpublished_years": [y for y in years if not cuti_bersama_published(y)], "national_status": national_status,
            "tanggal": tanggal, "flash": flash, "section": "hari"})
