"""Settings come from the environment and fail loudly when a value is missing or malformed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from samverkan.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "SECRET_KEY", "PSEUDONYM_KEY"}}
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "import samverkan.settings as s; print(s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = _load_settings({"DJANGO_DEBUG": "0", "PSEUDONYM_KEY": "p" * 40})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_without_pseudonym_key_refuses_to_start():
    result = _load_settings({"DJANGO_DEBUG": "0", "SECRET_KEY": "s" * 50})
    assert result.returncode != 0
    assert "PSEUDONYM_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret():
    result = _load_settings({"DJANGO_DEBUG": "0", "SECRET_KEY": "short", "PSEUDONYM_KEY": "p" * 40})
    assert result.returncode != 0
    assert "at least 32 characters" in result.stderr


def test_production_with_both_secrets_starts_in_swedish_and_stockholm_time():
    result = _load_settings({"DJANGO_DEBUG": "0", "SECRET_KEY": "s" * 50, "PSEUDONYM_KEY": "p" * 40})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "sv", "Europe/Stockholm"]


def test_a_malformed_boolean_is_an_error(monkeypatch):
    monkeypatch.setenv("X_FLAG", "kanske")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_a_malformed_number_is_an_error(monkeypatch):
    monkeypatch.setenv("X_NUMBER", "tio")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("X_NUMBER", 1)


def test_helpers_read_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_NUMBER", "42")
    monkeypatch.setenv("X_LIST", "a.se, b.se,")
    assert env_bool("X_FLAG") is True
    assert env_int("X_NUMBER", 1) == 42
    assert env_list("X_LIST") == ["a.se", "b.se"]
    assert env_str("X_MISSING", "default") == "default"
    with pytest.raises(ImproperlyConfigured):
        env_str("X_MISSING", required=True)


def test_deploy_check_is_clean_with_production_settings():
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "SECRET_KEY", "PSEUDONYM_KEY", "DATABASE_URL"}
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "k9#fQ2!vL7@pX4$zR8^wN1&bM6*cT3(hJ5)yG0_eD-uA+sK=oI",
            "PSEUDONYM_KEY": "p" * 48,
            "ALLOWED_HOSTS": "samverkan.example.se",
            "HTTPS": "1",
        }
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
