"""Log lines an operator can search: one JSON object a line, with the request id.

`SATJA_LOG_FORMAT=json` turns it on for the gateway, the worker and the cron. The
request id is set for each callback and carried into the jobs it enqueued (in the
job's meta), so one `grep` finds a payment from the provider's call to its receipt.
What is logged is what the code logs: messages already mask phone numbers to their
last four digits, and no field here adds a form, a query string or an SMS text.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys

# The request (or, in a worker, the job's originating request) this line belongs to.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "satja_request_id", default=None
)
JOB_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("satja_job_id", default=None)


def current_request_id() -> str | None:
    """The request id of the work in hand, if any."""
    return REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, ids, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON; Thai stays readable (not escaped)."""
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            entry["request_id"] = request_id
        if (job_id := JOB_ID.get()) is not None:
            entry["job_id"] = job_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def install(log_format: str, level: int = logging.INFO) -> None:
    """With "json", every log line of this process goes to stderr as JSON; once per process."""
    if log_format != "json":
        return  # text: whatever the process runner set up (gunicorn, the worker's file)
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "satja_json", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.satja_json = True  # type: ignore[attr-defined]
    # Other handlers keep theirs (pytest's capture, a --log-file); ours is the only
    # one on a bare process, which also keeps RQ from adding its coloured console.
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
