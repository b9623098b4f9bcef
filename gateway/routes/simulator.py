"""/simulator: a feature phone on screen, driving the real callbacks (off in production)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from gateway.extensions.database import current_db
from gateway.flows.gsm import length, ussd_budget
from gateway.services import simulator
from models.phones import InvalidPhone, normalize_phone

bp = Blueprint("simulator", __name__)


@bp.before_request
def only_when_enabled() -> None:
    """The simulator exists only where the settings turn it on."""
    if not current_app.config["SATJA"].simulator_enabled:
        abort(404)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Newcomers land on the phone."""
    return redirect(url_for("simulator.page"))


@bp.get("/simulator")
def page() -> ResponseReturnValue:
    """The phone."""
    settings = current_app.config["SATJA"]
    # With a callback token set, the phone's posts carry it as the provider's do (the
    # simulator never runs in production, so the page may hold it).
    token = settings.callback_token
    query = "?" + urlencode({"token": token}) if token else ""
    return render_template("simulator.html", ussd_code=settings.ussd_code, callback_query=query)


@bp.get("/simulator/people")
def people() -> ResponseReturnValue:
    """Officials first, then a few members, to pick a phone from."""
    return jsonify(simulator.people(current_db()))


@bp.get("/simulator/inbox")
def inbox() -> ResponseReturnValue:
    """The SMS a phone has been sent, newest first, with their length on a phone."""
    try:
        phone = normalize_phone(request.args.get("phone", ""))
    except InvalidPhone:
        return jsonify({"error": "not a Thai mobile number"}), 400
    return jsonify(simulator.inbox(current_db(), phone))


@bp.post("/simulator/measure")
def measure() -> ResponseReturnValue:
    """How long a USSD screen is against its budget (the page shows it under the screen)."""
    text = request.get_data(as_text=True)
    body = text[4:] if text[:4] in ("CON ", "END ") else text
    return jsonify({"chars": length(body), "budget": ussd_budget(body)})


def init_app(app: Flask) -> None:
    """Register the simulator."""
    app.register_blueprint(bp)
