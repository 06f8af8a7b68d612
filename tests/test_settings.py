"""Settings read each variable once and stop start-up with its name when it is malformed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


def start_django(**variables):
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(variables, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql2://db/tracker"),
        ("DATABASE_URL", "postgres://host:port/tracker"),
        ("EMAIL_URL", "smtp://mail:twenty-five"),
        ("REDIS_URL", "localhost:6379"),
        ("FOLLOWUP_SWEEP_SECONDS", "soon"),
        ("FOLLOWUP_LEASE_SECONDS", "0"),
        ("DEBUG", "perhaps"),
    ],
)
def test_start_up_stops_with_the_name_of_a_malformed_variable(variable, value):
    result = start_django(**{variable: value})

    assert result.returncode != 0
    assert f"{variable} is malformed" in result.stderr


def test_secret_key_is_required_when_debug_is_off():
    result = start_django(DEBUG="false", ALLOWED_HOSTS="tracker.example.org")

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_the_embedded_default_starts_with_no_environment(tmp_path):
    result = start_django(VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mail").is_dir()


def test_database_url_is_parsed_for_postgres(monkeypatch):
    monkeypatch.setenv("TEST_DB", "postgres://tracker:secret@db.internal:5433/tracker")

    config = env.read_database("TEST_DB", "sqlite:///unused")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        5433,
        "tracker",
        "tracker",
    )


def test_email_url_gives_smtp_settings(monkeypatch):
    monkeypatch.setenv("TEST_EMAIL", "smtp://mailer:secret@mail.internal:1025")

    config = env.read_email("TEST_EMAIL")

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.internal", 1025)


@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("0", False), ("TRUE", True), ("off", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("TEST_FLAG", raw)
    assert env.read_bool("TEST_FLAG", default=not value) is value


def test_an_int_below_its_minimum_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("TEST_SECONDS", "-3")
    with pytest.raises(ImproperlyConfigured, match="TEST_SECONDS is malformed"):
        env.read_int("TEST_SECONDS", 60, minimum=1)
