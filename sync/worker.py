"""The worker (`python -m server worker`): ingest, then publish, again and again.

One loop: sweep every person's database when the sweep is due (at start, then every
`sweep_seconds`), read the databases the gateway marked, run the server's jobs (issuing
outputs: server.applications.issuance), publish pending status docs; when a
round found nothing to do it waits `poll_seconds`. SIGTERM or SIGINT stops it after the
current batch — which is only a matter of speed: a batch cut short by kill -9 is read again.

Logs carry counts only: no NIK, names, answers, or database names (they identify a person).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from sync.applicants import ApplicantCheck
from sync.blobs import prune_uploads
from sync.blobstore import BlobStore
from sync.couch import CouchClient
from sync.errors import CouchUnavailable
from sync.files import settle_all
from sync.ingest import Ingestor, IngestReport, Rules, where_raised
from sync.publisher import PURGE_AFTER_DAYS, Publisher, PublishReport

log = logging.getLogger("mpp.worker")

POLL_SECONDS = 0.5
SWEEP_SECONDS = 60.0
PURGE_SECONDS = 3600.0  # finished applications crossing the purge line: looked for once an hour
ERROR_PAUSE_SECONDS = 5.0  # a store is down: wait before trying again


@dataclass
class Round:
    ingest: IngestReport
    publish: PublishReport
    swept: int = 0
    jobs: int = 0

    @property
    def busy(self) -> bool:
        """Work was done: go again at once. Failures alone wait for the next poll."""
        return bool(self.ingest.committed or self.publish.done or self.jobs)


class Worker:
    def __init__(self, engine: AsyncEngine, couch: CouchClient, rules: Rules, *, poll_seconds: float = POLL_SECONDS,
                 sweep_seconds: float = SWEEP_SECONDS, batch_size: int = 100, applicants: ApplicantCheck | None = None,
                 purge_after_days: int = PURGE_AFTER_DAYS, purge_seconds: float = PURGE_SECONDS, blobs: BlobStore | None = None,
                 jobs: Sequence[Callable[[], Awaitable[int]]] = (), verify_url: Callable[[str], str] | None = None,
                 alongside: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = ()):
        self.blobs = blobs  # with it, abandoned uploads are removed at the hourly step
        self.jobs = tuple(jobs)  # the server's own jobs each round (issuance); each returns how much it did
        self.alongside = tuple(alongside)  # loops of their own (push dispatch), run until the worker stops
        self.ingestor = Ingestor(engine, couch, rules, batch_size=batch_size, applicants=applicants)
        self.publisher = Publisher(engine, couch, purge_after_days=purge_after_days, verify_url=verify_url)
        self.purge_seconds = purge_seconds
        self._next_purge = 0.0
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self._next_sweep = 0.0  # the first round sweeps: anything written while no worker ran

    async def round(self) -> Round:
        swept = 0
        if time.monotonic() >= self._next_sweep:
            swept = await self.ingestor.sweep()
            self._next_sweep = time.monotonic() + self.sweep_seconds
        ingest = await self.ingestor.run_once()
        await settle_all(self.ingestor.engine, self.ingestor.rules)  # an upload's own settle may have died with its request
        if time.monotonic() >= self._next_purge:
            purges = await self.publisher.enqueue_purges()
            self._next_purge = time.monotonic() + self.purge_seconds
            if purges:
                log.info("purge: %d finished applications to publish again with purge", purges)
            if self.blobs is not None:
                async with AsyncSession(self.ingestor.engine, expire_on_commit=False) as session:
                    await prune_uploads(session, self.blobs)
        jobs = 0
        for job in self.jobs:
            jobs += await job()
        publish = await self.publisher.run_once()
        done = Round(ingest, publish, swept, jobs)
        if ingest.submissions or ingest.retried or ingest.failed:
            log.info("ingest: %d databases (%d failed), %d changes, %d accepted, %d invalid, %d ignored, %d batches to read again",
                     ingest.databases, ingest.failed, ingest.changes, ingest.accepted, ingest.invalid, ingest.ignored, ingest.retried)
        if publish.written or publish.failed:
            log.info("publish: %d status docs written, %d unchanged, %d to try again", publish.written, publish.unchanged, publish.failed)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started (poll %.1f s, sweep every %.0f s)", self.poll_seconds, self.sweep_seconds)
        others = [asyncio.create_task(loop(stop)) for loop in self.alongside]
        try:
            await self._rounds(stop)
        finally:
            stop.set()
            await asyncio.gather(*others, return_exceptions=True)
        log.info("worker stopped")

    async def _rounds(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            pause = self.poll_seconds
            try:
                if (await self.round()).busy:
                    pause = 0.0
            except (CouchUnavailable, DBAPIError, OSError) as exc:
                log.warning("worker round failed (%s at %s); trying again in %.0f s", type(exc).__name__, where_raised(exc),
                            ERROR_PAUSE_SECONDS)
                pause = ERROR_PAUSE_SECONDS
            except Exception as exc:  # noqa: BLE001 — a fault must not stop ingest for everyone; the message may hold data
                log.error("worker round failed (%s at %s); trying again in %.0f s", type(exc).__name__, where_raised(exc),
                          ERROR_PAUSE_SECONDS)
                pause = ERROR_PAUSE_SECONDS
            if pause:
                try:
                    await asyncio.wait_for(stop.wait(), pause)
                except TimeoutError:
                    pass

    async def run_until_signalled(self) -> None:
        """`run` until SIGTERM or SIGINT; the batch in progress is finished first."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.run(stop)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
