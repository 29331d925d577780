"""What a push message says: only the tracking number, the state and an Indonesian title and body.

No name, no NIK, no service, no form value: a notification is read on a lock screen, and its
payload passes through a push service the region does not control."""

from __future__ import annotations

import json

# states a person is told about; the others they caused themselves (resubmitted, withdrawn) or
# are a moment long (waiting_for_files)
TEXTS: dict[str, tuple[str, str]] = {
    "received": ("Permohonan diterima", "Permohonan {n} sudah diterima dan menunggu pemeriksaan petugas."),
    "in_review": ("Permohonan sedang diperiksa", "Permohonan {n} sedang diperiksa petugas."),
    "needs_revision": ("Permohonan perlu diperbaiki",
                       "Permohonan {n} perlu Anda perbaiki. Buka aplikasi untuk melihat catatan petugas."),
    "approved": ("Permohonan disetujui", "Permohonan {n} disetujui. Dokumen Anda sedang diterbitkan."),
    "completed": ("Dokumen sudah terbit", "Dokumen untuk permohonan {n} sudah terbit. Buka aplikasi untuk menyimpannya."),
    "rejected": ("Permohonan ditolak", "Permohonan {n} ditolak. Buka aplikasi untuk melihat alasannya."),
}
NOTIFIED_STATES = frozenset(TEXTS)
# the person has something to do (fix the file, take the document): delivered at once, even on a battery saver
URGENT_STATES = frozenset({"needs_revision", "completed"})
TTL_SECONDS = 3 * 24 * 3600  # a phone off for a long weekend still gets it; older news waits in the inbox
MAX_PAYLOAD_BYTES = 1024


def payload(tracking_number: str, state: str) -> bytes:
    """The message body before encryption, at most 1 KB."""
    title, body = TEXTS[state]
    data = json.dumps({"n": tracking_number, "s": state, "title": title, "body": body.format(n=tracking_number)},
                      ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD_BYTES:  # a tracking number is ~20 characters; this guards the texts above
        raise ValueError("push payload over 1 KB")
    return data


def urgency(state: str) -> str:
    return "high" if state in URGENT_STATES else "normal"
