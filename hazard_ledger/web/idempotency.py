"""Idempotency-Key on every POST of the API (CONTRACT §7): a client that lost an answer
(a timeout, a 503, a dropped connection) sends the request again with the same key and
gets the first answer, status and body, while nothing is written twice.

- The key: 1–200 printable ASCII characters; anything else is a 422 naming the header.
- Whose key: the bearer token's user; without a valid token (the public form, the claim
  of a reward, the token endpoint) the request's path, which holds the report token or
  the receipt. So one key is free for every caller.
- The same key with another request (method, path, query or body; for a multipart upload
  its fields and the files' contents) within 24 hours is a 422 naming the header.
- The key's row is written in the transaction of the write it answers: claimed before
  the view runs, its answer added once the view has answered, then the request's one
  commit (web/db.py) keeps both. A crash, or a conflict at that commit, leaves neither.
- Two requests with one key at once: the second waits for the first (its claim waits on
  the first's row) and then answers the first's answer; if the first failed, the second
  runs. The wait is bounded by the statement timeout (then 503).
- Only an answer that wrote (2xx) is kept. A refused request (4xx, 503) wrote nothing,
  so its retry is judged anew and, being the same request, meets the same refusal unless
  what refused it has passed (a rate limit, an outage).
- A report's one-statement autocommit session (`db.one_statement`) is not used under a
  key: the report runs in an ordinary transaction with the key's row.
"""

from __future__ import annotations

import hashlib
import re
from functools import wraps

from flask import Flask, current_app, g, request

from hazard_ledger.errors import ValidationFailed
from hazard_ledger.reliability.idempotency import Answer, KeyedRequest, claim_key, store_answer
from hazard_ledger.web import db, is_api_path

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x20-\x7e]{1,200}")
DOCUMENTED = {
    "name": HEADER, "in": "header", "required": False,
    "description": "1–200 printable characters. The same key with the same request within 24 hours answers the first "
                   "answer and writes nothing more; with another request it is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]{1,200}$"},
}


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype == "multipart/form-data":
        # a client's retry may choose another multipart boundary: compare what it carries, in its order
        for name, value in request.form.items(multi=True):
            digest.update(f"field {name!r}={value!r}\n".encode())
        for name, upload in request.files.items(multi=True):
            content = hashlib.sha256()
            for chunk in iter(lambda: upload.stream.read(1 << 16), b""):
                content.update(chunk)
            upload.stream.seek(0)
            digest.update(f"file {name!r}={upload.filename!r}:{content.hexdigest()}\n".encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _caller() -> str:
    from hazard_ledger.web.auth import api_caller

    user = api_caller()
    return f"user:{user.id}" if user is not None else f"path:{request.path}"


def idempotent(view):
    """Honour an Idempotency-Key on `view` (a POST of the API)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        # the pages carry their own key in the form (web/submissions.py) and answer with redirects
        if key is None or request.method != "POST" or not is_api_path(request.path):
            return view(*args, **kwargs)
        if not KEY.fullmatch(key):
            raise ValidationFailed.on(HEADER, "须为 1–200 个可打印字符 / must be 1-200 printable characters")
        g.idempotency = True  # from here the request's session is one ordinary transaction
        keyed = KeyedRequest.of(db.settings()["app"]["secret_key"], _caller(), key, _request_hash())
        claim = claim_key(db.session(), keyed, db.now())
        if claim.mismatch:
            raise ValidationFailed.on(HEADER, "该 Idempotency-Key 已用于另一个请求 / this Idempotency-Key was used with "
                                              "another request")
        if claim.earlier is not None:
            db.discard()
            return _replayed(claim.earlier)
        response = current_app.make_response(view(*args, **kwargs))
        if not 200 <= response.status_code < 300:
            db.discard()
            return response
        db.flush()  # the write's conflict is its 409 here, before the answer joins it
        answer = Answer(response.status_code, response.content_type or "application/json", response.get_data())
        store_answer(db.session(), keyed, claim.claim_id, answer)  # committed with the write by the request
        return response

    wrapper.honours_idempotency_key = True  # functools.wraps carries it up through later decorators
    return wrapper


def _replayed(answer: Answer):
    response = current_app.response_class(answer.body, status=answer.status, content_type=answer.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def make_posts_idempotent(app: Flask) -> None:
    """Every POST of the API, present and future, takes an Idempotency-Key."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        # a view may place it itself, below its rate limit (web/limits.py)
        if "POST" in (rule.methods or ()) and is_api_path(rule.rule) and not getattr(view, "honours_idempotency_key", False):
            app.view_functions[rule.endpoint] = idempotent(view)
