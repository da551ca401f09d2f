from pathlib import Path

import pytest

from hazard_ledger.config import ConfigError, load_settings


def test_defaults_need_no_file_and_no_environment(tmp_path):
    settings = load_settings(environ={}, instance_dir=tmp_path)
    assert settings["app"]["timezone"] == "Asia/Shanghai"
    assert settings.database_url == f"sqlite:///{tmp_path / 'hazard-ledger.sqlite3'}"
    assert settings["uploads"]["max_bytes"] == 10 * 1024 * 1024


def test_file_then_environment_override(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('[app]\ntimezone = "Asia/Urumqi"\n[smtp]\nhost = "mail.example"\n', encoding="utf-8")
    settings = load_settings(environ={"HAZARD_LEDGER_CONFIG": str(config), "HAZARD_LEDGER_SMTP_HOST": "smtp.local",
                                      "HAZARD_LEDGER_SMTP_PORT": "2525"})
    assert settings["app"]["timezone"] == "Asia/Urumqi"
    assert settings["smtp"]["host"] == "smtp.local"
    assert settings["smtp"]["port"] == 2525


@pytest.mark.parametrize("environ, setting", [
    ({"HAZARD_LEDGER_TIMEZONE": "Mars/Olympus"}, "HAZARD_LEDGER_TIMEZONE"),
    ({"HAZARD_LEDGER_SMTP_PORT": "twenty-five"}, "HAZARD_LEDGER_SMTP_PORT"),
    ({"HAZARD_LEDGER_SMTP_PORT": "70000"}, "HAZARD_LEDGER_SMTP_PORT"),
    ({"HAZARD_LEDGER_DATABASE_URL": "mysql://x/y"}, "HAZARD_LEDGER_DATABASE_URL"),
    ({"HAZARD_LEDGER_DATABASE_URL": "not a url"}, "HAZARD_LEDGER_DATABASE_URL"),
    ({"HAZARD_LEDGER_CONFIG": "/nonexistent/site.toml"}, "HAZARD_LEDGER_CONFIG"),
])
def test_a_bad_value_is_one_line_naming_the_setting(environ, setting):
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=environ)
    message = str(raised.value)
    assert setting in message
    assert "\n" not in message


def test_a_bad_value_in_the_file_names_the_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[limits]\npublic_report = "lots"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="limits.public_report"):
        load_settings(environ={"HAZARD_LEDGER_CONFIG": str(config)})
    config.write_text('[scheduler]\nreminders = "every day"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="scheduler.reminders"):
        load_settings(environ={"HAZARD_LEDGER_CONFIG": str(config)})
    config.write_text("[server]\nthreads = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="server.threads"):
        load_settings(environ={"HAZARD_LEDGER_CONFIG": str(config)})
    config.write_text("[app\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"HAZARD_LEDGER_CONFIG": str(config)})


def test_the_defaults_ship_inside_the_package():
    import hazard_ledger.config as config

    # found next to the code, so the installed command works from any directory
    assert config.DEFAULT_FILE.is_file()
    assert config.DEFAULT_FILE.parent.parent == Path(config.__file__).resolve().parent
