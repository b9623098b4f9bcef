"""Each request's id (for the log) and its latency by route (for /metrics)."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, request

from config.logs import REQUEST_ID, install
from config.settings import Settings
from gateway.services.metrics import observe_request, start_counting

# A proxy's id is kept if it looks like one; anything else is replaced, never logged.
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
METHODS = ("GET", "POST")


class Traced:
    """WSGI middleware: the request's id set around the app, its answer timed and counted.

    Around the app rather than in its request hooks: three hooks and their lookups of
    `request` and `g` were a tenth of a USSD hop answered from Redis (bench/RESULTS.md).
    """

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer the request with its id set, in the log and in X-Request-Id."""
        given = environ.get("HTTP_X_REQUEST_ID", "")
        # Not secret, only unique enough to find one request's lines: not the OS's random.
        request_id = given if GIVEN_ID.fullmatch(given) else f"{random.getrandbits(64):016x}"
        started = time.perf_counter()

        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Called by Flask inside the request's context, when the answer is ready.
            # The rule, not the path: /dashboard/<code>/members is one route, whatever the code.
            rule = request.url_rule
            route = rule.rule if rule is not None else "unmatched"
            method = environ["REQUEST_METHOD"]
            method = method if method in METHODS else "other"
            observe_request(route, method, int(status[:3]), time.perf_counter() - started)
            headers.append(("X-Request-Id", request_id))
            return start_response(status, headers, exc_info)

        # Reset on the way out, raised or not: a request must not lend its id to the next.
        token = REQUEST_ID.set(request_id)
        try:
            return self.wsgi_app(environ, answer)
        finally:
            REQUEST_ID.reset(token)


def init_app(app: Flask, settings: Settings) -> None:
    """Set up JSON logs if asked for, and time and label every request."""
    install(settings.log_format)
    start_counting()
    app.wsgi_app = Traced(app.wsgi_app)  # type: ignore[method-assign]
