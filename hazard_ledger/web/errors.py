"""One error shape everywhere: {"error": {"code", "message", "fields"?}} for the API,
/healthz and /readyz, a page in the site's look for browsers. No input ever produces a
500; an unexpected failure is logged and answered in the same shape. A database that
cannot be reached is a 503 `unavailable` with Retry-After, for the client to retry."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from hazard_ledger.errors import DomainError, flatten_messages
from hazard_ledger.web import is_api_path
from hazard_ledger.web.auth import Unauthorized
from hazard_ledger.web.bodies import NUL, unreadable_form_fields

CODES = {
    400: ("bad_request", "请求无效 / bad request"),
    401: ("unauthorized", "请先登录 / authentication required"),
    403: ("forbidden", "无权操作 / forbidden"),
    404: ("not_found", "未找到 / not found"),
    405: ("method_not_allowed", "不支持该方法 / method not allowed"),
    409: ("conflict", "冲突 / conflict"),
    413: ("too_large", "上传内容过大 / the request is too large"),
    415: ("bad_request", "不支持的内容类型 / unsupported content type"),
    422: ("validation_error", "输入有误 / invalid input"),
    429: ("rate_limited", "请求过于频繁，请稍后再试 / too many requests, try again later"),
    500: ("internal_error", "服务器内部错误 / internal error"),
    503: ("unavailable", "数据库暂时无法访问，请稍后重试 / the database cannot be reached; retry later"),
}


# what a page says, in the page's language; the API keeps its bilingual messages
PAGE_TITLES = {
    400: _l("请求无效"), 401: _l("请先登录"), 403: _l("没有权限"), 404: _l("页面不存在"),
    413: _l("上传内容过大"), 422: _l("输入有误"), 429: _l("提交太频繁了"), 500: _l("服务器出错了"),
    503: _l("服务暂时不可用"),
}
PAGE_MESSAGES = {
    403: _l("您的账号不能查看或办理这一项。"),
    404: _l("链接可能已失效，或这一项不在您的查看范围内。"),
    413: _l("照片太大，请压缩后重新上传。"),
    429: _l("为防止刷单，同一网络每分钟只能提交有限次数。请稍等一分钟再提交。"),
    500: _l("请稍后再试；问题已记录。"),
    503: _l("数据库暂时无法连接，请稍后再试。"),
}


def wants_json() -> bool:
    return is_api_path(request.path) or request.path in ("/healthz", "/readyz")


def error_response(status: int, code: str | None = None, message: str | None = None,
                   fields: dict | None = None, headers: dict | None = None):
    default_code, default_message = CODES.get(status, ("bad_request" if status < 500 else "internal_error", ""))
    code, message = code or default_code, message or default_message
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return body, status, headers or {}
    title = PAGE_TITLES.get(status, status)
    shown = PAGE_MESSAGES.get(status) if message == default_message else message
    return render_template("errors/error.html", status=status, title=title, message=shown or "",
                           fields=fields), status, headers or {}


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        # webargs keys messages by location (json, query, form, files); the location is noise
        messages = data["messages"]
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query", "form", "files", "querystring"):
            messages = next(iter(messages.values()))
        fields = flatten_messages(messages)
        if set(fields) == {"_schema"}:
            return error_response(400, message="请求体须为 JSON 对象 / the body must be a JSON object")
        return error_response(422, fields=fields)
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    message = data.get("message") if isinstance(data.get("message"), str) else None
    if status == 429:
        headers = {**retry_after(error), **headers}
    return error_response(status, message=message, headers=headers)


def retry_after(error: HTTPException) -> dict:
    """The Retry-After header of a rate-limit refusal, when the limiter knows it."""
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(int(seconds))} if seconds else {}


def handle_domain_error(error: DomainError):
    return error_response(error.status, error.code, error.message, error.fields)


def handle_unauthorized(_error: Unauthorized):
    return error_response(401, headers={"WWW-Authenticate": 'Bearer realm="hazard-ledger"'})


def handle_csrf(error: CSRFError):
    return error_response(400, message=f"表单已失效，请刷新页面后重试 / {error.description}")


def handle_data_error(error: DataError):
    # the database refused a value (PostgreSQL: a NUL character, a number out of range);
    # the input is wrong, not the server
    current_app.logger.info("database refused a value on %s %s: %s", request.method, request.path, error.orig)
    return error_response(422, message="输入包含无法保存的字符或数值 / the input has characters or numbers that cannot be stored")


def refuse_unreadable_text():
    """Text no field can store, named before any view sees it: NUL in the API's query
    (PostgreSQL cannot store it), NUL or bytes that were not UTF-8 in a page form. JSON
    bodies are checked as they are read (hazard_ledger.web.bodies.loads)."""
    if is_api_path(request.path):
        bad = {key: [NUL] for key, value in request.args.items(multi=True) if "\x00" in key or "\x00" in value}
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        bad = unreadable_form_fields(request.form)
    else:
        return None
    return error_response(422, fields=bad) if bad else None


def unavailable():
    """503 `unavailable`, with the Retry-After of [server] retry_after_seconds."""
    seconds = current_app.extensions["hazard_ledger.settings"]["server"]["retry_after_seconds"]
    if not wants_json():
        # the page's header shows the caller; reading them now would only fail again
        g._login_user = current_app.login_manager.anonymous_user()
    return error_response(503, headers={"Retry-After": str(seconds)})


def is_database_unavailable(error: Exception) -> bool:
    """A failure of the database's reachability, not of the request: a lost or refused
    connection, a statement or lock timeout, an exhausted pool."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def handle_database_error(error: Exception):
    if not is_database_unavailable(error):
        return handle_unexpected(error)
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               reason[0] if reason else type(error).__name__)
    return unavailable()


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Unauthorized, handle_unauthorized)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(DataError, handle_data_error)
    for failure in (DBAPIError, PoolTimeout):
        app.register_error_handler(failure, handle_database_error)
    app.before_request(refuse_unreadable_text)
    app.register_error_handler(Exception, handle_unexpected)
