"""Who signs an output document: a development CA kept in `var/`, or the national signing service.

An issued document (e.g. a SIP) is a PAdES signature over the PDF (ETSI EN 319 142-1, baseline
B-B: subfilter ETSI.CAdES.detached, signing certificate and its chain embedded), so any PDF
reader or `pyhanko` can check it offline. In production the signature is a *Tanda Tangan
Elektronik* made by BSrE (Balai Besar Sertifikasi Elektronik, BSSN); the contract of that
adapter is in SIGNING.md. Development and tests sign with a CA generated on first use, which
says in its name that it is not for production, and every PDF it signs carries a banner.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from io import BytesIO
from pathlib import Path
from typing import Protocol

import anyio
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEV_CA_CN = "MPP Digital Development CA - BUKAN UNTUK PRODUKSI"
DEV_SIGNER_CN = "MPP Digital Development Signer"
BSRE_TIMEOUT_SECONDS = 30.0
PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----\r?\n.*?-----END [A-Z ]+-----\r?\n?", re.S)


class SigningUnavailable(Exception):
    """The signing service could not sign now (unreachable, refused, or answered with an error)."""

    def __init__(self, reason: str = ""):
        super().__init__(reason)
        self.reason = reason  # an HTTP status or exception class name; never personal data


class Signer(Protocol):
    """Turns a rendered PDF into a PAdES-signed one."""

    development: bool  # True: not a legally valid signature; the document says so

    async def sign(self, pdf: bytes, *, reason: str, location: str, signer_name: str) -> bytes: ...


# --- development -------------------------------------------------------------------------------


def _create_once(path: Path, data: bytes, mode: int) -> None:
    """Write a private temporary file beside `path`, then link it into place unless `path` exists.

    A hard link (unlike os.replace) never overwrites: when two processes race on first use, one
    chain wins and both read it, so no process ever signs with a CA the other one replaced.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process got there first: keep its chain
    finally:
        tmp.unlink(missing_ok=True)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MPP Digital (pengembangan)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _generate_chain() -> tuple[bytes, bytes, bytes]:
    """(CA certificate PEM, signer key PEM, signer certificate PEM); the CA key is thrown away."""
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(DEV_CA_CN)).issuer_name(_name(DEV_CA_CN))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        # RFC 5280 §4.2.1.9 / §4.2.1.3: a CA that signs only certificates
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(DEV_SIGNER_CN)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # digitalSignature + contentCommitment (non-repudiation): a document signature
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_cert.public_bytes(pem), key_pem, cert.public_bytes(pem)


class DevelopmentSigner:
    """Signs with a development CA generated on first use under `var_dir/signing/` and reused after."""

    development = True

    def __init__(self, var_dir: Path):
        self.dir = Path(var_dir) / "signing"
        self._signer = None

    @property
    def _bundle(self) -> Path:
        # the three PEMs in one file, so two processes racing on first use never mix two chains
        return self.dir / "development-chain.pem"

    def _load_pems(self) -> tuple[bytes, bytes, bytes]:
        """(CA certificate, signer key, signer certificate) as PEM, generated on first use."""
        if not self._bundle.is_file():
            self.dir.mkdir(parents=True, exist_ok=True)
            ca, key, cert = _generate_chain()
            _create_once(self._bundle, key + cert + ca, 0o600)
        key, cert, ca = PEM_BLOCK.findall(self._bundle.read_bytes())
        return ca, key, cert

    def ca_certificate_pem(self) -> bytes:
        return self._load_pems()[0]

    def _pyhanko_signer(self):
        if self._signer is None:
            from asn1crypto import keys as asn1_keys
            from asn1crypto import pem as asn1_pem
            from asn1crypto import x509 as asn1_x509
            from pyhanko.sign import signers
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            ca, key, cert = self._load_pems()

            def der(data: bytes) -> bytes:
                return asn1_pem.unarmor(data)[2]

            ca_cert = asn1_x509.Certificate.load(der(ca))
            self._signer = signers.SimpleSigner(
                signing_cert=asn1_x509.Certificate.load(der(cert)),
                signing_key=asn1_keys.PrivateKeyInfo.load(der(key)),
                cert_registry=SimpleCertificateStore.from_certs([ca_cert]),
            )
        return self._signer

    def _sign_sync(self, pdf: bytes, reason: str, location: str, signer_name: str) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason, location=location, name=signer_name,
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, meta, signer=self._pyhanko_signer())
        return out.getvalue()

    async def sign(self, pdf: bytes, *, reason: str, location: str, signer_name: str) -> bytes:
        # pyHanko's sync entry point runs its own event loop: keep it (and the hashing) off ours
        return await anyio.to_thread.run_sync(self._sign_sync, pdf, reason, location, signer_name)


# --- BSrE ---------------------------------------------------------------------------------------


class BsreSigner:
    """The national signing service (BSrE "esign" API): the signer's NIK and passphrase sign the PDF.

    `POST {base_url}/api/sign/pdf`, multipart: `file` (the PDF), `nik`, `passphrase`,
    `tampilan=invisible`; the answer is the signed PDF. See SIGNING.md.
    """

    development = False

    def __init__(self, base_url: str, nik: str, passphrase: str, *, timeout: float = BSRE_TIMEOUT_SECONDS,
                 transport: httpx.AsyncBaseTransport | None = None, auth: httpx.Auth | tuple[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self._nik = nik
        self._passphrase = passphrase
        self._timeout = timeout
        self._transport = transport
        self._auth = auth

    def __repr__(self) -> str:
        return f"BsreSigner({self.base_url!r})"  # never the NIK or passphrase

    async def sign(self, pdf: bytes, *, reason: str, location: str, signer_name: str) -> bytes:
        data = {"nik": self._nik, "passphrase": self._passphrase, "tampilan": "invisible"}
        files = {"file": ("dokumen.pdf", pdf, "application/pdf")}
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout, auth=self._auth) as client:
                response = await client.post(f"{self.base_url}/api/sign/pdf", data=data, files=files)
        except httpx.HTTPError as exc:
            raise SigningUnavailable(type(exc).__name__) from None  # the request (with the passphrase) stays out of the traceback
        if response.status_code >= 400:
            raise SigningUnavailable(f"HTTP {response.status_code}")
        signed = response.content
        if not signed.startswith(b"%PDF-"):
            raise SigningUnavailable("not a PDF")
        return signed


def make_signer(settings) -> Signer:
    """DevelopmentSigner unless `SIGNING_BACKEND=bsre` (then BSRE_URL, BSRE_NIK, BSRE_PASSPHRASE)."""
    from server.settings import ConfigError

    backend = os.environ.get("SIGNING_BACKEND", "development").strip() or "development"
    if backend == "development":
        return DevelopmentSigner(settings.var_dir)
    if backend != "bsre":
        raise ConfigError(f"SIGNING_BACKEND={backend!r} is not known; use development or bsre")
    values = {}
    for name in ("BSRE_URL", "BSRE_NIK", "BSRE_PASSPHRASE"):
        values[name] = os.environ.get(name, "").strip()
        if not values[name]:
            raise ConfigError(f"{name} is not set; SIGNING_BACKEND=bsre needs BSRE_URL, BSRE_NIK and BSRE_PASSPHRASE")
    if settings.production and not values["BSRE_URL"].startswith("https://"):
        raise ConfigError("BSRE_URL must use https in production; example: BSRE_URL=https://esign.example.go.id")
    timeout = float(os.environ.get("BSRE_TIMEOUT_SECONDS", "").strip() or BSRE_TIMEOUT_SECONDS)
    return BsreSigner(values["BSRE_URL"], values["BSRE_NIK"], values["BSRE_PASSPHRASE"], timeout=timeout)
