"""Security headers on every response, pages, API, files and errors alike.

- Content-Security-Policy: scripts, styles, images, forms only from this site, and no
  inline script at all (the templates keep their scripts in static files): an injected
  tag or on*= attribute does not run. No other site may frame a page.
- Referrer-Policy no-referrer: the QR form's address carries the enterprise's report
  token, which must not travel to the sites its links lead to.
- Cache-Control no-store on everything but the static files: pages, API answers,
  exports and photos are personal or confidential and must not stay in a shared proxy
  or on a shared computer's disk.
- HSTS when the public address (app.base_url) is https.
- Server-Timing `app;dur=<ms>, cpu;dur=<ms>` when [server] server_timing is on: the time
  from the request's first hook to its answer, and the CPU time its thread spent in it
  (on a busy machine the first also holds the waits for a core), which a browser reads
  in its Navigation Timing (bench/pages.py). Off by default: it costs a header."""

from __future__ import annotations

import time

from flask import Flask, g, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # data: the empty favicon
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def init_headers(app: Flask) -> None:
    headers = dict(ALWAYS)
    if app.extensions["hazard_ledger.settings"]["app"]["base_url"].startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    static_prefix = (app.static_url_path or "/static").rstrip("/") + "/"

    @app.after_request
    def _security_headers(response):
        response.headers.update(headers)
        if not request.path.startswith(static_prefix):
            response.headers["Cache-Control"] = "no-store"
        return response

    if app.extensions["hazard_ledger.settings"]["server"]["server_timing"]:
        _time_requests(app)


def _time_requests(app: Flask) -> None:
    # the first before-request hook of all, so the sign-in lookup and CSRF check count too
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)

    @app.after_request
    def _server_timing(response):
        started = g.get("server_timing_started")
        if started is not None:
            wall, cpu = started
            response.headers["Server-Timing"] = (f"app;dur={(time.perf_counter() - wall) * 1000:.1f}, "
                                                 f"cpu;dur={(time.thread_time() - cpu) * 1000:.1f}")
        return response


def _start_clock():
    g.server_timing_started = (time.perf_counter(), time.thread_time())
