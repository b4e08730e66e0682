import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "k8#2vJ!q9@zR5mW&xT7yL1nB4cF6hD0sG3aP8eU2iO5rK9wQ-production-grade",
    "ALLOWED_HOSTS": ".onramp.example,partners.acme.com",
    "DATABASE_URL": "postgres://onramp@127.0.0.1:5432/onramp",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.onramp.example:587",
    "BASE_DOMAIN": "onramp.example",
}


def _run(args, extra_env=None):
    # Only what production would have: nothing the test runner exported for itself.
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV", "TMPDIR")
    }
    env.update(PRODUCTION_ENV)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_is_off_unless_set():
    code = "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    result = _run(["shell", "--no-imports", "-c", code])
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_seed_demo_refuses_without_debug():
    result = _run(["seed_demo"])
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_filemail_path_stays_absolute():
    """`filemail:///abs/path` writes to /abs/path, never to abs/path under the checkout
    (django-environ drops the leading slash; that once filled a tracked tmp/ with mail logs)."""
    code = "from django.conf import settings; print(settings.EMAIL_FILE_PATH)"
    result = _run(
        ["shell", "--no-imports", "-c", code], {"EMAIL_URL": "filemail:///tmp/onramp-mail"}
    )
    assert result.stdout.strip() == "/tmp/onramp-mail", result.stderr
