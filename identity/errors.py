"""Exceptions raised by the identity side; `server.errors` turns each into a status and a message."""

from __future__ import annotations


class IdentityError(Exception):
    """Base for every error of the identity package; `details` are safe to show (no personal data)."""

    def __init__(self, detail: str = "", **details: object) -> None:
        super().__init__(detail or type(self).__name__)
        self.details = details


class RegistryUnavailable(IdentityError):
    """The population registry did not answer (timeout, refused, broken reply): try again later.

    Never a verdict about the person: callers keep the person's input and say the check is
    postponed, not that their data is wrong. `details` name the adapter only, never a NIK.
    """
