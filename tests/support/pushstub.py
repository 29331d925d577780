"""A local push service and the browser side of a subscription, for tests and the benchmark.

`PushService` accepts Web Push requests like a real push service (201 by default; a test may
queue other answers per subscription), records each one, and can be stopped and started again
on the same port to play a service that is down. `Subscriber` is what a browser holds: a P-256
key pair and an auth secret; it makes the subscription JSON and decrypts what was sent to it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.time() when the service accepted it
    status: int


@dataclass
class PushService:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))  # path -> [(status, headers)]
    _server: ThreadingHTTPServer | None = None

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 — the standard library's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                queued = service.answers[self.path]
                status, extra = queued.popleft() if queued else (201, {})
                service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time(), status))
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/push/{secrets.token_urlsafe(16)}"

    def answer(self, endpoint: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for one subscription, e.g. `answer(ep, (503, {"Retry-After": "1"}), 201)`."""
        for a in answers:
            self.answers[urlsplit(endpoint).path].append(a if isinstance(a, tuple) else (a, {}))

    def delivered_to(self, endpoint: str) -> list[Received]:
        path = urlsplit(endpoint).path
        return [r for r in self.received if r.path == path and 200 <= r.status < 300]

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Subscriber:
    """The browser's half of a subscription."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64u(public), "auth": b64u(self.auth)}}

    def decrypt(self, received: Received) -> dict:
        assert received.headers["content-encoding"] == "aes128gcm"
        return json.loads(http_ece.decrypt(received.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def vapid_claims(received: Received, endpoint: str) -> dict:
    """The VAPID JWT's claims after checking its ES256 signature against the key it names, and
    that its audience is the endpoint's origin."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme == "vapid", scheme
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    h64, c64, s64 = parts["t"].split(".")
    assert json.loads(unb64u(h64)) == {"typ": "JWT", "alg": "ES256"}
    sig = unb64u(s64)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(parts["k"])).verify(
        der, f"{h64}.{c64}".encode(), ec.ECDSA(SHA256()))
    claims = json.loads(unb64u(c64))
    origin = urlsplit(endpoint)
    assert claims["aud"] == f"{origin.scheme}://{origin.netloc}", claims
    return {**claims, "k": parts["k"]}
