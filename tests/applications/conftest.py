"""Helpers for the applications tests: settings, submissions, confirmation links, mail."""

import re

import pytest
from django_scopes import scope

from apps.applications.models import Application
from apps.applications.services import (
    application_confirm,
    application_confirmation_issue,
    application_submit,
    program_settings_update,
)
from tests.applications.factories import ApplicantFactory, reseller_of


@pytest.fixture
def eager():
    """Celery tasks run inline (after commit), so emails land in mail.outbox."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def configure(program, **fields):
    with scope(tenant=program.tenant):
        return program_settings_update(tenant=program.tenant, actor=program.admin, **fields)


def reseller(program):
    return reseller_of(program.tenant)


def submit(program, email, *, company="Initech", first="Peter", last="Gibbons", **kwargs):
    applicant = ApplicantFactory(
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        partner_type=kwargs.pop("partner_type", None) or reseller(program),
        country=kwargs.pop("country", "US"),
        website=kwargs.pop("website", "https://initech.example"),
    )
    with scope(tenant=program.tenant):
        return application_submit(tenant=program.tenant, applicant=applicant, **kwargs)


def issue_token(program, application) -> str:
    """What the confirmation email's task does: a fresh link token."""
    with scope(tenant=program.tenant):
        return application_confirmation_issue(tenant=program.tenant, application_id=application.pk)


def confirm(program, token):
    with scope(tenant=program.tenant):
        return application_confirm(tenant=program.tenant, token=token)


def apply_and_confirm(program, email, **kwargs):
    """Submit and confirm; returns the Confirmation (with the decision)."""
    submission = submit(program, email, **kwargs)
    return confirm(program, issue_token(program, submission.application))


def reload(program, application) -> Application:
    with scope(tenant=program.tenant):
        return Application.objects.select_related("partner_account", "matched_account").get(
            pk=application.pk
        )


LINK = re.compile(r"https?://[^\s\"<>]+")


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
