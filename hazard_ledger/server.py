"""`hazard-ledger serve`: gunicorn web workers, and the scheduler as a separate process
beside them (never inside a worker: APScheduler 3.x cannot share its job store)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from hazard_ledger.config import Settings


class GunicornServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from hazard_ledger import create_app

        return create_app(settings=self.settings)


def serve(settings: Settings, host: str | None = None, port: int | None = None, workers: int | None = None,
          with_scheduler: bool = True) -> None:
    server = settings["server"]
    workers = workers or server["workers"] or 2 * multiprocessing.cpu_count() + 1
    options = {
        "bind": f"{host or server['host']}:{port or server['port']}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": server["threads"],
        # above a request's longest wait for the database (checked in config.py), which ends in a 503
        "timeout": server["worker_timeout_seconds"],
        "graceful_timeout": 20,
        # No access log: the public form promises not to keep reporters' addresses.
        "accesslog": None,
        "errorlog": "-",
        "preload_app": False,
    }
    scheduler = None
    if with_scheduler:
        scheduler = subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "scheduler"])
    try:
        GunicornServer(settings, options).run()
    finally:
        if scheduler is not None:
            scheduler.terminate()
            try:
                scheduler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                scheduler.kill()
