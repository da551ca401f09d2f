"""The JSON API under /api/v1, documented by flask-smorest from the marshmallow schemas
at /api/v1/openapi.json."""

from __future__ import annotations

import typing

import marshmallow as ma
from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class ErrorEnvelope(ma.Schema):
    error = ma.fields.Nested(ErrorDetail, required=True)


class Api(SmorestApi):
    """flask-smorest, with the contract's error envelope instead of its own."""

    ERROR_SCHEMA = ErrorEnvelope

    def _register_error_handlers(self):
        # hazard_ledger.web.errors registers the one handler for the whole app
        return None


class JsonParser(FlaskParser):
    """A body that is not JSON, or not the JSON value the schema expects, is a 400."""

    def _raw_load_json(self, req) -> typing.Any:
        body = req.get_data(cache=True)
        if not core.is_json(req.mimetype):
            if body.strip():
                abort(400, message="请求体须为 JSON（Content-Type: application/json）/ the body must be JSON")
            return core.missing
        if not body:
            return core.missing
        # the one JSON reader (hazard_ledger.web.bodies), parsed once per request
        return req.get_json(force=True)

    def load_json(self, req, schema: ma.Schema) -> typing.Any:
        data = super().load_json(req, schema)
        if data is core.missing:
            return data
        expected = list if getattr(schema, "many", False) else dict
        if not isinstance(data, expected):
            abort(400, message=f"请求体须为 JSON {'数组' if expected is list else '对象'} / the body must be a JSON "
                               f"{'array' if expected is list else 'object'}")
        return data


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = JsonParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._document_idempotency_key)

    @staticmethod
    def _document_idempotency_key(doc, _doc_info, *, method, **_kwargs):
        # every POST takes an Idempotency-Key (web/idempotency.py): say so on the operation
        # itself (a path's parameters would also speak for its GET)
        if method == "post":
            from hazard_ledger.web.idempotency import DOCUMENTED

            doc.setdefault("parameters", []).append(dict(DOCUMENTED))
        return doc

    def arguments(self, schema, *args, **kwargs):
        # one schema object per view: given a class, webargs would build one per request
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


def register_api(app: Flask) -> None:
    from hazard_ledger.web.api import (
        audit, auth, compliance, delivery, hazards, notifications, organisations, paperwork, prevention, public,
        rewards, union,
    )

    app.config.update(
        API_TITLE="hazard-ledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "隐患台账 JSON API — see CONTRACT.md"},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = Api(app)
    for module in (auth, organisations, hazards, paperwork, public, rewards, compliance, notifications, audit,
                   delivery, union, prevention):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.extensions["hazard_ledger.api"] = api
    from hazard_ledger.web.idempotency import make_posts_idempotent

    make_posts_idempotent(app)

    @app.get("/healthz")
    def healthz():
        """The process answers: never the database, nor a pool that may be stuck."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """For load balancers: 200 while the database answers a connection of its own within
        [database] readiness_timeout_seconds, else 503 `unavailable`."""
        from hazard_ledger.web import db
        from hazard_ledger.web.errors import unavailable

        if db.database().reachable(db.settings()["database"]["readiness_timeout_seconds"]):
            return {"status": "ok"}
        return unavailable()
