"""/dashboard: the committee's view of its fund, behind a login, CSRF and per-group access."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import or_, select

from gateway.dashboard_texts import DASHBOARD_TEXTS
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.flows.dates import format_date, format_month
from gateway.flows.money import format_baht
from gateway.flows.texts import render
from gateway.services.claims import Payee, approve, benefit_name, find_claim, reject, reverse_paid
from gateway.services.ratelimit import allow
from gateway.services.resolutions import (
    ALLOWED,
    CannotResolve,
    CannotRestore,
    find_exception,
    find_receipt,
    finding_people,
    resolve,
    restore_receipt,
)
from gateway.services.ussd_hop import recent_payments
from models.base import utcnow
from models.clock import local_today
from models.ledger import ref_for
from models.phones import InvalidPhone, normalize_phone
from models.reconcile import Action, Finding, ItemKind, open_exceptions
from models.registry import Group, Member
from models.reports import collectors_cash, group_report, monthly_contributions
from models.standing import member_standing
from models.users import User, authenticate
from models.welfare import Claim, ClaimRefused, ClaimStatus
from workers.outbox import enqueue_sends

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
csrf = CSRFProtect()
LOGINS_PER_MINUTE = 10
LOGINS_PER_ADDRESS = 30
PAID_SHOWN = 30  # the latest paid claims on the claims page, each reversible


def _today() -> dt.date:
    return local_today(current_app.config["SATJA"].timezone)


@bp.before_request
def guard() -> None:
    """Every POST carries the CSRF token; every page but the login needs a user."""
    if request.method == "POST":
        csrf.protect()
    g.lang = session.get("lang", "th")
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        with current_db().transaction() as db_session:
            g.user = db_session.get(User, user_id)
    if g.user is None and request.endpoint not in ("dashboard.login", "dashboard.language"):
        return redirect(url_for("dashboard.login"))
    return None


@bp.after_request
def harden(response):  # noqa: ANN001, ANN201
    """No framing, no guessing of types, nothing cached."""
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'"
    )
    return response


@bp.app_context_processor
def words() -> dict[str, object]:
    """The page's words and formatters, in the viewer's language."""
    lang = g.get("lang", "th")
    return {
        "t": DASHBOARD_TEXTS[lang],
        "lang": lang,
        "baht": format_baht,
        "day": lambda d: format_date(d, lang) if d else "",
        "month": lambda d: format_month(d, lang),
        "short_month": lambda d: format_month(d, lang, short=True),
        "benefit": lambda b: benefit_name(b, lang),
        "ref_for": ref_for,
    }


def group_page(view: Callable[..., object]) -> Callable[..., object]:
    """Load the group named in the URL; 403 unless the user may see it."""

    @functools.wraps(view)
    def wrapper(code: str, **kwargs: object) -> object:
        with current_db().transaction() as db_session:
            group = db_session.scalars(select(Group).where(Group.code == code.upper())).first()
        if group is None:
            abort(404)
        if not g.user.may_see(group):
            abort(403)
        g.group = group
        return view(group, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    """The login form; a new session on success."""
    if request.method == "GET":
        return render_template("dashboard/login.html")
    username = request.form.get("username", "")[:40].strip().lower()
    password = request.form.get("password", "")[:200]
    redis = redis_or_none()
    # One budget per account however its name is typed, and one per address for
    # someone trying many names.
    if not (
        allow(redis, "login", username or "-", LOGINS_PER_MINUTE)
        and allow(redis, "login-from", request.remote_addr or "-", LOGINS_PER_ADDRESS)
    ):
        return render_template("dashboard/login.html", failed=True), 429
    with current_db().transaction() as db_session:
        production = current_app.config["SATJA"].production
        user = authenticate(db_session, username, password, utcnow(), production=production)
        user_id, lang = (user.id, user.lang) if user else (None, None)
    if user_id is None:
        return render_template("dashboard/login.html", failed=True), 401
    session.clear()  # a fresh session: nothing carried over from before the login
    session.permanent = True
    session.update(user_id=user_id, lang=lang)
    return redirect(url_for("dashboard.home"))


@bp.post("/logout")
def logout():  # noqa: ANN201
    """End the session."""
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/lang/<code>")
def language(code: str):  # noqa: ANN201
    """Switch the dashboard's language."""
    if code in DASHBOARD_TEXTS:
        session["lang"] = code
    return redirect(request.referrer or url_for("dashboard.home"))


@bp.get("/")
def home():  # noqa: ANN201
    """A committee member lands on their group; the network sees the list of groups."""
    with current_db().transaction() as db_session:
        if g.user.group_id is not None:
            code = db_session.get(Group, g.user.group_id).code
            return redirect(url_for("dashboard.overview", code=code))
        groups = db_session.scalars(select(Group).order_by(Group.code)).all()
    return render_template("dashboard/groups.html", groups=groups)


@bp.get("/g/<code>")
@group_page
def overview(group: Group):  # noqa: ANN201
    """Members, money, contributions per month, arrears, matching: as `report group`."""
    today = _today()
    with current_db().transaction() as db_session:
        report = group_report(db_session, group, today)
        months = monthly_contributions(db_session, group, today)
    return render_template("dashboard/overview.html", report=report, months=months)


@bp.get("/g/<code>/collectors")
@group_page
def collectors(group: Group):  # noqa: ANN201
    """Cash in each collector's hand, and how long since they handed over."""
    with current_db().transaction() as db_session:
        rows = collectors_cash(db_session, group, _today())
    return render_template("dashboard/collectors.html", rows=rows)


def _say(key: str, **values: object) -> str:
    """A dashboard sentence in the viewer's language."""
    return DASHBOARD_TEXTS[g.lang][key].format(**values)


def _refusal(exc: Exception) -> str:
    """Why nothing was done, in the viewer's language where the catalogues have it."""
    key, values = getattr(exc, "key", None), dict(getattr(exc, "values", {}))
    if key is None:
        return str(exc)  # the settling rules speak English, as on the command line
    if f"refused_{key}" in DASHBOARD_TEXTS[g.lang]:
        return _say(f"refused_{key}")
    if isinstance(values.get("bank"), int):
        values["bank"] = format_baht(values["bank"])
    return render(g.lang, key, **{"ref": "", **values})


def _send(messages: list[int]) -> None:
    if messages and (redis := redis_or_none()) is not None:
        enqueue_sends(redis, messages)


def _confirm_page(effect: str, back: str, *, reason_name: str | None = None, **keep: str) -> str:
    """The confirmation step: the effect in words, then one button that does it.

    The reason is typed in a GET form that only shows this page again, so Enter in it
    never confirms; the confirming form holds no text field at all.
    """
    reason = keep.pop(reason_name, "").strip()[:200] if reason_name else ""
    return render_template(
        "dashboard/confirm.html", effect=effect, back=back, keep=keep,
        reason_name=reason_name, reason=reason, ready=bool(reason) or reason_name is None,
    )  # fmt: skip


def _confirmed() -> None:
    """Money moves only from the confirmation page's own button."""
    if request.form.get("confirmed") != "yes":
        abort(400)


@bp.route("/g/<code>/exceptions", methods=["GET", "POST"])
@group_page
def exceptions(group: Group):  # noqa: ANN201
    """Open reconciliation exceptions; a note is kept here, money actions are confirmed apart."""
    today = _today()
    if request.method == "POST":
        what, note = request.form.get("what", ""), request.form.get("note", "")
        if not note.strip():
            flash(_say("refused_note"), "error")
            return redirect(url_for("dashboard.exceptions", code=group.code))
        try:
            with current_db().transaction() as db_session:
                finding = find_exception(db_session, group, what, today)
                resolve(db_session, group, finding, Action.NOTE, note=note, by=g.user.name,
                        today=today)  # fmt: skip
        except (CannotResolve, ValueError) as exc:
            flash(_refusal(exc), "error")
        else:
            flash(_say("did_note", what=what), "ok")
        return redirect(url_for("dashboard.exceptions", code=group.code))
    with current_db().transaction() as db_session:
        found = open_exceptions(db_session, group, today)
        people = {
            member_id: (number, name)
            for member_id, number, name in db_session.execute(
                select(Member.id, Member.number, Member.name).where(Member.group_id == group.id)
            )
        }
    numbers = {member_id: number for member_id, (number, _) in people.items()}
    return render_template(
        "dashboard/exceptions.html", found=found, numbers=numbers, people=people, allowed=ALLOWED
    )


# Settling these moves money; every other confirm only acknowledges.
MONEY_SETTLEMENTS = {
    (ItemKind.DECLARED, Action.CONFIRM),
    (ItemKind.DECLARED, Action.REVERSE),
    (ItemKind.DISPUTED, Action.REVERSE),
}


def _settle_key(finding: Finding, action: Action) -> str:
    """The sentence that says what settling this way does."""
    if (ItemKind(finding.kind), action) in MONEY_SETTLEMENTS:
        return f"{finding.kind}_{action}"
    return "confirm"


@bp.route("/g/<code>/exceptions/settle", methods=["GET", "POST"])
@group_page
def settle(group: Group):  # noqa: ANN201
    """Confirm or reverse an exception: the effect in words first, then the one button."""
    today, form = _today(), request.values
    what, note = form.get("what", ""), form.get("note", "")
    back = url_for("dashboard.exceptions", code=group.code)
    try:
        action = Action(form.get("action", ""))
        if action == Action.NOTE:
            raise ValueError(action)
    except ValueError:
        abort(400)
    try:
        with current_db().transaction() as db_session:
            finding = find_exception(db_session, group, what, today)
            if action not in ALLOWED[ItemKind(finding.kind)]:
                raise CannotResolve(_say("refused_action"))
            words = {"what": what, "ref": what.lstrip("#"), "amount": format_baht(finding.amount),
                     **finding_people(db_session, finding)}  # fmt: skip
            key = _settle_key(finding, action)
            if request.method == "GET":
                return _confirm_page(_say(f"effect_{key}", **words), back, reason_name="note",
                                     what=what, action=action.value, note=note)  # fmt: skip
            _confirmed()
            resolution, messages = resolve(db_session, group, finding, action, note=note,
                                           by=g.user.name, today=today)  # fmt: skip
            new = ref_for(resolution.transfer_id) if resolution.transfer_id else ""
    except (CannotResolve, ValueError) as exc:
        flash(_refusal(exc), "error")
        return redirect(back)
    _send(messages)
    flash(_say(f"did_{key}", new=new, **words), "ok")
    return redirect(back)


@bp.get("/g/<code>/claims")
@group_page
def claims(group: Group):  # noqa: ANN201
    """The approval queue, and the latest payments (which can be reversed)."""
    with current_db().transaction() as db_session:
        rows = db_session.execute(
            select(Claim, Member)
            .join(Member, Member.id == Claim.member_id)
            .where(Claim.group_id == group.id, Claim.status == ClaimStatus.FILED.value)
            .order_by(Claim.id)
        ).all()
        paid = db_session.execute(
            select(Claim, Member)
            .join(Member, Member.id == Claim.member_id)
            .where(
                Claim.group_id == group.id,
                Claim.status.in_((ClaimStatus.PAID.value, ClaimStatus.REVERSED.value)),
            )
            .order_by(Claim.id.desc())
            .limit(PAID_SHOWN)
        ).all()
    return render_template("dashboard/claims.html", rows=rows, paid=paid)


def _claim_words(payee: Payee) -> dict[str, object]:
    claim = payee.claim
    return {
        "ref": ref_for(claim.id),
        "amount": format_baht(claim.amount),
        "name": payee.name,
        "benefit": benefit_name(claim.benefit, g.lang),
        "units": claim.units,
    }


@bp.route("/g/<code>/claims/<ref>/approve", methods=["GET", "POST"])
@group_page
def approve_claim(group: Group, ref: str):  # noqa: ANN201
    """Approve and pay a claim: what will be paid, to whom, from where; then the button."""
    back = url_for("dashboard.claims", code=group.code)
    try:
        with current_db().transaction() as db_session:
            words = _claim_words(find_claim(db_session, group, ref))
            if request.method == "GET":
                return _confirm_page(_say("effect_approve", **words), back)
            _confirmed()
            _, messages = approve(db_session, group, ref, g.user.name, _today())
    except ClaimRefused as refused:
        flash(_refusal(refused), "error")
        return redirect(back)
    _send(messages)
    flash(_say("did_approve", **words), "ok")
    return redirect(back)


@bp.post("/g/<code>/claims/<ref>/reject")
@group_page
def reject_claim(group: Group, ref: str):  # noqa: ANN201
    """Reject a claim, with its reason; no money moves."""
    reason = request.form.get("reason", "")
    try:
        with current_db().transaction() as db_session:
            claim = reject(db_session, group, ref, g.user.name, reason, _today())
            done = _say("did_reject", ref=ref_for(claim.id), reason=claim.reason)
    except ClaimRefused as refused:
        flash(_refusal(refused), "error")
    else:
        flash(done, "ok")
    return redirect(url_for("dashboard.claims", code=group.code))


@bp.route("/g/<code>/claims/<ref>/reverse", methods=["GET", "POST"])
@group_page
def reverse_claim(group: Group, ref: str):  # noqa: ANN201
    """Reverse a paid claim back into the bank, with a reason, after saying so in words."""
    back = url_for("dashboard.claims", code=group.code)
    reason = request.values.get("reason", "")
    try:
        with current_db().transaction() as db_session:
            words = _claim_words(find_claim(db_session, group, ref))
            if request.method == "GET":
                return _confirm_page(_say("effect_reverse_claim", **words), back,
                                     reason_name="reason", reason=reason)  # fmt: skip
            _confirmed()
            done, messages = reverse_paid(db_session, group, ref, g.user.name, reason, _today())
            new = ref_for(done.transfer.id)
    except ClaimRefused as refused:
        flash(_refusal(refused), "error")
        return redirect(back)
    _send(messages)
    flash(_say("already_reversed_claim" if done.already else "did_reverse_claim",
               new=new, **words), "ok")  # fmt: skip
    return redirect(back)


@bp.route("/g/<code>/receipts/<ref>/restore", methods=["GET", "POST"])
@group_page
def restore(group: Group, ref: str):  # noqa: ANN201
    """Restore a receipt reversed by mistake, as a new entry, after saying so in words."""
    reason = request.values.get("reason", "")
    try:
        with current_db().transaction() as db_session:
            receipt = find_receipt(db_session, group, ref)
            back = url_for("dashboard.member", code=group.code, number=receipt.member.number)
            words = {
                "ref": receipt.seen.ref,
                "amount": format_baht(receipt.posted.amount),
                "member": receipt.member.name,
                "name": receipt.member.name,
                "collector": receipt.collector.name if receipt.collector else "-",
            }
            if request.method == "GET":
                return _confirm_page(_say("effect_restore", **words), back,
                                     reason_name="reason", reason=reason)  # fmt: skip
            _confirmed()
            done, messages = restore_receipt(db_session, group, ref, reason=reason,
                                             by=g.user.name, today=_today())  # fmt: skip
            new = ref_for(done.transfer.id)
    except CannotRestore as refused:
        flash(_refusal(refused), "error")
        return redirect(url_for("dashboard.members", code=group.code))
    _send(messages)
    flash(_say("already_restored" if done.already else "did_restore", new=new, **words), "ok")
    return redirect(back)


@bp.get("/g/<code>/members")
@group_page
def members(group: Group):  # noqa: ANN201
    """Find members by number, name or phone."""
    q = request.args.get("q", "").strip()[:60]
    rows: list[Member] = []
    if q:
        found = [Member.name.contains(q)]
        if q.isdigit():
            found.append(Member.number == int(q))
        with contextlib.suppress(InvalidPhone):
            found.append(Member.phone == normalize_phone(q))
        with current_db().transaction() as db_session:
            rows = db_session.scalars(
                select(Member)
                .where(Member.group_id == group.id, or_(*found))
                .order_by(Member.number)
                .limit(50)
            ).all()
    return render_template("dashboard/members.html", q=q, rows=rows)


@bp.get("/g/<code>/members/<int:number>")
@group_page
def member(group: Group, number: int):  # noqa: ANN201
    """One member: where they stand, their payments and claims."""
    with current_db().transaction() as db_session:
        person = db_session.scalars(
            select(Member).where(Member.group_id == group.id, Member.number == number)
        ).first()
        if person is None:
            abort(404)
        standing = member_standing(db_session, person, _today())
        payments = recent_payments(db_session, person)
        their_claims = db_session.scalars(
            select(Claim).where(Claim.member_id == person.id).order_by(Claim.id.desc())
        ).all()
    return render_template(
        "dashboard/member.html",
        person=person,
        standing=standing,
        payments=payments,
        claims=their_claims,
    )


@bp.errorhandler(403)
def forbidden(_error: Exception):  # noqa: ANN201
    """A polite refusal instead of the bare 403 page."""
    return render_template("dashboard/forbidden.html"), 403


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with no signer built for requests without a cookie."""

    # The provider's callbacks never carry one; building the signer was 0.1 ms a hop.

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when no cookie came; else Flask's own reading of it."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Mount the dashboard with CSRF protection and careful session cookies."""
    settings = app.config["SATJA"]
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # only the dashboard's forms; callbacks carry a token
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
    )
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    app.register_blueprint(bp)
