"""Settings read each variable once and stop start-up with its name when it is malformed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


def run_python(*arguments, **variables):
    """Python in a fresh process, with this environment less the test's services plus `variables`."""
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(variables, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def start_django(**variables):
    return run_python("-c", "import django; django.setup()", **variables)


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
        ("FOLLOWUP_SEND_BATCH", "1001"),
        ("DEBUG", "perhaps"),
        ("SITE_URL", "tracker.example.org"),
        ("LOG_LEVEL", "loud"),
        ("API_THROTTLE_USER", "lots"),
        ("API_THROTTLE_TOKEN", "10/fortnight"),
        ("LOGIN_ADDRESS_FAILURE_LIMIT", "0"),
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


def test_allowed_hosts_is_required_when_debug_is_off():
    result = start_django(DEBUG="false", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required when DEBUG is off" in result.stderr


def test_a_secret_key_starting_with_a_dollar_is_taken_as_it_is(tmp_path):
    key = "$3kx" + "q" * 50
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"

    result = run_python("-c", code, SECRET_KEY=key, VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_an_unwritable_var_dir_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    result = start_django(VAR_DIR=str(blocker / "var"))

    assert result.returncode != 0
    assert "cannot be created" in result.stderr
    assert str(blocker) in result.stderr


def test_a_socket_database_url_needs_no_host(monkeypatch):
    monkeypatch.setenv("TEST_DB", "postgres:///tracker")

    assert env.read_database("TEST_DB", "sqlite:///unused")["NAME"] == "tracker"


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-secret-" + "k" * 40,
        ALLOWED_HOSTS="tracker.example.org",
        CSRF_TRUSTED_ORIGINS="https://tracker.example.org",
        VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def read_caches(tmp_path, **variables):
    code = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
    result = run_python("-c", code, VAR_DIR=str(tmp_path), **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["default"]


def test_with_redis_the_cache_is_shared_under_a_prefix_and_gives_up_quickly(tmp_path):
    cache = read_caches(tmp_path, REDIS_URL="redis://redis.internal:6379/0")

    assert cache["BACKEND"] == "tracker.cache.DegradingRedisCache"
    assert cache["LOCATION"] == "redis://redis.internal:6379/0"
    assert cache["KEY_PREFIX"] == "tracker"
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1


def test_without_redis_each_process_caches_in_its_memory(tmp_path):
    assert read_caches(tmp_path)["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
