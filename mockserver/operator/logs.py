"""One log line per request, for people (``human``) or log shippers (``json``)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER = "segmock.requests"


def line(fmt: str, *, method: str, path: str, status: int | None, elapsed_ms: float, provider: str | None = None,
         operation: str | None = None, fault: str | None = None, pid: int | None = None,
         at: float | None = None, reason: str | None = None) -> str:
    """The log line of one request (``status`` None: the connection was broken on purpose), stamped with the
    local time ``at`` (default: now) to the millisecond."""
    at = time.time() if at is None else at
    if fmt == "json":
        record = {"ts": round(at, 3), "method": method, "path": path, "status": status,
                  "ms": round(elapsed_ms, 2), "provider": provider, "operation": operation, "fault": fault,
                  "pid": pid, "reason": reason}
        return json.dumps({k: v for k, v in record.items() if v is not None}, separators=(",", ":"))
    where = f"{provider}:{operation}" if provider else "-"
    shown = "---" if status is None else str(status)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"
    text = f"{stamp} {method} {path} {shown} {elapsed_ms:.1f}ms {where}"
    return text + (f" fault={fault}" if fault else "") + (f" reason={json.dumps(reason)}" if reason else "")


def request_logger(stream: Any = None) -> logging.Logger:
    """The request logger, writing bare lines to ``stream`` (stdout by default) once configured."""
    logger = logging.getLogger(LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


_LOGGER = logging.getLogger(LOGGER)


def emit(fmt: str, **fields: Any) -> None:
    """Hand the line to the request logger's handlers. It is built as a record directly: ``Logger.info`` would
    also walk the stack for a caller nobody prints, on every request."""
    if _LOGGER.isEnabledFor(logging.INFO):
        _LOGGER.handle(_LOGGER.makeRecord(LOGGER, logging.INFO, __file__, 0, line(fmt, **fields), (), None))
