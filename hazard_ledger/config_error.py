"""What every reader of the configuration needs and nothing else: where the shipped
defaults are, the environment variables that override settings, and the error a bad
value raises. A leaf (it imports nothing of the package), so the readers of profiles
(rewards, campaigns, notices) need not import config.py, which imports them to check
them at start-up."""

from __future__ import annotations

from pathlib import Path

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"

# environment variable -> (section, key, type)
ENVIRONMENT = {
    "HAZARD_LEDGER_DATABASE_URL": ("database", "url", str),
    "HAZARD_LEDGER_SECRET_KEY": ("app", "secret_key", str),
    "HAZARD_LEDGER_TIMEZONE": ("app", "timezone", str),
    "HAZARD_LEDGER_UPLOAD_DIR": ("uploads", "dir", str),
    "HAZARD_LEDGER_SMTP_HOST": ("smtp", "host", str),
    "HAZARD_LEDGER_SMTP_PORT": ("smtp", "port", int),
    "HAZARD_LEDGER_SMTP_SENDER": ("smtp", "sender", str),
}


class ConfigError(Exception):
    """A setting that cannot be used; str() is one line naming it."""

    def __init__(self, setting: str, problem: str):
        variable = next((name for name, (section, key, _) in ENVIRONMENT.items() if f"{section}.{key}" == setting), None)
        label = f"{setting} ({variable})" if variable else setting
        super().__init__(f"configuration error: {label}: {problem}")
        self.setting = setting
