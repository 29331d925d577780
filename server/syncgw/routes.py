"""`/sync/...`: the only way a device reaches CouchDB.

`/sync/catalog/<region>` is public and read-only: a region's published catalog, pulled by the
app so forms open with no signal (the device keeps the replication checkpoint on its side).

`/sync/me` is the signed-in person's own database, `userdb-<account hex>`, replicated both
ways: drafts up, status docs down. What may be asked is decided in `sync.access`; what may be
written in `sync.userdb` (every doc is checked, and a draft the server holds stays locked).
Nothing else under `/sync/` exists for a device.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from litestar import MediaType, Request, Response, route
from litestar.background_tasks import BackgroundTask
from litestar.enums import HttpMethod
from litestar.response import Stream
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import Identity
from identity.models import utcnow
from server.accounts.guards import current_identity
from server.i18n import message, negotiate
from sync.access import Decision, Op, catalog_access, feed_of, is_feed, me_access, readable_doc, server_root
from sync.budget import budget_refusal, creating, doc_budget, over_budget, purged_docs
from sync.drafts import DocRefusal, userdb_name
from sync.errors import BodyTooLarge, DocInvalid, NotReplicable, PathInvalid
from sync.gateway import Upstream, forward, hide_design_lines, hide_design_rows, read_limited
from sync.ledger import locked_drafts, mark_changed
from sync.userdb import (
    Screened,
    draft_ids,
    encode,
    merge_bulk_results,
    parse_bulk_docs,
    parse_json,
    refusal_error,
    screen_doc,
    screen_docs,
    written,
)

METHODS = [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE]
ME_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE]  # PouchDB never sends HEAD
CATALOG_BODY_LIMIT = 256 * 1024  # _bulk_get / _all_docs key lists only

log = logging.getLogger("mpp.sync")


async def _proxy(request: Request, decision: Decision, body_limit: int) -> Response:
    if not decision.allowed:
        raise decision.refusal()
    content = None
    if request.method in ("POST", "PUT"):
        content = await read_limited(request.stream(), body_limit)
    upstream = await forward(request.app.state.couch, request.method, decision.upstream_path,
                             request.scope["query_string"].decode("latin-1"), request.headers.items(), content)
    headers = dict(upstream.headers)
    body = upstream.body
    if _compressible(request, decision.upstream_path) and upstream.status == 200:
        body = gzip_stream(body)
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
    if request.method == "HEAD":
        if upstream.content_length:
            headers["content-length"] = upstream.content_length
        await upstream.body.aclose()
        return Response(b"", status_code=upstream.status, headers=headers)
    return Stream(body, status_code=upstream.status, headers=headers)


def _compressible(request: Request, upstream_path: str) -> bool:
    """One-shot replies are gzipped (a catalog pull shrinks ~20×); live feeds never are, since
    compression buffers them until they end."""
    if "gzip" not in request.headers.get("accept-encoding", "") or request.method == "HEAD":
        return False
    last = upstream_path.rsplit("/", 1)[-1]
    if last in ("_bulk_get", "_all_docs"):
        return True
    return last == "_changes" and "feed" not in request.query_params


async def gzip_stream(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip container
    try:
        async for chunk in body:
            out = compressor.compress(chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        await body.aclose()


def _raw_path(request: Request) -> str:
    """The path as sent, still percent-encoded (some test clients leave the query on it)."""
    return request.scope["raw_path"].decode("latin-1").split("?", 1)[0]


def _raw_tail(request: Request, prefix: str) -> str:
    raw = _raw_path(request)
    return raw[len(prefix):] if raw.startswith(prefix) else ""


@route(["/sync", "/sync/catalog"], http_method=METHODS, opt={"guard": "public"}, include_in_schema=False)
async def sync_root(request: Request) -> Response:
    """Public: the server root PouchDB reads its replication id from (uuid and version only)."""
    return await _proxy(request, server_root(request.method), 0)


@route(["/sync/catalog/{code:str}", "/sync/catalog/{code:str}/{rest:path}"], http_method=METHODS,
       opt={"guard": "public"}, include_in_schema=False, request_max_body_size=CATALOG_BODY_LIMIT)
async def catalog_proxy(request: Request) -> Response:
    """Public, read-only: pull replication of one region's catalog."""
    code, sep, rest = _raw_tail(request, "/sync/catalog/").partition("/")
    return await _proxy(request, catalog_access(request.method, code, sep + rest), CATALOG_BODY_LIMIT)


# --- /sync/me: the person's own database ---------------------------------------------------------


@route(["/sync/me", "/sync/me/{rest:path}"], http_method=ME_METHODS, opt={"guard": "own_database"}, include_in_schema=False,
       request_max_body_size=None)  # every body is read through `_body`, with the limit of its kind of request
async def me_proxy(request: Request) -> Response:
    """Signed-in citizen or field officer: two-way replication of the person's own database, and nothing else."""
    who: Identity = await current_identity(request)
    raw = _raw_path(request)
    if raw != "/sync/me" and not raw.startswith("/sync/me/"):
        raise PathInvalid()  # the route matched only after percent-decoding
    query = request.scope["query_string"].decode("latin-1")
    decision = me_access(request.method, userdb_name(who.account_id), raw[len("/sync/me"):], query)
    if not decision.allowed:
        raise decision.refusal()
    await request.app.state.userdbs.ensure(who.account_id)
    handler = _ME_WRITES.get(decision.op, _me_relay)
    return await handler(request, who, decision, query)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit_kb=limit // 1024)  # refused before reading a byte of it
    return await read_limited(request.stream(), limit)


def _json_headers(request: Request) -> list[tuple[str, str]]:
    """The device's headers, with the body re-encoded by us as JSON."""
    return [(k, v) for k, v in request.headers.items() if k.lower() != "content-type"] + [("content-type", "application/json")]


async def _send(request: Request, decision: Decision, query: str, content: bytes | None) -> Upstream:
    headers = _json_headers(request) if content is not None else request.headers.items()
    return await forward(request.app.state.couch, request.method, decision.upstream_path, query, headers, content)


async def _read_all(upstream: Upstream) -> bytes:
    return b"".join([chunk async for chunk in upstream.body])


async def _me_relay(request: Request, who: Identity, decision: Decision, query: str) -> Response:
    """Reads, checkpoints and the id/rev lists of replication: forwarded once the body (if any)
    is known to be JSON; design docs are taken out of the answers."""
    content = None
    if request.method in ("POST", "PUT"):
        body = parse_json(await _body(request, decision.body_limit))
        if decision.op == Op.BULK_GET and not _readable_bulk_get(body):
            raise NotReplicable("only drafts and status docs can be fetched")
        content = encode(body)
    upstream = await _send(request, decision, query, content)
    if upstream.status == 404 and decision.op == Op.INFO:
        request.app.state.userdbs.forget(userdb_name(who.account_id))  # PouchDB retries; the next request makes it again
    headers = dict(upstream.headers)
    stream = upstream.body
    if upstream.status == 200 and decision.op == Op.CHANGES:
        continuous = feed_of(query) == "continuous"
        stream = hide_design_lines(stream) if continuous else hide_design_rows(stream, "results")
    elif upstream.status == 200 and decision.op == Op.ALL_DOCS:
        stream = hide_design_rows(stream, "rows")
    one_shot = decision.op in (Op.BULK_GET, Op.ALL_DOCS) or (decision.op == Op.CHANGES and not is_feed(query))
    if one_shot and upstream.status == 200 and "gzip" in request.headers.get("accept-encoding", ""):
        stream = gzip_stream(stream)
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
    return Stream(stream, status_code=upstream.status, headers=headers)


def _readable_bulk_get(body: object) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("docs"), list):
        return True  # CouchDB answers a malformed request itself; nothing is read
    return all(isinstance(d, dict) and isinstance(d.get("id"), str) and readable_doc(d["id"]) for d in body["docs"])


async def _locked(request: Request, who: Identity, ids: list[str]) -> dict[str, str]:
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        return await locked_drafts(session, who.account_id, ids)


def _files_for_others(who: Identity) -> bool:
    """Field officers file drafts for other people (`applicant.kind` "assisted"); citizens only for themselves."""
    return who.kind == "staff" and who.has_role("field_officer")


def _budget(who: Identity) -> int:
    return doc_budget(field_officer=_files_for_others(who))


async def _within_budget(request: Request, who: Identity, screened: Screened) -> Screened:
    """New docs past the person's budget move to the refusals; edits and deletes always pass.

    Usually one database-info request: when every doc of the write fits even if all were new,
    nothing more is asked. Near the budget, one `_all_docs` learns which docs are new and one SQL
    count what purge has freed."""
    couch = request.app.state.couch
    db = userdb_name(who.account_id)
    candidates = creating(doc for _, doc in screened.accepted)
    if not candidates:
        return screened
    count = await couch.doc_count(db)
    if count + len(candidates) <= _budget(who):
        return screened
    new_ids = await couch.missing_ids(db, candidates)
    if not new_ids:
        return screened
    count -= await couch.design_doc_count(db)  # `_design/mpp` on Apache CouchDB: the server's, not the person's
    purge_before = utcnow() - timedelta(days=request.app.state.settings.purge_after_days)
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        purged = await purged_docs(session, who.account_id, purge_before)
    return over_budget(screened, new_ids, count - purged, _budget(who))


def _changed(request: Request, who: Identity) -> BackgroundTask:
    """Marks the database changed once the device has its answer (the write is already durable)."""
    return BackgroundTask(_mark_changed, request, who)


async def _mark_changed(request: Request, who: Identity) -> None:
    """Tell the ingest worker this person's database has new writes. The write itself is done;
    if SQL is down the worker's periodic sweep finds it, so the device still gets its answer."""
    try:
        async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
            await mark_changed(session, userdb_name(who.account_id))
    except Exception:  # noqa: BLE001
        log.warning("could not mark %s changed; the sweep will find it", userdb_name(who.account_id), exc_info=True)


async def _me_put_doc(request: Request, who: Identity, decision: Decision, query: str) -> Response:
    doc = parse_json(await _body(request, decision.body_limit))
    if not isinstance(doc, dict) or doc.setdefault("_id", decision.doc_id) != decision.doc_id:
        raise DocInvalid("the body's _id is not the path's", doc_id=decision.doc_id, problem="_id")
    refusal = screen_doc(doc, await _locked(request, who, [decision.doc_id]), assisted=_files_for_others(who))
    if refusal:
        raise refusal_error(refusal)
    if not (await _within_budget(request, who, screen_docs([doc], {}, assisted=True))).accepted:
        raise refusal_error(budget_refusal(decision.doc_id, _budget(who)))
    upstream = await _send(request, decision, query, encode(doc))
    body = await _read_all(upstream)
    changed = _changed(request, who) if upstream.status in (200, 201, 202) else None
    return Response(body, status_code=upstream.status, headers=upstream.headers, background=changed)


async def _me_delete_doc(request: Request, who: Identity, decision: Decision, query: str) -> Response:
    if decision.doc_id in await _locked(request, who, [decision.doc_id]):
        raise refusal_error(DocRefusal("sync.draft_locked", decision.doc_id))
    upstream = await _send(request, decision, query, None)
    body = await _read_all(upstream)
    changed = _changed(request, who) if upstream.status in (200, 202) else None
    return Response(body, status_code=upstream.status, headers=upstream.headers, background=changed)


async def _me_bulk_docs(request: Request, who: Identity, decision: Decision, query: str) -> Response:
    """Acceptable docs go to CouchDB; each refused one gets CouchDB's own per-doc error shape
    (`error: "forbidden"`), so PouchDB reports it as `denied` and keeps the draft on the device."""
    bulk = parse_bulk_docs(await _body(request, decision.body_limit))
    screened = screen_docs(bulk.docs, await _locked(request, who, draft_ids(bulk.docs)), assisted=_files_for_others(who))
    screened = await _within_budget(request, who, screened)
    lang = negotiate(request.headers.get("accept-language"))
    refused = {position: _refusal_row(refusal, lang) for position, refusal in screened.refused}
    if not screened.accepted:
        return Response(list(refused.values()), status_code=201, media_type=MediaType.JSON)
    upstream = await _send(request, decision, query, screened.upstream_body(bulk.new_edits))
    body = await _read_all(upstream)
    if upstream.status not in (201, 202):
        return Response(body, status_code=upstream.status, headers=upstream.headers)  # CouchDB refused the whole request
    answers = parse_json(body)
    answers = answers if isinstance(answers, list) else []
    changed = _changed(request, who) if written(screened, answers) else None
    return Response(merge_bulk_results(screened, answers, refused), status_code=upstream.status, media_type=MediaType.JSON,
                    background=changed)


def _refusal_row(refusal: DocRefusal, lang: str) -> dict:
    error = refusal_error(refusal)
    return {"id": refusal.doc_id, "error": "forbidden", "reason": message(error.code, lang, **error.details), "code": error.code}


_ME_WRITES: dict[str, Callable[[Request, Identity, Decision, str], Awaitable[Response]]] = {
    Op.DOC_WRITE: _me_put_doc, Op.DOC_DELETE: _me_delete_doc, Op.BULK_DOCS: _me_bulk_docs,
}


@route("/sync/{rest:path}", http_method=METHODS, opt={"guard": "public"}, include_in_schema=False)
async def sync_elsewhere(request: Request) -> Response:
    """Public: there is nothing else under `/sync/` — no other database, no server endpoint."""
    raise NotReplicable()
