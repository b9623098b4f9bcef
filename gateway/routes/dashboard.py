"""/dashboard: the committee's view of its fund, behind a login, CSRF and per-group access."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

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
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from gateway.extensions import sessions
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.extensions.settings import business_day
from gateway.flows.dashboard_texts import (
    DASHBOARD_TEXTS,
    actor_words,
    benefit_label,
    register_value,
)
from gateway.flows.dates import format_date, format_month
from gateway.flows.money import format_baht
from gateway.flows.texts import render
from gateway.services import dashboard, foresight
from gateway.services.dashboard import GroupView, Refused
from gateway.services.ratelimit import allow
from models.base import utcnow

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
csrf = CSRFProtect()
LOGINS_PER_MINUTE = 10
LOGINS_PER_ADDRESS = 30


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Every POST carries the CSRF token; every page but the login needs a user."""
    if request.method == "POST":
        csrf.protect()
    g.lang = session.get("lang", "th")
    g.user = None
    if session.get("user_id") is not None:
        g.user = dashboard.viewer(current_db(), session["user_id"], session.get("version"))
        if g.user is None:
            session.clear()  # ended on the server: logged out elsewhere, or disabled
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
        "benefit": lambda b: benefit_label(b, lang),
        "looker": lambda who: _who(who, lang),
        # The printed member data (members export-data) words what the records keep.
        "register_value": lambda what, value: register_value(what, value, lang),
        "actor": lambda text: actor_words(text, lang),
        "ref_for": dashboard.ref_for,
        "typed": lambda d: dashboard.shown_day(d, lang),
    }


def _who(who: dashboard.Who, lang: str) -> str:
    """Who acted, in words: the member and the login they used, or the job by its name."""
    t = DASHBOARD_TEXTS[lang]
    if who.name is not None:
        shown = t["who_member"].format(name=who.name, number=who.number)
    else:
        shown = t.get(f"job_{who.job}", t["not_recorded"]) if who.job else ""
    login = t["who_login"].format(username=who.username) if who.username else ""
    return " ".join(part for part in (shown, login) if part) or t["not_recorded"]


def group_page(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Load the group named in the URL; 403 unless the user may see it."""

    @functools.wraps(view)
    def wrapper(code: str, **kwargs: object) -> ResponseReturnValue:
        group = dashboard.group_named(current_db(), code)
        if group is None:
            abort(404)
        if not g.user.may_see(group):
            abort(403)
        g.group = group
        return view(group, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
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
    production = current_app.config["SATJA"].production
    user = dashboard.log_in(current_db(), username, password, utcnow(), production=production)
    if user is None:
        return render_template("dashboard/login.html", failed=True), 401
    session.clear()  # a fresh session: nothing carried over from before the login
    session.permanent = True
    session.update(user_id=user.id, version=user.session_version, lang=user.lang)
    return redirect(url_for("dashboard.home"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session on the server too: a saved copy of the cookie no longer works."""
    dashboard.log_out(current_db(), session.get("user_id"))
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/lang/<code>")
def language(code: str) -> ResponseReturnValue:
    """Switch the dashboard's language."""
    if code in DASHBOARD_TEXTS:
        session["lang"] = code
    return redirect(_back_here(request.referrer))


def _back_here(referrer: str | None) -> str:
    """The referring page's path when it is a page of this site, else the dashboard's home.

    Only a path goes out, never a host. A Referer from elsewhere, a scheme-relative `//host`,
    or anything a browser might read as one (a backslash, a tab) falls back.
    """
    if referrer and not any(c == "\\" or ord(c) < 0x21 for c in referrer):
        parts = urlsplit(referrer)
        here = parts.scheme in ("", "http", "https") and parts.netloc in ("", request.host)
        if here and parts.path.startswith("/") and not parts.path.startswith("//"):
            return urlunsplit(("", "", parts.path, parts.query, ""))
    return url_for("dashboard.home")


@bp.get("/")
def home() -> ResponseReturnValue:
    """A committee member lands on their group; the network sees the list of groups."""
    if g.user.group_code is not None:
        return redirect(url_for("dashboard.overview", code=g.user.group_code))
    return render_template("dashboard/groups.html", groups=dashboard.all_groups(current_db()))


@bp.get("/g/<code>")
@group_page
def overview(group: GroupView) -> ResponseReturnValue:
    """Members, money, contributions per month, arrears, matching: as `report group`."""
    seen = dashboard.overview(current_db(), group, business_day())
    return render_template("dashboard/overview.html", report=seen.report, months=seen.months)


@bp.get("/g/<code>/collectors")
@group_page
def collectors(group: GroupView) -> ResponseReturnValue:
    """Cash in each collector's hand, and how long since they handed over."""
    rows = dashboard.collectors(current_db(), group, business_day())
    return render_template("dashboard/collectors.html", rows=rows)


def _say(key: str, **values: object) -> str:
    """A dashboard sentence in the viewer's language."""
    what = str(values.get("what", ""))
    if what.startswith("cash:"):  # the form's name for a collector's cash, said in words
        values["what"] = DASHBOARD_TEXTS[g.lang]["what_cash"].format(number=what[5:])
    return DASHBOARD_TEXTS[g.lang][key].format(**values)


def _refusal(refused: Refused) -> str:
    """Why nothing was done, in the viewer's language where the catalogues have it."""
    key, values = refused.key, dict(refused.values)
    if key is None:  # a rule of the books that has no words of its own: the English says which
        return _say("refused_action") + (f" ({refused})" if g.lang == "en" else "")
    if f"refused_{key}" in DASHBOARD_TEXTS[g.lang]:
        return _say(f"refused_{key}", **values)
    if isinstance(values.get("bank"), int):
        values["bank"] = format_baht(values["bank"])
    return render(g.lang, key, **{"ref": "", **values})


def _confirm_page(effect: str, back: str, *, reason_name: str | None = None, **keep: str) -> str:
    """The confirmation step: the effect in words, then one button that does it.

    The reason is typed in a GET form that only shows this page again, so Enter in it
    never confirms; the confirming form holds no text field at all.
    """
    reason = keep.pop(reason_name, "").strip()[:200] if reason_name else ""
    return render_template(
        "dashboard/confirm.html",
        effect=effect,
        back=back,
        keep=keep,
        reason_name=reason_name,
        reason=reason,
        ready=bool(reason) or reason_name is None,
    )


def _confirmed() -> None:
    """Money moves only from the confirmation page's own button."""
    if request.form.get("confirmed") != "yes":
        abort(400)


@bp.route("/g/<code>/exceptions", methods=["GET", "POST"])
@group_page
def exceptions(group: GroupView) -> ResponseReturnValue:
    """Open reconciliation exceptions; a note is kept here, money actions are confirmed apart."""
    back = url_for("dashboard.exceptions", code=group.code)
    if request.method == "POST":
        what, note = request.form.get("what", ""), request.form.get("note", "")
        if not note.strip():
            flash(_say("refused_note"), "error")
            return redirect(back)
        try:
            dashboard.keep_note(current_db(), group, what, note, g.user, business_day())
        except Refused as refused:
            flash(_refusal(refused), "error")
        else:
            flash(_say("did_note", what=what), "ok")
        return redirect(back)
    page = dashboard.exceptions(current_db(), group, business_day())
    return render_template(
        "dashboard/exceptions.html",
        found=page.found,
        numbers=page.numbers,
        people=page.people,
        allowed=page.allowed,
    )


@bp.route("/g/<code>/exceptions/settle", methods=["GET", "POST"])
@group_page
def settle(group: GroupView) -> ResponseReturnValue:
    """Confirm or reverse an exception: the effect in words first, then the one button."""
    form = request.values
    what, note = form.get("what", ""), form.get("note", "")
    back = url_for("dashboard.exceptions", code=group.code)
    try:
        action = dashboard.money_action(form.get("action", ""))
    except ValueError:
        abort(400)
    try:
        if request.method == "GET":
            seen = dashboard.settlement(current_db(), group, what, action, business_day())
            return _confirm_page(
                _say(f"effect_{seen.key}", **seen.words),
                back,
                reason_name="note",
                what=what,
                action=action.value,
                note=note,
            )
        _confirmed()
        done = dashboard.settle(
            current_db(),
            redis_or_none(),
            group,
            what,
            action,
            note=note,
            by=g.user,
            today=business_day(),
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
        return redirect(back)
    flash(_say(f"did_{done.key}", new=done.new, **done.words), "ok")
    return redirect(back)


@bp.get("/g/<code>/claims")
@group_page
def claims(group: GroupView) -> ResponseReturnValue:
    """The approval queue, and the latest payments (which can be reversed)."""
    page = dashboard.claims(current_db(), group)
    return render_template(
        "dashboard/claims.html",
        rows=page.filed,
        paid=page.paid,
        who=page.who,
        documents=page.documents,
    )


@bp.post("/g/<code>/claims/<ref>/documents")
@group_page
def claim_documents(group: GroupView, ref: str) -> ResponseReturnValue:
    """Mark the ticked documents received; a claim is approved only once all are in."""
    try:
        done = dashboard.receive_documents(
            current_db(),
            group,
            ref,
            request.form.getlist("document"),
            by=g.user,
            today=business_day(),
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
    else:
        flash(_say("did_documents" if done["documents"] else "did_documents_all", **done), "ok")
    return redirect(url_for("dashboard.claims", code=group.code))


@bp.route("/g/<code>/claims/<ref>/approve", methods=["GET", "POST"])
@group_page
def approve_claim(group: GroupView, ref: str) -> ResponseReturnValue:
    """Approve and pay a claim: what will be paid, to whom, from where; then the button."""
    back = url_for("dashboard.claims", code=group.code)
    try:
        if request.method == "GET":
            words = dashboard.claim_words(current_db(), group, ref, g.lang)
            return _confirm_page(_say("effect_approve", **words), back)
        _confirmed()
        words = dashboard.approve_claim(
            current_db(),
            redis_or_none(),
            group,
            ref,
            by=g.user,
            today=business_day(),
            lang=g.lang,
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
        return redirect(back)
    flash(_say("did_approve_first" if words.pop("second") else "did_approve", **words), "ok")
    return redirect(back)


@bp.post("/g/<code>/claims/<ref>/reject")
@group_page
def reject_claim(group: GroupView, ref: str) -> ResponseReturnValue:
    """Reject a claim, with its reason; no money moves."""
    reason = request.form.get("reason", "")
    try:
        done = dashboard.reject_claim(
            current_db(),
            redis_or_none(),
            group,
            ref,
            by=g.user,
            reason=reason,
            today=business_day(),
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
    else:
        flash(_say("did_reject", **done), "ok")
    return redirect(url_for("dashboard.claims", code=group.code))


@bp.route("/g/<code>/claims/<ref>/reverse", methods=["GET", "POST"])
@group_page
def reverse_claim(group: GroupView, ref: str) -> ResponseReturnValue:
    """Reverse a paid claim back into the bank, with a reason, after saying so in words."""
    back = url_for("dashboard.claims", code=group.code)
    reason = request.values.get("reason", "")
    try:
        if request.method == "GET":
            words = dashboard.claim_words(current_db(), group, ref, g.lang)
            return _confirm_page(
                _say("effect_reverse_claim", **words), back, reason_name="reason", reason=reason
            )
        _confirmed()
        done = dashboard.reverse_claim(
            current_db(),
            redis_or_none(),
            group,
            ref,
            by=g.user,
            reason=reason,
            today=business_day(),
            lang=g.lang,
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
        return redirect(back)
    flash(
        _say(
            "already_reversed_claim" if done.already else "did_reverse_claim",
            new=done.new,
            **done.words,
        ),
        "ok",
    )
    return redirect(back)


@bp.route("/g/<code>/receipts/<ref>/restore", methods=["GET", "POST"])
@group_page
def restore(group: GroupView, ref: str) -> ResponseReturnValue:
    """Restore a receipt reversed by mistake, as a new entry, after saying so in words."""
    reason = request.values.get("reason", "")
    try:
        if request.method == "GET":
            seen = dashboard.receipt_words(current_db(), group, ref)
            back = url_for("dashboard.member", code=group.code, number=seen.member_number)
            return _confirm_page(
                _say("effect_restore", **seen.words), back, reason_name="reason", reason=reason
            )
        _confirmed()
        done = dashboard.restore(
            current_db(),
            redis_or_none(),
            group,
            ref,
            by=g.user,
            reason=reason,
            today=business_day(),
        )
    except Refused as refused:
        flash(_refusal(refused), "error")
        return redirect(url_for("dashboard.members", code=group.code))
    flash(
        _say("already_restored" if done.already else "did_restore", new=done.new, **done.words),
        "ok",
    )
    return redirect(url_for("dashboard.member", code=group.code, number=done.member_number))


@bp.get("/g/<code>/members")
@group_page
def members(group: GroupView) -> ResponseReturnValue:
    """Find members by number, name or phone."""
    q = request.args.get("q", "").strip()[:60]
    rows = dashboard.find_members(current_db(), group, q)
    return render_template("dashboard/members.html", q=q, rows=rows)


@bp.get("/g/<code>/members/<int:number>/passbook")
@group_page
def passbook(group: GroupView, number: int) -> ResponseReturnValue:
    """The member's passbook for a year (?year=2569), printable, with a print button."""
    year = request.args.get("year", "")
    page = dashboard.passbook_page(
        current_db(), group, number, business_day(), int(year) if year.isdigit() else None
    )
    if page is None:
        abort(404)
    printed = format_date(business_day(), "th")
    return render_template("passbook.html", book=page, printed=printed, standalone=False)


@bp.get("/g/<code>/members/<int:number>")
@group_page
def member(group: GroupView, number: int) -> ResponseReturnValue:
    """One member: where they stand, their payments and claims."""
    page = dashboard.member_page(current_db(), group, number, business_day(), g.user)
    if page is None:
        abort(404)
    return render_template(
        "dashboard/member.html",
        page=page,
        person=page.person,
        standing=page.standing,
        payments=page.payments,
        claims=page.claims,
    )


@bp.get("/g/<code>/access")
@group_page
def access(group: GroupView) -> ResponseReturnValue:
    """Who opened which member's data, and when (PDPA access log)."""
    return render_template(
        "dashboard/access.html", looks=dashboard.access_page(current_db(), group)
    )


def assumptions() -> foresight.Assumptions:
    """The projection's assumptions, read once per app."""
    if "satja.assumptions" not in current_app.extensions:
        current_app.extensions["satja.assumptions"] = foresight.load_assumptions()
    return current_app.extensions["satja.assumptions"]


@bp.get("/g/<code>/projection")
@group_page
def projection(group: GroupView) -> ResponseReturnValue:
    """The fund year by year under today's schedule and, side by side, the form's edits."""
    form = {k: v[:12] for k, v in request.args.items() if "." in k}
    page = foresight.projection_page(
        current_db(), group.id, business_day(), assumptions(), form, g.lang
    )
    return render_template("dashboard/projection.html", page=page)


@bp.get("/network")
def network() -> ResponseReturnValue:
    """The learning day: every group side by side, sortable, for a network login only."""
    if g.user.group_id is not None:
        abort(403)
    day = dashboard.typed_day(request.args.get("day", "")[:10]) or business_day()
    sort, down = request.args.get("sort", "code")[:40], request.args.get("desc") == "1"
    report = foresight.network_page(current_db(), day, assumptions(), sort, down)
    return render_template(
        "dashboard/network.html",
        report=report,
        meeting=day,
        sort=sort,
        down=down,
        columns=foresight.COLUMNS,
        since=dt.date.fromisoformat(report["since"]),
    )


@bp.post("/g/<code>/members/<int:number>/edit")
@group_page
def edit_member(group: GroupView, number: int) -> ResponseReturnValue:
    """Correct a member's register details (committee offices only); each change is kept."""
    back = url_for("dashboard.member", code=group.code, number=number)
    form = {k: v[:200] for k, v in request.form.items() if k != "csrf_token"}
    try:
        changed = dashboard.edit_register(current_db(), group, number, form, g.user, business_day())
    except Refused as refused:
        why = _refusal(refused) if refused.key else _say("refused_register_field")
        if not refused.key and g.lang == "en":
            why += f" ({refused})"  # the register's rule, as the command line says it
        flash(why, "error")
        return redirect(back)
    flash(_say("did_edit", fields=", ".join(_say(f"field_{f}") for f in changed) or "-"), "ok")
    return redirect(back)


@bp.errorhandler(403)
def forbidden(_error: Exception) -> ResponseReturnValue:
    """A polite refusal instead of the bare 403 page."""
    return render_template("dashboard/forbidden.html"), 403


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
    sessions.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(bp)
