"""The pages of the core: sign-in, and the worker's report form with its receipt."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from hazard_ledger.compliance.operations import compliance_gaps
from hazard_ledger.errors import DomainError, NotFound, TooLarge
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.workload import workload
from hazard_ledger.organisations.operations import change_password, end_sessions
from hazard_ledger.paperwork.statistics import Period
from hazard_ledger.reliability.idempotency import claim_key, store_answer
from hazard_ledger.web import db, submissions
from hazard_ledger.web.errors import PAGE_MESSAGES, handle_http_exception, retry_after
from hazard_ledger.web.i18n import one_language
from hazard_ledger.web.limits import authenticate_within_limits, limit_public_reports
from hazard_ledger.web.views.forms import (
    MAX_PHOTOS, LoginForm, PasswordForm, ReportForm, accepts_photos, poster_location,
)
from hazard_ledger.web.views.qr import qr_image

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():
    """Each role's landing page: what waits for them, counted, each number a link to its list."""
    today = db.today()
    return render_template("pages/home.html", figures=workload(db.session(), current_user, today, db.zone()),
                           gaps=compliance_gaps(db.session(), current_user, today.year, db.settings()["compliance"]),
                           quarter=str(Period.quarter_of(today)), today=today)


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


def _report_page(form: ReportForm, enterprise, status: int = 200, problem: str | None = None,
                 sent_before: str | None = None, headers: dict | None = None):
    own = _own_report_account(enterprise)
    page = render_template("pages/report.html", form=form, enterprise=enterprise, problem=problem,
                           sent_before=sent_before, own_account=own, categories=db.settings()["reports"]["categories"],
                           max_bytes=db.settings()["uploads"]["max_bytes"], max_photos=MAX_PHOTOS)
    return page, status, headers or {}


def _own_report_account(enterprise):
    """The signed-in user whose report belongs to their account: one of this enterprise's
    people (a poster of one's own workplace). Anyone else reports as the public does."""
    if current_user.is_authenticated and current_user.enterprise_id == enterprise.id:
        return current_user._get_current_object()
    return None


def _enterprise_or_404(report_token: str):
    try:
        return ops.enterprise_by_report_token(db.session(), report_token)
    except NotFound:
        abort(404)


@bp.errorhandler(429)
def too_many_requests(error):
    """Over the QR form's limit the worker gets the form back with what they typed: only
    the photos must be chosen again. Other pages answer with the common error page."""
    if request.endpoint != "pages.report_form":
        return handle_http_exception(error)
    enterprise = _enterprise_or_404(request.view_args["report_token"])
    form = ReportForm()
    form.photos.errors = [_("照片需要重新选择。")]
    return _report_page(form, enterprise, 429, problem=PAGE_MESSAGES[429], headers=retry_after(error))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Photos larger together than even the form's allowance (the page's script shrinks
    them first; this is a browser without it): the form again, the problem next to the
    photos, never a dead end. What was typed came in the refused body and is lost."""
    if request.endpoint != "pages.report_form":
        return handle_http_exception(error)
    enterprise = _enterprise_or_404(request.view_args["report_token"])
    form = ReportForm(formdata=None)
    form.submission.data = submissions.new_key()
    form.photos.errors = [_("照片太大，请少选几张或换小一些的照片。")]
    return _report_page(form, enterprise, 413)


@bp.route("/r/<report_token>", methods=["GET", "POST"])
@limit_public_reports
@accepts_photos(MAX_PHOTOS)
def report_form(report_token):
    """The worker's report form (QR code, poster link, or 我要举报 when signed in).
    Post/Redirect/Get under the form's idempotency key (web/submissions.py): the answer
    is a redirect to the receipt page, and the same form sent again finds its receipt."""
    session = db.session()
    enterprise = _enterprise_or_404(report_token)
    form = ReportForm()
    if not form.is_submitted():
        form.submission.data = submissions.new_key()
        form.location.data = poster_location(report_token, request.args.get("location"))
        return _report_page(form, enterprise)
    key = submissions.usable_key(form.submission.data) or submissions.new_key()
    form.submission.data = key
    if not form.validate():
        return _report_page(form, enterprise, 422)
    anonymous = bool(form.anonymous.data)
    account = None if anonymous else _own_report_account(enterprise)
    report = ops.Report(
        location=form.location.data.strip(), description=form.description.data.strip(),
        category=(form.category.data or "").strip() or None, anonymous=anonymous,
        reporter_name=None if anonymous or account else (form.name.data or "").strip() or None,
        reporter_phone=None if anonymous or account else (form.phone.data or "").strip() or None,
    )
    photos = [f for f in form.photos.data or [] if f and f.filename]
    # an anonymous report's content is hashed without any account: nothing links it to one
    keyed = submissions.keyed_submission(report_token, key, vars(report), photos, account.id if account else None)
    claim = claim_key(session, keyed, db.now())
    if claim.earlier is not None:  # sent before: its receipt, nothing filed
        db.discard()
        return redirect(url_for("pages.report_receipt", report_token=report_token, key=key), 303)
    if claim.mismatch:  # this form was sent with other content: file nothing, keep what was typed
        db.discard()
        form.submission.data = submissions.new_key()
        return _report_page(form, enterprise, 422, problem=_("这张表已经提交过，内容与这次不同，所以这次没有提交。"
                                                              "确认要再报一条隐患，请再点一次“提交”。"),
                            sent_before=url_for("pages.report_receipt", report_token=report_token, key=key))
    settings = db.settings()
    try:
        # the photos first: the report's history entry chains their sha256
        stored = [ops.store_photo(photo.stream, db.uploads()) for photo in photos]
        if account is not None:
            hazard = ops.report_as_user(session, account, report, enterprise.id, db.now(), db.zone(), photos=stored)
            receipt = None
        else:
            hazard, receipt = ops.report_publicly(session, report_token, report, db.now(), db.zone(), photos=stored)
    except TooLarge:
        db.discard()
        form.photos.errors = [_("有照片超过 %(mb)s MB，请换一张或缩小后再传。",
                                mb=round(settings["uploads"]["max_bytes"] / 1048576, 1))]
        return _report_page(form, enterprise, 422)
    except DomainError as error:
        db.discard()
        form.photos.errors = [*form.photos.errors, one_language(error.message)]
        return _report_page(form, enterprise, 422)
    db.flush()  # a conflict is the 409 before the answer is written beside it
    store_answer(session, keyed, claim.claim_id,
                 submissions.Filed(code=hazard.code, hazard_id=hazard.id, receipt=receipt).answer())
    # the redirect commits the report, its photos and the answer together (web/db.py)
    return redirect(url_for("pages.report_receipt", report_token=report_token, key=key), 303)


@bp.route("/r/<report_token>/receipt/<key>")
def report_receipt(report_token, key):
    """The receipt, as often as the page is opened within the key's 24 hours: a refresh
    files nothing. A report of one's own account has no receipt: the account holds it."""
    enterprise = _enterprise_or_404(report_token)
    filed = submissions.filed_under(report_token, key) if submissions.usable_key(key) else None
    if filed is None:
        return render_template("errors/error.html", status=404, title=_("回执页面已失效"),
                               message=_("回执页面只在提交后 24 小时内可以再次打开。凭回执号仍可查询进度。"),
                               fields=None), 404
    status_address = None
    if filed.receipt:
        status_address = url_for("work.receipt_status", receipt=filed.receipt, _external=False)
        status_address = f"{db.settings()['app']['base_url'].rstrip('/')}{status_address}"
    return render_template("pages/receipt.html", filed=filed, enterprise=enterprise, status_address=status_address,
                           qr=qr_image(status_address) if status_address else None)


@bp.route("/r/report-worker.js")
def report_worker():
    """The report form's service worker, served under /r/ so that its scope is the forms."""
    response = current_app.send_static_file("report-worker.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response
