"""Each request's id (for the log) and its latency by route (for /metrics)."""

from __future__ import annotations

import re
import secrets
import time

from flask import Flask, Response, g, request

from config.logs import REQUEST_ID, install
from config.settings import Settings
from gateway.services.metrics import observe_request, start_counting

# A proxy's id is kept if it looks like one; anything else is replaced, never logged.
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
METHODS = ("GET", "POST")


def init_app(app: Flask, settings: Settings) -> None:
    """Set up JSON logs if asked for, and time and label every request."""
    install(settings.log_format)
    start_counting()

    @app.before_request
    def start() -> None:
        # From the environ, not request.headers: a tenth of the time, on every USSD hop.
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
        g.satja_request = (REQUEST_ID.set(request_id), request_id, time.perf_counter())

    @app.after_request
    def finish(response: Response) -> Response:
        _token, request_id, started = g.get("satja_request", (None, None, None))
        if started is None:
            return response
        # The rule, not the path: /dashboard/<code>/members is one route, whatever the code.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in METHODS else "other"
        observe_request(route, method, response.status_code, time.perf_counter() - started)
        response.headers["X-Request-Id"] = request_id
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        # Here, not after_request: a request that raised must not lend its id to the next.
        token = g.pop("satja_request", (None,))[0]
        if token is not None:
            REQUEST_ID.reset(token)
