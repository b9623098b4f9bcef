"""The baseline: a bare Flask endpoint under the same gunicorn settings as Satja."""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    """One route that answers a USSD hop with no work behind it."""
    app = Flask(__name__)

    @app.post("/ussd")
    @app.post("/sms/inbound")
    def hello():  # noqa: ANN202
        return "CON hello", 200, {"Content-Type": "text/plain"}

    return app
