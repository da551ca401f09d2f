"""The pages of the core: sign-in, and the worker's QR report form with its receipt."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from hazard_ledger.errors import DomainError, NotFound
from hazard_ledger.compliance.operations import compliance_gaps
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.workload import workload
from hazard_ledger.organisations.operations import change_password, end_sessions
from hazard_ledger.web import db
from hazard_ledger.web.errors import PAGE_MESSAGES, handle_http_exception, retry_after
from hazard_ledger.web.limits import authenticate_within_limits, limit_public_reports
from hazard_ledger.web.views.forms import LoginForm, PasswordForm, ReportForm

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():
    """Each role's landing page: what waits for them, counted, each number a link to its list."""
    today = db.today()
    return render_template("pages/home.html", figures=workload(db.session(), current_user, today, db.zone()),
                           gaps=compliance_gaps(db.session(), current_user, today.year, db.settings()["compliance"]),
                           quarter=f"{today.year}Q{(today.month - 1) // 3 + 1}", today=today)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site, else home. Never another site
    (`//host`, `/\\host`: browsers read a backslash as a slash), never a scheme
    (`javascript:`), never a control character (a header split by CR LF, or a tab a
    browser drops to make `//`)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not urlsplit(target).netloc):
        return target
    return url_for("pages.home")


def _throttled(refused: TooManyRequests) -> str:
    return _("登录失败次数过多，请 %(minutes)d 分钟后再试", minutes=max(1, -(-refused.retry_after // 60)))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate_within_limits(form.username.data, form.password.data)
        except TooManyRequests as refused:
            form.password.errors.append(_throttled(refused))
            return render_template("pages/login.html", form=form), 429, retry_after(refused)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("用户名或密码错误"))
        return render_template("pages/login.html", form=form), 401
    return render_template("pages/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with the form's CSRF token) signs out everywhere: every page session and API
    token of the user ends. GET only asks, since a link or an image elsewhere could GET it."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("pages.login"))
        return render_template("pages/logout.html")
    if current_user.is_authenticated:
        end_sessions(db.session(), current_user)
    logout_user()
    return redirect(url_for("pages.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """The signed-in user's new password; every other session and token of theirs ends,
    this browser stays signed in."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            # guesses of the current password count as failed logins (someone at an unlocked screen)
            right = authenticate_within_limits(user.username, form.current_password.data) is not None
        except TooManyRequests as refused:
            form.current_password.errors.append(_throttled(refused))
            return render_template("pages/password.html", form=form), 429, retry_after(refused)
        if not right:
            form.current_password.errors.append(_("当前密码不正确"))
            return render_template("pages/password.html", form=form), 422
        change_password(db.session(), user, user, form.new_password.data, db.passwords(),
                        current_password=form.current_password.data)
        login_user(user)  # this browser, in the new epoch
        return render_template("pages/password.html", form=PasswordForm(formdata=None), changed=True)
    return render_template("pages/password.html", form=form), 422 if form.is_submitted() else 200


@bp.errorhandler(429)
def too_many_requests(error):
    """Over the QR form's limit the worker gets the form back with what they typed: only
    the photos must be chosen again. Other pages answer with the common error page."""
    if request.endpoint != "pages.report_form":
        return handle_http_exception(error)
    try:
        enterprise = ops.enterprise_by_report_token(db.session(), request.view_args["report_token"])
    except NotFound:
        abort(404)
    form = ReportForm()
    form.photos.errors = [_("照片需要重新选择。")]
    page = render_template("pages/report.html", form=form, enterprise=enterprise, problem=PAGE_MESSAGES[429])
    return page, 429, retry_after(error)


@bp.route("/r/<report_token>", methods=["GET", "POST"])
@limit_public_reports
def report_form(report_token):
    session = db.session()
    try:
        enterprise = ops.enterprise_by_report_token(session, report_token)
    except NotFound:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        anonymous = bool(form.anonymous.data)
        report = ops.Report(
            location=form.location.data.strip(), description=form.description.data.strip(),
            category=(form.category.data or "").strip() or None, anonymous=anonymous,
            reporter_name=None if anonymous else (form.name.data or "").strip() or None,
            reporter_phone=None if anonymous else (form.phone.data or "").strip() or None,
        )
        try:
            hazard, receipt = ops.report_publicly(session, report_token, report, db.now(), db.zone())
            settings = db.settings()
            for photo in [f for f in form.photos.data or [] if f and f.filename]:
                ops.add_attachment(session, None, hazard, photo.stream, upload_dir=settings.upload_dir,
                                   max_bytes=settings["uploads"]["max_bytes"],
                                   max_pixels=settings["uploads"]["max_pixels"], now=db.now())
        except DomainError as error:
            db.discard()
            form.photos.errors = [*form.photos.errors, error.message]
            return render_template("pages/report.html", form=form, enterprise=enterprise), 422
        return render_template("pages/receipt.html", hazard=hazard, receipt=receipt, enterprise=enterprise)
    status = 422 if form.is_submitted() else 200
    return render_template("pages/report.html", form=form, enterprise=enterprise), status
