"""The one error table: exception -> HTTP status + stable code; messages come from the catalogs.

JSON callers get `{"code", "message", "details"}`; a browser asking for a page gets the same
message in an HTML page. Unknown exceptions become a 500 with a reference number that is also
logged, so a person can quote it without the log holding their data.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import quote
from dataclasses import dataclass

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from sqlalchemy.exc import OperationalError

from identity.accounts import (
    AccountNotFound,
    AlreadyEnrolled,
    CodeInvalid,
    EnrollmentExpired,
    IdentityNotMatched,
    LastPasskey,
    NikInvalid,
    NotSignedIn,
    PhoneNumberInvalid,
    ReauthRequired,
    RoleInvalid,
    SessionRevoked,
    TooManyAttempts,
)
from identity.errors import RegistryUnavailable
from identity.passkey_errors import (
    CeremonyTypeMismatch,
    ChallengeExpired,
    ChallengeMissing,
    ChallengeWrongCeremony,
    CredentialLocked,
    OriginMismatch,
    PasskeyInvalid,
    RpIdMismatch,
    SignCountRegression,
    SignatureInvalid,
    UnknownCredential,
    UserHandleMismatch,
    UserPresenceMissing,
    UserVerificationMissing,
)
from sync.blobs import (
    BlobNotFound,
    ChecksumMismatch,
    ChunkTooLarge,
    ContentTypeInvalid,
    FileTooLarge,
    OffsetMismatch,
    QuotaExceeded,
    TusVersionUnsupported,
    TypeRefused,
    UploadInterrupted,
    UploadInvalid,
    UploadNotFound,
)
from server.accounts.guards import ForeignOrigin, GuardUndeclared, RoleRequired
from server.catalog.service import InvalidOverride, RegionNotFound, ServiceNotFound, ServiceNotOffered, SpecInconsistent
from server.outputs.issue import OutputNotConfigured
from server.outputs.signing import SigningUnavailable
from server.i18n import catalog, message, negotiate
from server.observability import mask
from sync.errors import (
    AssistedNotAllowed,
    AttachmentRefused,
    BodyInvalid,
    BodyTooLarge,
    BudgetFull,
    CouchUnavailable,
    DocInvalid,
    DocNotAllowed,
    DocRefused,
    DocTooLarge,
    DraftLocked,
    FieldNotAllowed,
    MethodRefused,
    NotReplicable,
    PathInvalid,
    QueryRefused,
    ReadOnly,
    ServerOnly,
    ServerOwned,
)
from sync.exports import ExportAccountUnknown, ExportPassphraseWrong, ExportTooLarge, ExportUnreadable
from server.applications.workflow import ActionNotAllowed, NoteRequired, NotYourStep, ReasonRequired
from sync.tracking import ApplicationNotFound, TransitionRefused
from server.push.routes import SubscriptionInvalid

log = logging.getLogger("mpp.errors")


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    code: str


# Most specific first is not needed: the handler walks each exception's MRO.
ERROR_TABLE: dict[type[BaseException], ErrorSpec] = {
    ValidationException: ErrorSpec(400, "request.invalid"),
    NotAuthorizedException: ErrorSpec(401, "http.unauthorized"),
    PermissionDeniedException: ErrorSpec(403, "http.forbidden"),
    NotFoundException: ErrorSpec(404, "http.not_found"),
    MethodNotAllowedException: ErrorSpec(405, "http.method_not_allowed"),
    TooManyRequestsException: ErrorSpec(429, "http.too_many_requests"),
    CouchUnavailable: ErrorSpec(503, "store.couch_unavailable"),
    PathInvalid: ErrorSpec(400, "sync.path_invalid"),
    NotReplicable: ErrorSpec(404, "sync.not_found"),
    ReadOnly: ErrorSpec(403, "sync.read_only"),
    MethodRefused: ErrorSpec(405, "sync.method_not_allowed"),
    BodyTooLarge: ErrorSpec(413, "sync.too_large"),
    ServerOnly: ErrorSpec(403, "sync.server_only"),
    QueryRefused: ErrorSpec(400, "sync.query_refused"),
    BodyInvalid: ErrorSpec(400, "sync.body_invalid"),
    DocRefused: ErrorSpec(403, "sync.doc_refused"),
    DocInvalid: ErrorSpec(400, "sync.doc_invalid"),
    DocTooLarge: ErrorSpec(413, "sync.doc_too_large"),
    ServerOwned: ErrorSpec(403, "sync.server_owned"),
    DocNotAllowed: ErrorSpec(403, "sync.doc_not_allowed"),
    AttachmentRefused: ErrorSpec(403, "sync.attachment_refused"),
    FieldNotAllowed: ErrorSpec(403, "sync.field_not_allowed"),
    DraftLocked: ErrorSpec(403, "sync.draft_locked"),
    AssistedNotAllowed: ErrorSpec(403, "sync.assisted_not_allowed"),
    BudgetFull: ErrorSpec(403, "sync.budget_full"),
    NikInvalid: ErrorSpec(400, "identity.nik_invalid"),
    IdentityNotMatched: ErrorSpec(400, "identity.not_matched"),
    AlreadyEnrolled: ErrorSpec(409, "identity.already_enrolled"),
    PhoneNumberInvalid: ErrorSpec(400, "identity.phone_invalid"),
    TooManyAttempts: ErrorSpec(429, "identity.too_many_attempts"),
    EnrollmentExpired: ErrorSpec(400, "identity.enrollment_expired"),
    CodeInvalid: ErrorSpec(400, "identity.code_invalid"),
    NotSignedIn: ErrorSpec(401, "auth.required"),
    SessionRevoked: ErrorSpec(401, "auth.session_revoked"),
    ReauthRequired: ErrorSpec(403, "auth.reauth_required"),
    LastPasskey: ErrorSpec(409, "identity.last_passkey"),
    AccountNotFound: ErrorSpec(404, "identity.account_not_found"),
    RoleInvalid: ErrorSpec(400, "identity.role_invalid"),
    GuardUndeclared: ErrorSpec(403, "auth.undeclared"),
    RoleRequired: ErrorSpec(403, "auth.forbidden"),
    ForeignOrigin: ErrorSpec(403, "auth.foreign_origin"),
    RegistryUnavailable: ErrorSpec(503, "identity.registry_unavailable"),
    ChallengeMissing: ErrorSpec(400, "passkey.challenge_missing"),
    ChallengeExpired: ErrorSpec(400, "passkey.challenge_expired"),
    ChallengeWrongCeremony: ErrorSpec(400, "passkey.wrong_ceremony"),
    CeremonyTypeMismatch: ErrorSpec(400, "passkey.wrong_ceremony"),
    OriginMismatch: ErrorSpec(400, "passkey.origin_mismatch"),
    RpIdMismatch: ErrorSpec(400, "passkey.rp_mismatch"),
    UserPresenceMissing: ErrorSpec(400, "passkey.presence_missing"),
    UserVerificationMissing: ErrorSpec(400, "passkey.verification_missing"),
    UnknownCredential: ErrorSpec(401, "passkey.unknown"),
    UserHandleMismatch: ErrorSpec(401, "passkey.unknown"),
    SignatureInvalid: ErrorSpec(401, "passkey.signature_invalid"),
    SignCountRegression: ErrorSpec(401, "passkey.cloned"),
    CredentialLocked: ErrorSpec(401, "passkey.locked"),
    PasskeyInvalid: ErrorSpec(400, "passkey.invalid"),
    RegionNotFound: ErrorSpec(404, "catalog.region_not_found"),
    ServiceNotFound: ErrorSpec(404, "catalog.service_not_found"),
    ServiceNotOffered: ErrorSpec(404, "catalog.service_not_offered"),
    SpecInconsistent: ErrorSpec(422, "catalog.spec_inconsistent"),
    InvalidOverride: ErrorSpec(400, "catalog.invalid_override"),
    ApplicationNotFound: ErrorSpec(404, "application.not_found"),
    TransitionRefused: ErrorSpec(409, "application.transition_refused"),
    ActionNotAllowed: ErrorSpec(409, "application.action_not_allowed"),
    NotYourStep: ErrorSpec(403, "application.not_your_step"),
    NoteRequired: ErrorSpec(400, "application.note_required"),
    ReasonRequired: ErrorSpec(400, "application.reason_required"),
    OperationalError: ErrorSpec(503, "store.sql_unavailable"),
    TusVersionUnsupported: ErrorSpec(412, "blob.tus_version"),
    UploadInvalid: ErrorSpec(400, "blob.upload_invalid"),
    FileTooLarge: ErrorSpec(413, "blob.too_large"),
    QuotaExceeded: ErrorSpec(403, "blob.quota_exceeded"),
    TypeRefused: ErrorSpec(415, "blob.type_refused"),
    ChecksumMismatch: ErrorSpec(422, "blob.checksum_mismatch"),
    UploadNotFound: ErrorSpec(404, "blob.upload_not_found"),
    OffsetMismatch: ErrorSpec(409, "blob.offset_mismatch"),
    ContentTypeInvalid: ErrorSpec(415, "blob.content_type"),
    ChunkTooLarge: ErrorSpec(413, "blob.chunk_too_large"),
    UploadInterrupted: ErrorSpec(400, "blob.interrupted"),
    BlobNotFound: ErrorSpec(404, "blob.not_found"),
    SigningUnavailable: ErrorSpec(503, "output.signing_unavailable"),
    OutputNotConfigured: ErrorSpec(422, "output.not_configured"),
    ExportUnreadable: ErrorSpec(400, "export.unreadable"),
    ExportPassphraseWrong: ErrorSpec(400, "export.passphrase_wrong"),
    ExportAccountUnknown: ErrorSpec(422, "export.account_unknown"),
    ExportTooLarge: ErrorSpec(413, "export.too_large"),
    SubscriptionInvalid: ErrorSpec(400, "push.subscription_invalid"),
}

_GENERIC_BY_STATUS = {
    400: "http.bad_request",
    401: "http.unauthorized",
    403: "http.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "http.too_large",
    429: "http.too_many_requests",
}

_MACHINE_PREFIXES = ("/api/", "/sync/", "/blobs/", "/healthz")


def lookup(exc: BaseException) -> ErrorSpec | None:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return ErrorSpec(exc.status_code, _GENERIC_BY_STATUS.get(exc.status_code, "http.bad_request"))
    return None


def _details(exc: BaseException) -> dict:
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        # field-level problems only; never echo the submitted values back
        return {"fields": [{"key": e.get("key"), "source": e.get("source")} for e in exc.extra if isinstance(e, dict)]}
    details = getattr(exc, "details", None)
    return dict(details) if isinstance(details, dict) else {}


def _next_step(request: Request, code: str, details: dict, lang: str) -> dict[str, str]:
    """On a refused back-office page: which role the page is for, and the way to one's own work."""
    if code != "auth.forbidden" or not request.url.path.startswith("/backoffice"):
        return {}
    hint_code = f"auth.forbidden_role.{details.get('policy')}"
    return {"hint": message(hint_code, lang) if hint_code in catalog(lang) else "", "home_url": "/backoffice",
            "home_text": message("auth.to_work", lang)}


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(_MACHINE_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def handle_exception(request: Request, exc: Exception) -> Response:
    spec = lookup(exc)
    lang = negotiate(request.headers.get("accept-language"))
    headers: dict[str, str] = {}
    if spec is None:
        ref = secrets.token_hex(4)
        log.error("unhandled %s on %s %s (ref %s)", type(exc).__name__, request.method, mask(request.url.path), ref,
                  exc_info=(type(exc), exc, exc.__traceback__))
        spec, body_msg, details = ErrorSpec(500, "server.error"), message("server.error", lang, ref=ref), {"ref": ref}
    else:
        body_msg, details = message(spec.code, lang, **_details(exc)), _details(exc)
        if isinstance(exc, HTTPException) and exc.headers:
            headers.update(exc.headers)
        if spec.status == 429 and isinstance(details.get("minutes"), int):
            headers["Retry-After"] = str(details["minutes"] * 60)
    if request.url.path.startswith("/blobs/"):
        headers["Tus-Resumable"] = "1.0.0"  # TUS 1.0 §Tus-Resumable: on every answer, errors included
        if spec.code == "blob.tus_version":
            headers["Tus-Version"] = "1.0.0"
    if wants_html(request):
        if spec.code in ("auth.required", "auth.session_revoked") and request.url.path.startswith("/backoffice"):
            return Redirect(f"/backoffice/masuk?next={quote(request.url.path)}")
        return Template(
            template_name="error.html.j2",
            context={"status": spec.status, "code": spec.code, "message": body_msg, "lang": lang, **_next_step(request, spec.code, details, lang)},
            status_code=spec.status,
            headers=headers,
        )
    return Response(
        {"code": spec.code, "message": body_msg, "details": details},
        status_code=spec.status,
        media_type=MediaType.JSON,
        headers=headers,
    )
