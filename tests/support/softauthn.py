"""A software WebAuthn authenticator and client, for unit tests of `identity.passkeys`.

`create()` and `get()` take the options JSON our server hands the browser and return what the
browser would POST back: the `PublicKeyCredential.toJSON()` shape. Every property the server
checks has a knob, so a test can break exactly one of them:

    auth = SoftAuthenticator(origin="https://mpp.example.go.id")
    reg = auth.create(options)                     # attestation "none", ES256 (P-256) key
    assertion = auth.get(options, uv=False)        # same, but the person was not verified

Keys are generated per credential; credentials are remembered with their user handle and
signature counter, which `get()` increments unless told otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from identity.passkeys import b64decode, b64encode

UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80
STORED = object()  # "use what the authenticator holds" for knobs whose None means "leave out"


@dataclass
class SoftCredential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key, EC2 (kty 2), ES256 (alg -7), P-256 (crv 1), x, y: RFC 9053 §7.1.1
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def spki(self) -> bytes:
        return self.key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class SoftAuthenticator:
    """A platform authenticator with resident ES256 keys, plus the client that talks to it."""

    origin: str = "http://localhost:8000"
    aaguid: bytes = bytes(16)
    transports: tuple[str, ...] = ("internal", "hybrid")
    credentials: dict[bytes, SoftCredential] = field(default_factory=dict)

    # --- navigator.credentials.create() ---------------------------------------------------------

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        type: str = "webauthn.create",
        challenge: str | None = None,
        up: bool = True,
        uv: bool = True,
        be: bool = True,
        bs: bool = True,
        at: bool = True,
        sign_count: int = 0,
        credential_id: bytes | None = None,
        raw_id: bytes | None = None,
        cross_origin: bool | None = None,
        top_origin: str | None = None,
        fmt: str = "none",
    ) -> dict[str, Any]:
        """A registration response to `options`; each keyword overrides one property of it.

        `rp_id` changes only the rpIdHash; `raw_id` changes only the rawId/id the client reports.
        """
        rp_id_used = rp_id or options["rp"]["id"]
        cred = SoftCredential(
            id=credential_id if credential_id is not None else os.urandom(16),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=options["rp"]["id"],
            user_handle=b64decode(options["user"]["id"]),
            sign_count=sign_count,
        )
        self.credentials[cred.id] = cred
        client_data = self.client_data(type, challenge or options["challenge"], origin, cross_origin, top_origin)
        flags = (UP if up else 0) | (UV if uv else 0) | (BE if be else 0) | (BS if bs else 0) | (AT if at else 0)
        attested = self.aaguid + struct.pack(">H", len(cred.id)) + cred.id + cred.cose_public_key()
        auth_data = authenticator_data(rp_id_used, flags, sign_count, attested if at else b"")
        attestation_object = cbor2.dumps({"fmt": fmt, "attStmt": {}, "authData": auth_data})
        reported_id = raw_id if raw_id is not None else cred.id
        return {
            "id": b64encode(reported_id),
            "rawId": b64encode(reported_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64encode(client_data),
                "attestationObject": b64encode(attestation_object),
                "authenticatorData": b64encode(auth_data),
                "transports": list(self.transports),
                "publicKeyAlgorithm": -7,
                "publicKey": b64encode(cred.spki()),
            },
            "clientExtensionResults": {},
        }

    # --- navigator.credentials.get() ------------------------------------------------------------

    def get(
        self,
        options: dict[str, Any],
        *,
        credential_id: bytes | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        type: str = "webauthn.get",
        challenge: str | None = None,
        up: bool = True,
        uv: bool = True,
        be: bool = True,
        bs: bool = True,
        sign_count: int | None = None,
        user_handle: Any = STORED,
        bad_signature: bool = False,
        cross_origin: bool | None = None,
        top_origin: str | None = None,
    ) -> dict[str, Any]:
        """An assertion for `options` by `credential_id` (default: the newest credential).

        `sign_count` sets the counter (default: stored + 1, and stored); `user_handle=None`
        leaves the userHandle out; `bad_signature` signs other bytes with the right key.
        """
        cred = self.credentials[credential_id] if credential_id is not None else list(self.credentials.values())[-1]
        if sign_count is None:
            cred.sign_count += 1
            sign_count = cred.sign_count
        client_data = self.client_data(type, challenge or options["challenge"], origin, cross_origin, top_origin)
        flags = (UP if up else 0) | (UV if uv else 0) | (BE if be else 0) | (BS if bs else 0)
        auth_data = authenticator_data(rp_id or options.get("rpId") or cred.rp_id, flags, sign_count)
        signed = auth_data + hashlib.sha256(client_data).digest()
        if bad_signature:
            signed = b"\x00" + signed
        signature = cred.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = cred.user_handle if user_handle is STORED else user_handle
        response = {
            "clientDataJSON": b64encode(client_data),
            "authenticatorData": b64encode(auth_data),
            "signature": b64encode(signature),
        }
        if handle is not None:
            response["userHandle"] = b64encode(handle)
        return {
            "id": b64encode(cred.id),
            "rawId": b64encode(cred.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": response,
            "clientExtensionResults": {},
        }

    # --- pieces -----------------------------------------------------------------------------------

    def client_data(self, type: str, challenge: str, origin: str | None, cross_origin: bool | None,
                    top_origin: str | None) -> bytes:
        """clientDataJSON as Chromium serialises it (§5.8.1.1: type, challenge, origin, crossOrigin first)."""
        data: dict[str, Any] = {"type": type, "challenge": challenge, "origin": origin or self.origin,
                                "crossOrigin": bool(cross_origin)}
        if top_origin is not None:
            data["topOrigin"] = top_origin
        return json.dumps(data, separators=(",", ":")).encode("utf-8")


def authenticator_data(rp_id: str, flags: int, sign_count: int, attested: bytes = b"") -> bytes:
    """rpIdHash (32) | flags (1) | signCount (4, big-endian) | attestedCredentialData: WebAuthn §6.1."""
    return hashlib.sha256(rp_id.encode("utf-8")).digest() + bytes([flags]) + struct.pack(">I", sign_count) + attested
