"""A TCP proxy for sync on a bad network: it cuts connections at random points and can shape
the link (bandwidth and round-trip time) like a 2G connection.

Each accepted connection is piped to the upstream server. With probability `cut_probability`
the proxy picks a direction and a byte budget and, once that many bytes have passed, aborts
both sides (RST, no graceful close) — the way a 2G link drops mid-request or mid-response.
Seeded, so a failing run can be replayed. With `bandwidth` (bytes/s, per direction) and
`rtt_ms`, each chunk leaves after the link has carried the ones before it and arrives half a
round trip later (connection set-up is not delayed). Bytes carried are counted per direction.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class FaultStats:
    connections: int = 0
    cuts: int = 0
    cut_points: list[tuple[str, int]] = field(default_factory=list)
    bytes_up: int = 0  # client → server
    bytes_down: int = 0


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, seed: int = 0, cut_probability: float = 0.3,
                 max_budget: int = 30_000, bandwidth: float | None = None, rtt_ms: float = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rng = random.Random(seed)
        self.cut_probability = cut_probability
        self.max_budget = max_budget
        self.bandwidth = bandwidth
        self.one_way_s = rtt_ms / 2000
        self.stats = FaultStats()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_cut_probability(self, p: float) -> None:
        self.cut_probability = p  # read by the loop thread at the next connection; a float swap is atomic

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, sock=sock))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for _ in range(5):  # connections still open (keep-alive), and the tasks they started
                pending = asyncio.all_tasks(self._loop)
                if not pending:
                    break
                for task in pending:
                    task.cancel()
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    # -- one connection ----------------------------------------------------------------------

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            _abort(client_w)
            return
        cut: tuple[str, int] | None = None
        if self.rng.random() < self.cut_probability:
            cut = (self.rng.choice(("up", "down")), self.rng.randint(0, self.max_budget))
        loop = asyncio.get_running_loop()
        shaped = bool(self.bandwidth or self.one_way_s)

        def cut_now(name: str, at: int) -> None:
            self.stats.cuts += 1
            self.stats.cut_points.append((name, at))
            _abort(client_w)
            _abort(up_w)

        async def deliver(queue: asyncio.Queue, writer: asyncio.StreamWriter) -> None:
            """The far end of the shaped link: writes each chunk when it would arrive."""
            while True:
                item = await queue.get()
                if item is None:
                    break
                arrive, chunk, then_cut = item
                await asyncio.sleep(max(0.0, arrive - loop.time()))
                if chunk:
                    writer.write(chunk)
                    await writer.drain()
                if then_cut is not None:
                    cut_now(*then_cut)
                    return
            if writer.can_write_eof():
                writer.write_eof()

        async def pipe(name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            passed, link_free = 0, 0.0
            queue: asyncio.Queue = asyncio.Queue()
            sender = asyncio.create_task(deliver(queue, writer))
            try:
                while True:
                    chunk = await reader.read(4096)
                    if not chunk:
                        break
                    then_cut = None
                    if cut and cut[0] == name and passed + len(chunk) > cut[1]:
                        chunk, then_cut = chunk[: max(0, cut[1] - passed)], (name, cut[1])
                    passed += len(chunk)
                    if name == "up":
                        self.stats.bytes_up += len(chunk)
                    else:
                        self.stats.bytes_down += len(chunk)
                    now = loop.time()
                    if shaped:
                        link_free = max(now, link_free) + (len(chunk) / self.bandwidth if self.bandwidth else 0.0)
                        arrive = link_free + self.one_way_s
                    else:
                        arrive = now
                    queue.put_nowait((arrive, chunk, then_cut))
                    if then_cut is not None:
                        break
            except (ConnectionError, OSError):
                _abort(client_w)
                _abort(up_w)
            queue.put_nowait(None)
            try:
                await sender
            except (ConnectionError, OSError):
                _abort(client_w)
                _abort(up_w)

        try:
            await asyncio.gather(pipe("up", client_r, up_w), pipe("down", up_r, client_w))
        except asyncio.CancelledError:  # the proxy is stopping
            _abort(client_w)
            _abort(up_w)
            return
        for w in (client_w, up_w):
            if not w.is_closing():
                w.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    if transport is not None and not transport.is_closing():
        transport.abort()
