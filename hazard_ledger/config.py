"""Settings: config/default.toml, then the file named by HAZARD_LEDGER_CONFIG, then
HAZARD_LEDGER_* environment variables. A bad value raises ConfigError naming it."""

from __future__ import annotations

import copy
import os
import secrets
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hazard_ledger.config_error import DEFAULTS_DIR, ENVIRONMENT, ConfigError

DEFAULT_FILE = DEFAULTS_DIR / "default.toml"

# Signing keys anyone can read (the one this project once shipped) sign nothing.
KNOWN_SECRET_KEYS = frozenset({"change-me-in-production"})
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"

# [database] settings in whole seconds (or a count): PostgreSQL's timeouts and keepalives
DATABASE_SECONDS = (
    "connect_timeout_seconds", "pool_timeout_seconds", "web_statement_timeout_seconds",
    "jobs_statement_timeout_seconds", "web_idle_in_transaction_timeout_seconds",
    "jobs_idle_in_transaction_timeout_seconds", "answer_grace_seconds", "tcp_keepalives_idle_seconds",
    "tcp_keepalives_interval_seconds", "tcp_keepalives_count", "tcp_user_timeout_seconds",
    "readiness_timeout_seconds",
)


@dataclass(frozen=True)
class Settings:
    """Validated settings; `values` is the merged TOML tree."""

    values: Mapping[str, Mapping[str, Any]]
    instance_dir: Path

    def __getitem__(self, section: str) -> Mapping[str, Any]:
        return self.values[section]

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.values["app"]["timezone"])

    @property
    def database_url(self) -> str:
        url = self.values["database"]["url"]
        return url or f"sqlite:///{self.instance_dir / 'hazard-ledger.sqlite3'}"

    @property
    def upload_dir(self) -> Path:
        configured = self.values["uploads"]["dir"]
        return Path(configured) if configured else self.instance_dir / "uploads"


def _merge(base: dict, override: Mapping, origin: str, path: str = "") -> None:
    for key, value in override.items():
        name = f"{path}{key}"
        if isinstance(value, Mapping):
            if not isinstance(base.get(key, {}), dict):
                raise ConfigError(name, f"is a value, not a table (in {origin})")
            _merge(base.setdefault(key, {}), value, origin, name + ".")
        else:
            base[key] = value


def _read_toml(path: Path, setting: str) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(setting, f"cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(setting, f"{path} is not valid TOML: {error}") from None


def load_settings(
    override: Mapping | None = None,
    environ: Mapping[str, str] | None = None,
    instance_dir: Path | None = None,
) -> Settings:
    """Build validated settings. `override` (a TOML-shaped dict) wins over everything;
    tests use it."""
    environ = os.environ if environ is None else environ
    values = _read_toml(DEFAULT_FILE, "default configuration")
    config_file = environ.get("HAZARD_LEDGER_CONFIG")
    if config_file:
        _merge(values, _read_toml(Path(config_file), "HAZARD_LEDGER_CONFIG"), config_file)
    for variable, (section, key, kind) in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            values[section][key] = kind(raw)
        except ValueError:
            raise ConfigError(variable, f"expected a {kind.__name__}, got {raw!r}") from None
    if override:
        _merge(values, copy.deepcopy(dict(override)), "override")
    settings = Settings(values=values, instance_dir=instance_dir or Path.cwd() / "instance")
    _validate(settings)
    return settings


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def default_base_url_warning(settings: Settings) -> str | None:
    """The start-up warning while app.base_url is still the default: every QR poster then
    sends phones to this machine's loopback, which no phone reaches."""
    if settings["app"]["base_url"].rstrip("/") != DEFAULT_BASE_URL:
        return None
    return (f"app.base_url is still the default {DEFAULT_BASE_URL}: the QR codes of the report posters lead "
            f"nowhere on a phone; set [app] base_url to the public address in HAZARD_LEDGER_CONFIG")


def _validate(settings: Settings) -> None:
    values = settings.values
    try:
        ZoneInfo(str(values["app"]["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("app.timezone", f"unknown time zone {values['app']['timezone']!r}") from None
    if values["app"]["default_locale"] not in ("zh", "en"):
        raise ConfigError("app.default_locale", "must be 'zh' or 'en'")
    key = values["app"]["secret_key"]
    if not isinstance(key, str):
        raise ConfigError("app.secret_key", "expected a string")
    if key and (problem := _weak_key(key)):
        raise ConfigError("app.secret_key", f"{problem}; set a random one, or leave it empty to have one generated"
                                            f" in {settings.instance_dir / SECRET_KEY_FILE}")
    _positive_int(values, "app", "token_hours")
    _positive_int(values, "uploads", "max_bytes")
    _positive_int(values, "uploads", "max_pixels")
    _positive_int(values, "database", "sqlite_busy_timeout_ms")
    for key in DATABASE_SECONDS:
        _positive_int(values, "database", key, allow_zero=key == "answer_grace_seconds")
    for key in ("due_soon_days", "stale_progress_days", "untriaged_days", "untriaged_escalation_days"):
        _positive_int(values, "notifications", key, allow_zero=key == "due_soon_days")
    for key in ("escalation_days", "major_escalation_days"):
        levels = values["notifications"][key]
        if not isinstance(levels, list) or not levels or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in levels):
            raise ConfigError(f"notifications.{key}", f"expected a list of positive whole numbers, got {levels!r}")
    if values["smtp"]["tls"] not in ("none", "starttls", "ssl"):
        raise ConfigError("smtp.tls", f"must be 'none', 'starttls' or 'ssl', got {values['smtp']['tls']!r}")
    for key in ("batch_size", "max_attempts", "backoff_seconds", "lease_seconds", "timeout_seconds"):
        _positive_int(values, "delivery", key)
    _allowed_hosts(values["delivery"]["allowed_hosts"])
    _positive_int(values, "scheduler", "misfire_grace_seconds")
    _positive_int(values, "scheduler", "catch_up_grace_seconds", allow_zero=True)
    poll = values["scheduler"]["standby_poll_seconds"]
    if not isinstance(poll, (int, float)) or isinstance(poll, bool) or poll <= 0:
        raise ConfigError("scheduler.standby_poll_seconds", f"expected a positive number, got {poll!r}")
    for name, expression in values["scheduler"].items():
        if name in ("misfire_grace_seconds", "standby_poll_seconds", "catch_up_grace_seconds") or expression == "":
            continue  # an empty expression turns the job off
        try:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(str(expression))
        except ValueError as error:
            raise ConfigError(f"scheduler.{name}", f"not a cron expression ({error}): {expression!r}") from None
    _port(values, "smtp", "port")
    _port(values, "server", "port")
    _positive_int(values, "server", "workers", allow_zero=True)
    _positive_int(values, "server", "threads")
    _positive_int(values, "server", "retry_after_seconds")
    _positive_int(values, "server", "worker_timeout_seconds")
    database = values["database"]
    longest_wait = (database["pool_timeout_seconds"] + database["connect_timeout_seconds"]
                    + database["web_statement_timeout_seconds"] + database["answer_grace_seconds"])
    if values["server"]["worker_timeout_seconds"] <= longest_wait:
        raise ConfigError("server.worker_timeout_seconds", f"must exceed a request's longest wait for the database, "
                          f"[database] pool_timeout + connect_timeout + web_statement_timeout + answer_grace "
                          f"= {longest_wait} s; got {values['server']['worker_timeout_seconds']}")
    _positive_int(values, "server", "trusted_proxies", allow_zero=True)
    if not isinstance(values["server"]["server_timing"], bool):
        raise ConfigError("server.server_timing", f"expected true or false, got {values['server']['server_timing']!r}")
    _positive_int(values, "limits", "known_address_days")
    categories = values["reports"]["categories"]
    if not isinstance(categories, list) or not all(isinstance(c, str) and 0 < len(c) <= 50 for c in categories):
        raise ConfigError("reports.categories", f"expected a list of words of 1-50 characters, got {categories!r}")
    for key in ("public_report", "failed_login", "failed_login_per_address", "failed_login_per_account"):
        try:
            from limits import parse

            parse(str(values["limits"][key]))
        except ValueError:
            raise ConfigError(f"limits.{key}", f"not a rate such as '30 per minute': {values['limits'][key]!r}") from None
    compliance = values["compliance"]
    if compliance["profile"] not in ("union", "statutory"):
        raise ConfigError("compliance.profile", f"must be 'union' or 'statutory', got {compliance['profile']!r}")
    for key in ("reminders_from", "joined_late_from"):
        try:
            month, day = (int(part) for part in str(compliance[key]).split("-"))
            date(2024, month, day)
        except ValueError:
            raise ConfigError(f"compliance.{key}", f"expected MM-DD, got {compliance[key]!r}") from None
    for key in ("hours_principal", "hours_safety_manager", "hours_high_risk_managers", "hours_high_risk_frontline",
                "hours_other"):
        _positive_int(values, "compliance", key, allow_zero=True)
    from hazard_ledger.prevention.grading import rules_from

    try:
        rules_from(values["risk"])
    except ValueError as error:
        key, _, problem = str(error).partition(": ")
        raise ConfigError(f"risk.{key}", problem) from None
    from hazard_ledger.rewards.profiles import load_profiles

    load_profiles()  # a malformed reward profile stops start-up, naming the file and the key
    from hazard_ledger.union.scoring import check_union_settings

    check_union_settings(values)  # [notices], [campaigns] and the scoring sheets, likewise
    url = settings.database_url
    try:
        from sqlalchemy.engine import make_url

        backend = make_url(url).get_backend_name()
    except Exception:  # sqlalchemy raises ArgumentError and ValueError alike
        raise ConfigError("database.url", f"not a database URL: {url!r}") from None
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError("database.url", f"unsupported database {backend!r} (use sqlite or postgresql)")


def _positive_int(values: Mapping, section: str, key: str, allow_zero: bool = False) -> None:
    value = values[section][key]
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise ConfigError(f"{section}.{key}", f"expected a {'non-negative' if allow_zero else 'positive'} whole number, got {value!r}")


def _allowed_hosts(entries: Any) -> None:
    from hazard_ledger.notifications.targets import AllowedHosts, RefusedTarget

    problem = f"expected a list of host names, addresses or networks, got {entries!r}"
    if not isinstance(entries, list) or not all(isinstance(entry, str) and entry.strip() for entry in entries):
        raise ConfigError("delivery.allowed_hosts", problem)
    try:
        AllowedHosts(entries)
    except RefusedTarget:
        raise ConfigError("delivery.allowed_hosts", problem) from None


def _port(values: Mapping, section: str, key: str) -> None:
    value = values[section][key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        raise ConfigError(f"{section}.{key}", f"expected a port number 1-65535, got {value!r}")


def _weak_key(key: str) -> str | None:
    if key in KNOWN_SECRET_KEYS:
        return "is the placeholder shipped with the code, which anyone can read"
    if len(key.strip()) < MIN_SECRET_KEY_LENGTH:
        return f"is too short ({len(key.strip())} characters; at least {MIN_SECRET_KEY_LENGTH})"
    if len(set(key)) < 8:
        return "is not random (too few different characters)"
    return None


def resolve_secret_key(settings: Settings) -> tuple[str, Path | None]:
    """The key that signs sessions and tokens, and the file it was just written to (None
    when it existed before). A configured key is used as it is (load_settings refused a
    known or short one); without one, the key in instance/secret_key, made on the first
    start: random, readable by the owner alone, written whole or not at all, and the same
    for every worker that races to make it."""
    configured = settings["app"]["secret_key"]
    if configured:
        return configured, None
    path = settings.instance_dir / SECRET_KEY_FILE
    try:
        made = not path.exists() and _create_key_file(path)
        key = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError("app.secret_key", f"cannot keep a generated key in {path}: {error.strerror}") from None
    if problem := _weak_key(key):
        raise ConfigError("app.secret_key", f"{path} {problem}; delete the file to have a new key generated")
    return key, path if made else None


def _create_key_file(path: Path) -> bool:
    """Write a new random key to `path` unless a key is there already; True if written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)  # atomic, and never replaces a key another worker made meanwhile
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(draft)
