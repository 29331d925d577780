"""create_app(): all wiring — routes, templates, static PWA, stores, the error table — in one place."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.file import FileStore
from litestar.template.config import TemplateConfig

from identity.crypto import PiiCipher
from identity.passkeys import PasskeyConfig
from identity.registry import LocalRegistry
from server.accounts.guards import RecentIdentities, authorize
from server.accounts.pages import StaffPages
from server.accounts.routes import IdentityApi
from server.accounts.sessions import session_config, session_store
from server.applications.public import StatusApi, StatusPages
from server.applications.api import CitizenApi, OperatorApi
from server.applications.validation import CatalogRules
from server.backoffice.applications import ApplicationsOffice
from server.backoffice.catalog_admin import CatalogAdmin
from server.backoffice.exports import ExportImport
from server.blobs.routes import BLOB_ROUTES
from server.catalog.routes import CatalogApi, CatalogPages
from server.db import make_engine, session_provider
from server.errors import handle_exception
from server.health import healthz
from server.i18n import message
from server.observability import configure_logging, request_logging_middleware
from server.outputs.routes import OUTPUT_ROUTES
from server.outputs.signing import make_signer
from server.push.routes import PushApi
from server.settings import Settings
from server.syncgw.routes import catalog_proxy, me_proxy, sync_elsewhere, sync_root
from sync.blobstore import FileBlobStore
from server.stores import make_couch
from sync.userdb import UserDbs

TEMPLATES = Path(__file__).resolve().parent / "templates"

mimetypes.add_type("application/manifest+json", ".webmanifest")


def _pwa_routers(dist: Path) -> list:
    """Hashed bundles are immutable; the shell files must be revalidated so updates are seen."""
    return [
        create_static_files_router(
            path="/assets", directories=[dist / "assets"], name="pwa-assets", opt={"guard": "public"},
            cache_control=CacheControlHeader(public=True, max_age=31536000, immutable=True),
        ),
        create_static_files_router(
            path="/", directories=[dist], html_mode=True, name="pwa-shell", opt={"guard": "public"},
            cache_control=CacheControlHeader(no_cache=True),
        ),
    ]


def _template_globals(engine: JinjaTemplateEngine) -> None:
    """Pages take their words from server/locales: `{{ t('staff.title') }}`, `{{ t('key', 'en', n=3) }}`."""
    engine.engine.globals["t"] = message


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging()
    engine = make_engine(settings.database.url)
    couch = make_couch(settings.couch)
    passkey_config = PasskeyConfig(rp_id=settings.web.rp_id, rp_name="MPP Digital", origins=[settings.web.public_origin])

    sessions = session_store(settings)

    async def prune_sessions() -> None:
        """Sessions expire on their own in Redis; on disk, expired ones are removed at start."""
        if isinstance(sessions, FileStore):
            await sessions.delete_expired()

    async def close_stores() -> None:
        await couch.aclose()
        await engine.dispose()

    return Litestar(
        route_handlers=[healthz, IdentityApi, StaffPages, CatalogApi, CatalogPages, CatalogAdmin, ApplicationsOffice, ExportImport, OperatorApi, CitizenApi, StatusPages, StatusApi, PushApi, sync_root, catalog_proxy, me_proxy, sync_elsewhere, *BLOB_ROUTES, *OUTPUT_ROUTES, *_pwa_routers(settings.pwa_dir)],
        state=State({"settings": settings, "engine": engine, "couch": couch, "userdbs": UserDbs(couch), "pii": PiiCipher(settings.pii_key),
                     "registry": LocalRegistry(engine), "passkeys": passkey_config,
                     "recent_identities": RecentIdentities(), "blobs": FileBlobStore(settings.blob_dir), "rules": CatalogRules(), "signer": make_signer(settings)}),
        stores={"sessions": sessions},
        guards=[authorize],
        dependencies={"db_session": Provide(session_provider(engine))},
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_template_globals),
        exception_handlers={Exception: handle_exception},
        middleware=[request_logging_middleware, session_config(settings).middleware],
        # HTML forms (back office, admin) carry a CSRF token; the JSON API and sync routes are
        # protected by SameSite=Strict session cookies and their own checks instead.
        csrf_config=CSRFConfig(secret=settings.web.secret_key, cookie_secure=settings.web.secure_cookies, cookie_samesite="strict",
                               cookie_name="mpp_csrf", header_name="x-csrftoken", exclude=["/api/", "/sync", "/blobs/", "/healthz"]),
        compression_config=CompressionConfig(backend="gzip", minimum_size=512, exclude=["/sync"]),
        openapi_config=OpenAPIConfig(title="MPP Digital API", version="0.1.0",
                                     openapi_router=Router(path="/api/docs", route_handlers=[], opt={"guard": "public"})),
        on_startup=[prune_sessions],
        on_shutdown=[close_stores],
        logging_config=None,  # server.observability configures logging (with PII masking)
        debug=False,
    )
