"""Command line: `python -m server run|serve|worker|migrate|create-admin|audit-verify`.

`run` is the one-machine development launcher behind `make run`: it fills in development
defaults, starts the embedded PouchDB Server unless COUCHDB_URL is set, migrates, loads demo
data, starts the worker as a child process and serves the app. `serve` is the production entry
point: configuration from the environment only, no embedded server, no defaults. `worker` runs
ingest and the status publisher (production runs it as its own process, as many as needed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

from server.settings import ROOT, ConfigError, Settings


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _prepare_stores(settings: Settings) -> None:
    from server.db import make_engine, migrate
    from server.demo import load_demo
    from server.stores import make_couch

    migrate(settings.database.url)
    if not settings.production:

        async def demo() -> int:
            engine = make_engine(settings.database.url)
            couch = make_couch(settings.couch)
            try:
                return await load_demo(engine, couch)
            finally:
                await couch.aclose()
                await engine.dispose()

        added = asyncio.run(demo())
        if added:
            print(f"Demo data loaded ({added} rows).")


def _demo_resident(settings: Settings) -> str:
    from identity.synthetic import sample_resident
    from server.db import make_engine

    async def pick():
        engine = make_engine(settings.database.url)
        try:
            return await sample_resident(engine, "21.71")
        finally:
            await engine.dispose()

    r = asyncio.run(pick())
    if r is None:
        return "(no synthetic residents loaded)"
    return f"NIK {r.nik}, {r.full_name}, lahir {r.birth_place} {r.birth_date:%d-%m-%Y}"


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from server.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=settings.production,
                server_header=False, timeout_graceful_shutdown=5)


def _start_worker() -> subprocess.Popen:
    """The worker as a child process with the same environment; it stops with the server."""
    return subprocess.Popen([sys.executable, "-m", "server", "worker"], env=os.environ.copy())


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # after Ctrl-C it has its own SIGINT already; either ends the current batch
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    print("Stopped the worker.")


def cmd_run(args: argparse.Namespace) -> int:
    from server.devenv import apply_defaults
    from sync.embedded import EmbeddedCouch

    if os.environ.get("MPP_ENV") == "production":
        print("`run` is the development launcher; use `python -m server serve` in production.", file=sys.stderr)
        return 2
    var_dir = Path(os.environ.get("MPP_VAR_DIR", ROOT / "var"))
    apply_defaults(os.environ, var_dir, args.port)
    couch = None
    worker = None
    if not os.environ.get("COUCHDB_URL"):
        port = int(os.environ.get("COUCHDB_PORT", "0"))
        print("Starting the embedded CouchDB-compatible server (PouchDB Server) on 127.0.0.1 …", flush=True)
        couch = EmbeddedCouch(var_dir / "couch", os.environ["COUCHDB_USER"], os.environ["COUCHDB_PASSWORD"], port=port).start()
        os.environ["COUCHDB_URL"] = couch.url
    try:
        settings = _settings_or_exit()
        _prepare_stores(settings)
        worker = _start_worker()
        print(
            "\nMPP Digital is running.\n"
            f"  Open            {settings.web.public_origin}/\n"
            f"  Health          {settings.web.public_origin}/healthz\n"
            f"  API docs        {settings.web.public_origin}/api/docs\n"
            f"  Data            {var_dir} (kept between runs; delete it to start over)\n"
            f"  Sign in         passkeys. Enrol as a synthetic resident of the demo register, e.g.\n"
            f"                  {_demo_resident(settings)}\n"
            f"                  Back office: .venv/bin/python -m server create-admin --name 'Admin Batam' --region 21.71\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        _serve(settings, args.host, args.port)
    finally:
        if worker is not None:
            _stop_worker(worker)
        if couch is not None:
            couch.stop()
            print("Stopped the embedded CouchDB-compatible server.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    _prepare_stores(settings)
    _serve(settings, args.host, args.port)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Ingest submitted drafts and publish status docs until SIGTERM or SIGINT."""
    from server.applications.issuance import Issuer, verify_url
    from server.applications.validation import CatalogRules
    from server.db import make_engine
    from server.observability import configure_logging
    from server.outputs.signing import make_signer
    from server.outputs.tokens import token_secret
    from server.push.dispatch import Dispatcher
    from identity.crypto import PiiCipher
    from identity.registry import LocalRegistry
    from sync.applicants import ApplicantCheck
    from sync.blobstore import FileBlobStore
    from server.stores import make_couch
    from sync.worker import Worker

    settings = _settings_or_exit()
    configure_logging()

    async def work() -> None:
        engine = make_engine(settings.database.url)
        couch = make_couch(settings.couch)
        try:
            applicants = ApplicantCheck(LocalRegistry(engine), PiiCipher(settings.pii_key))  # the registry the app uses (server.app)
            rules, blobs = CatalogRules(), FileBlobStore(settings.blob_dir)
            secret = token_secret(settings)
            issuer = Issuer(engine, rules, signer=make_signer(settings), blobs=blobs, secret=secret, origin=settings.web.public_origin)
            dispatcher = Dispatcher(engine, settings.push, poll_seconds=min(args.poll, 0.1))
            await Worker(engine, couch, rules, poll_seconds=args.poll, sweep_seconds=args.sweep,
                         batch_size=args.batch, applicants=applicants, purge_after_days=settings.purge_after_days, blobs=blobs,
                         jobs=[issuer.run_once], verify_url=lambda token_id: verify_url(settings, token_id),
                         alongside=[dispatcher.run]).run_until_signalled()
        finally:
            await couch.aclose()
            await engine.dispose()

    asyncio.run(work())
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from server.db import migrate

    migrate(_settings_or_exit().database.url)
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    """The first admin: prints a one-time enrolment link (24 h) for a passkey."""
    from server.accounts.admin import AdminSetupError, create_first_admin

    if not os.environ.get("MPP_ENV") == "production":
        from server.devenv import apply_defaults

        apply_defaults(os.environ, Path(os.environ.get("MPP_VAR_DIR", ROOT / "var")))
        os.environ.setdefault("COUCHDB_URL", "http://127.0.0.1:5984")  # not used by this command
    settings = _settings_or_exit()
    from server.db import migrate

    migrate(settings.database.url)
    try:
        link = asyncio.run(create_first_admin(settings, name=args.name, role=args.role, region=args.region))
    except AdminSetupError as exc:
        print(f"Cannot create the admin: {exc}", file=sys.stderr)
        return 2
    print(f"Enrolment link for {args.name} ({args.role}{' ' + args.region if args.region else ''}), valid 24 hours, single use:\n  {link}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit log's hash chain; exit 1 at the first row that was changed, inserted or deleted."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.audit.log import verify
    from server.db import make_engine

    settings = _settings_or_exit()

    async def check():
        engine = make_engine(settings.database.url)
        try:
            async with AsyncSession(engine) as session:
                return await verify(session)
        finally:
            await engine.dispose()

    report = asyncio.run(check())
    if report.ok:
        print(f"Audit log intact: {report.checked} entries.")
        return 0
    print(f"Audit log broken at entry {report.broken_at} ({report.reason}); {report.checked} entries before it are intact.",
          file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="MPP Digital")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="development: defaults, embedded CouchDB, migrate, demo data, serve")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="production: configuration from the environment only")
    serve.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="ingest submitted drafts and publish status docs (stops on SIGTERM/SIGINT)")
    worker.add_argument("--poll", type=float, default=float(os.environ.get("WORKER_POLL_SECONDS", "0.5")),
                        help="seconds to wait when there is nothing to do (default 0.5)")
    worker.add_argument("--sweep", type=float, default=float(os.environ.get("WORKER_SWEEP_SECONDS", "60")),
                        help="seconds between sweeps of every person's database (default 60)")
    worker.add_argument("--batch", type=int, default=100, help="changes read (and committed) at once per database (default 100)")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("audit-verify", help="check the audit log's hash chain (exit 1 if a row was changed or deleted)"
                   ).set_defaults(func=cmd_audit_verify)
    admin = sub.add_parser("create-admin", help="create the first region admin or national monitor; prints an enrolment link")
    admin.add_argument("--name", required=True, help="the person's name")
    admin.add_argument("--role", choices=["region_admin", "national_monitor"], default="region_admin")
    admin.add_argument("--region", help="Kemendagri code of the region, e.g. 21.71 (region_admin only)")
    admin.set_defaults(func=cmd_create_admin)
    args = parser.parse_args(argv)
    return args.func(args)
