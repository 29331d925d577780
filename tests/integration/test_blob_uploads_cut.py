"""Photos sent with tus-js-client (as the PWA sends them) through a proxy that cuts the
connection 20 times mid-photo (24 photos of 1 MB): every photo arrives exactly once and intact, and each cut
costs at most one 256 KB chunk sent again. Against the app served by uvicorn."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import make_engine, migrate
from sync.embedded import free_port
from sync.models import Blob, BlobOwner, Upload
from tests.factories import run
from tests.support.env import app_env, sqlite_url
from tests.support.faultproxy import FaultProxy
from tests.support.live import LiveServer
from tests.support.people import enrol_resident

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 256 * 1024
CUTS = 20
PHOTOS = 24
PHOTO_BYTES = 1_000_000


def photo(size: int, seed: int) -> bytes:
    """Sniffs as a JPEG; random like a compressed photo."""
    out, block = bytearray(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"), hashlib.sha256(f"photo-{seed}".encode()).digest()
    while len(out) < size - 2:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[: size - 2]) + b"\xff\xd9"


def upload(args: dict, proxy: FaultProxy | None = None, stop_cutting_after: int | None = None) -> dict:
    """Run tests/support/uploader.mjs; with a proxy, stop cutting once it has cut `stop_cutting_after` times."""
    proc = subprocess.Popen(["node", str(ROOT / "tests/support/uploader.mjs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    proc.stdin.write(json.dumps(args))
    proc.stdin.close()
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if proxy is not None and stop_cutting_after is not None and proxy.stats.cuts >= stop_cutting_after:
            proxy.set_cut_probability(0.0)
        time.sleep(0.01)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack(couch, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blobcut")
    url = sqlite_url(tmp)
    migrate(url)
    port = free_port()
    env = app_env(url, couch, tmp, origin=f"http://localhost:{port}")
    server = LiveServer(env, port).start(tmp / "server.log")
    try:
        yield server, tmp, enrol_resident(server.url, url)
    finally:
        server.stop()


def test_twenty_cuts_mid_photo_lose_nothing_duplicate_nothing_and_resend_at_most_a_chunk_each(stack):
    server, tmp, cookie = stack
    files = []
    for n in range(PHOTOS):
        data = photo(PHOTO_BYTES, n)
        path = tmp / f"photo{n}.jpg"
        path.write_bytes(data)
        files.append({"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "mime": "image/jpeg", "field": "pas_foto"})
    # cuts land anywhere in a connection's first ~300 KB, up or down: mid-PATCH, mid-answer, mid-HEAD
    with FaultProxy("127.0.0.1", server.port, seed=7, cut_probability=1.0, max_budget=300_000) as proxy:
        out = upload({"endpoint": proxy.url + "/blobs/uploads", "cookie": cookie, "files": files, "keepAlive": False}, proxy, stop_cutting_after=CUTS)
        cuts, connections = proxy.stats.cuts, proxy.stats.connections
    assert all(r["ok"] for r in out["results"]), out["results"]
    assert cuts >= CUTS, f"only {cuts} cuts in {connections} connections ({out}): the test would prove little"
    assert out["resent"] <= cuts * CHUNK, (out["resent"], cuts)

    async def counts():
        engine = make_engine(server.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                return [(await session.exec(select(func.count()).select_from(m))).one() for m in (Blob, BlobOwner)] + [
                    (await session.exec(select(func.count()).select_from(Upload).where(Upload.completed_at.is_not(None)))).one()]
        finally:
            await engine.dispose()

    assert run(counts()) == [PHOTOS, PHOTOS, PHOTOS]  # each arrived exactly once
    blobs = Path(server.env["BLOB_DIR"]) / "sha256"
    for f in files:
        stored = (blobs / f["sha256"][:2] / f["sha256"][2:4] / f["sha256"]).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == f["sha256"]
    print(f"\n{cuts} cuts, {out['resent']} bytes sent again ({out['resent'] / max(cuts, 1) / 1024:.0f} KB per cut), "
          f"{out['patches']} PATCH, {out['heads']} HEAD, {out['posts']} POST, {out['ms']} ms")
