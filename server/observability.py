"""Request logging without personal data.

A log line holds the method, the path with every NIK/KK-like number cut to its last four
digits, the status and the time taken — never the query string, headers, cookies or bodies.
"""

from __future__ import annotations

import logging
import re
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mpp.request")

# 16-digit NIK / KK numbers, and any other run of 8+ digits (phone numbers), keep 4 digits
_LONG_NUMBER = re.compile(r"\d{8,}")


def mask(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)


class MaskingFilter(logging.Filter):
    """Last line of defence: masks long digit runs in every record that passes a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(MaskingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's access log prints the raw path and query string; ours replaces it
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every upstream URL at INFO; CouchDB database names are enough to link a person
    logging.getLogger("httpx").setLevel(logging.WARNING)


def request_logging_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            log.info("%s %s %s %.1fms", scope["method"], mask(scope["path"]), status, (time.perf_counter() - started) * 1000)

    return middleware
