"""Public status look-up (*lacak permohonan*): anyone holding the paper slip — the tracking
number — and knowing the applicant's birth date sees where the application stands. This is how
a person a field officer filed for follows it without an account or a phone of their own.

It answers the state only (label, last update, next step): no name, no NIK, no answers. A wrong
birth date and an unknown number give one and the same "not found", and attempts are limited
per IP address and per tracking number, so it cannot be used to learn birth dates or to list
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import spend_attempt
from identity.crypto import PiiCipher
from identity.models import utcnow
from sync.models import Application, ApplicationEvent
from sync.publisher import tanggal

LIMIT_PER_IP = (10, timedelta(minutes=15))
LIMIT_PER_NUMBER = (10, timedelta(minutes=15))  # many IPs guessing one person's birth date

STATES = {
    "waiting_for_files": ("Menunggu berkas", "Foto atau dokumen permohonan belum semuanya terkirim. Sambungkan perangkat "
                                             "yang dipakai mengajukan ke internet agar berkas terkirim."),
    "received": ("Diterima", "Petugas akan memeriksa berkas. Simpan nomor permohonan ini."),
    "in_review": ("Sedang diperiksa", "Belum ada yang perlu dilakukan. Status berubah begitu ada keputusan."),
    "resubmitted": ("Perbaikan diterima", "Perbaikan sudah diterima dan akan diperiksa kembali oleh petugas."),
    "needs_revision": ("Perlu perbaikan", "Perbaiki permohonan sesuai catatan petugas, atau hubungi petugas yang membantu "
                                          "Anda atau MPP setempat dengan menyebutkan nomor permohonan."),
    "approved": ("Disetujui", "Dokumen hasil sedang diterbitkan."),
    "completed": ("Selesai", "Dokumen hasil sudah terbit. Pemohon dapat membukanya di aplikasi, atau mengambil salinannya di "
                             "MPP dengan menyebutkan nomor permohonan ini."),
    "withdrawn": ("Dibatalkan", "Permohonan dibatalkan oleh pemohon. Permohonan baru dapat diajukan kapan saja."),
    "rejected": ("Ditolak", "Tanyakan alasannya ke MPP setempat dengan menyebutkan nomor permohonan. Anda dapat mengajukan "
                            "permohonan baru bila persyaratan sudah lengkap."),
}
NOT_FOUND = ("Permohonan tidak ditemukan. Periksa nomor permohonan dan tanggal lahir pemohon (seperti tertulis di KTP), "
             "lalu coba lagi.")
TOO_MANY = "Terlalu banyak percobaan. Coba lagi dalam {minutes} menit."


@dataclass(frozen=True)
class PublicStatus:
    tracking_number: str
    state: str
    label: str  # Indonesian
    updated_on: str  # "2 Maret 2026"
    updated_at: str  # ISO date
    next_step: str


@dataclass(frozen=True)
class Lookup:
    """The answer: a status, or `not_found`, or `wait_minutes` when throttled."""

    status: PublicStatus | None = None
    wait_minutes: int | None = None

    @property
    def message(self) -> str:
        if self.wait_minutes is not None:
            return TOO_MANY.format(minutes=self.wait_minutes)
        return "" if self.status else NOT_FOUND


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def normalize_number(text: str) -> str:
    return "".join(text.split()).upper()[:40]


class StatusLookup:
    def __init__(self, session: AsyncSession, cipher: PiiCipher):
        self.session = session
        self.cipher = cipher

    async def _spend(self, kind: str, value: str, limit: tuple[int, timedelta], now: datetime) -> int | None:
        """Count one attempt; the minutes to wait when the limit is already reached."""
        key = f"lacak_{kind}:{self.cipher.lookup_hash('throttle_lacak_' + kind, value)[:48]}"
        return await spend_attempt(self.session, key, limit, now)

    async def look_up(self, number: str, birth_date: str, client_ip: str, now: datetime | None = None) -> Lookup:
        now = now or utcnow()
        number = normalize_number(number)
        wait = await self._spend("ip", client_ip, LIMIT_PER_IP, now) or await self._spend("number", number, LIMIT_PER_NUMBER, now)
        await self.session.commit()
        if wait:
            return Lookup(wait_minutes=wait)
        try:
            born = date.fromisoformat(birth_date.strip())
        except ValueError:
            return Lookup()
        app = (await self.session.exec(select(Application).where(Application.tracking_number == number))).first()
        if app is None or app.applicant_birth_date is None or app.applicant_birth_date != born:
            return Lookup()
        last = (await self.session.exec(select(ApplicationEvent.at).where(ApplicationEvent.application_id == app.id)
                                        .order_by(col(ApplicationEvent.at).desc()).limit(1))).first() or app.updated_at
        label, next_step = STATES.get(app.state, (app.state, ""))
        day = _aware(last).astimezone(timezone(timedelta(hours=7))).date()  # WIB: the day as most offices count it
        return Lookup(PublicStatus(tracking_number=app.tracking_number, state=app.state, label=label, updated_on=tanggal(day),
                                   updated_at=day.isoformat(), next_step=next_step))
