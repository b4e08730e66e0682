"""Schemathesis against a live server: every operation of the generated OpenAPI document,
all checks, all phases (examples, coverage, fuzzing, stateful), zero failures.

The run is bounded (SCHEMATHESIS_MAX_EXAMPLES per operation, default 10; a fixed seed,
SCHEMATHESIS_SEED, so a failure reproduces) to keep `make test` under its time budget.
It runs the `st` command line against pytest-django's live server on 127.0.0.1, sending
the program's host in `Host` and a key holding every scope; the few rules JSON Schema
cannot say are kept by tests/api/schemathesis_hooks.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django_scopes import scope

from apps.api.services import api_key_create
from tests.api.conftest import ALL_SCOPES

pytestmark = [pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _seed(program):
    """Data for every resource: a tracked, enrolled partner with events and alerts, an
    application waiting for a decision."""
    from apps.partners.services import partner_event_record
    from tests.applications.factories import ApplicationFactory
    from tests.milestones.conftest import day, start_tracking, sweep
    from tests.onboarding.factories import EnrollmentFactory

    start_tracking(program)
    sweep(day(50))
    EnrollmentFactory(actor=program.cam, account=program.partner)
    ApplicationFactory(tenant=program.tenant, email_verified=True)
    with scope(tenant=program.tenant):
        for i in range(3):
            partner_event_record(
                tenant=program.tenant,
                account_id=program.partner.pk,
                type="deal.registered",
                source="api",
                reference=f"DR-{i}",
            )
        return api_key_create(
            tenant=program.tenant, actor=program.admin, name="Schemathesis", scopes=ALL_SCOPES
        ).secret


def test_schemathesis_finds_no_failure(milestone_template, acme, live_server, settings, tmp_path):
    settings.API_RATE_LIMIT = 1_000_000
    settings.API_RATE_BURST = 1_000_000
    secret = _seed(acme)
    port = live_server.url.rsplit(":", 1)[1]
    host = f"{acme.host}:{port}"
    base = f"{live_server.url}/api/v1"

    from django.test import Client

    document = json.loads(Client(headers={"host": host}).get("/api/v1/schema/").content)
    document["servers"] = [{"url": base}]
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(document))

    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(schema_file),
        "--url",
        base,
        "--header",
        f"Host: {host}",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"),
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "16"),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    run = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path, check=False
    )
    output = run.stdout + run.stderr
    # The whole report, for reading after a failure (pytest shows only its end).
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "schemathesis.txt").write_text(output)
    assert run.returncode == 0, output[-20000:]
