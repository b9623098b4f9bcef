"""/simulator: a feature phone on screen, driving the real callbacks (off in production)."""

from __future__ import annotations

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
from sqlalchemy import select

from gateway.extensions.database import current_db
from gateway.flows.gsm import length, sms_parts, ussd_budget
from models.outbox import OutboundMessage
from models.phones import InvalidPhone, display_phone, normalize_phone
from models.registry import Member, Role

bp = Blueprint("simulator", __name__)
PEOPLE = 12


@bp.before_request
def only_when_enabled() -> None:
    """The simulator exists only where the settings turn it on."""
    if not current_app.config["SATJA"].simulator_enabled:
        abort(404)


@bp.get("/")
def index():  # noqa: ANN201
    """Newcomers land on the phone."""
    return redirect(url_for("simulator.page"))


@bp.get("/simulator")
def page():  # noqa: ANN201
    """The phone."""
    settings = current_app.config["SATJA"]
    return render_template("simulator.html", ussd_code=settings.ussd_code)


@bp.get("/simulator/people")
def people():  # noqa: ANN201
    """Officials first, then a few members, to pick a phone from."""
    with current_db().transaction() as session:
        officials = session.scalars(
            select(Member).where(Member.role != Role.MEMBER.value).order_by(Member.id).limit(PEOPLE)
        ).all()
        members = session.scalars(
            select(Member).where(Member.role == Role.MEMBER.value).order_by(Member.id).limit(PEOPLE)
        ).all()
        rows = [
            {
                "phone": m.phone,
                "shown": display_phone(m.phone),
                "name": m.name,
                "number": m.number,
                "role": m.role,
                "group": m.group.code,
            }
            for m in [*officials, *members]
        ]
    return jsonify(rows)


@bp.get("/simulator/inbox")
def inbox():  # noqa: ANN201
    """The SMS a phone has been sent, newest first, with their length on a phone."""
    try:
        phone = normalize_phone(request.args.get("phone", ""))
    except InvalidPhone:
        return jsonify({"error": "not a Thai mobile number"}), 400
    with current_db().transaction() as session:
        rows = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id.desc())
            .limit(30)
        ).all()
        return jsonify(
            [
                {
                    "text": m.text,
                    "status": m.status,
                    "kind": m.kind,
                    "at": m.created_at.isoformat(timespec="seconds") + "Z",
                    "chars": length(m.text),
                    "parts": sms_parts(m.text),
                }
                for m in rows
            ]
        )


@bp.post("/simulator/measure")
def measure():  # noqa: ANN201
    """How long a USSD screen is against its budget (the page shows it under the screen)."""
    text = request.get_data(as_text=True)
    body = text[4:] if text[:4] in ("CON ", "END ") else text
    return jsonify({"chars": length(body), "budget": ussd_budget(body)})


def init_app(app: Flask) -> None:
    """Register the simulator."""
    app.register_blueprint(bp)
