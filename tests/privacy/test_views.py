"""apps/home/views_privacy.py: /console/settings/privacy/ for program admins."""

import json

import pytest
from django_scopes import scopes_disabled

from apps.audit.models import AuditEvent
from apps.home import verbs
from apps.tenancy.models import Tenant
from tests.privacy.helpers import FIRST, applicant_only, rich_person, scan

pytestmark = pytest.mark.django_db

URL = "/console/settings/privacy/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _person_url(user):
    return f"{URL}people/u{user.pk}/"


def test_admin_finds_a_person_and_sees_what_is_held(
    acme, client_for, django_assert_max_num_queries
):
    subject = rich_person(acme)
    applicant_only(acme)
    client = client_for(acme, acme.admin)
    html = client.get(URL, {"q": "one.acme"}).content.decode()
    assert subject.email in html and f'href="{_person_url(subject.user)}"' in html
    html = client.get(URL, {"q": "wanda"}).content.decode()
    assert "wanda.applicant@initech.example" in html and "Applicant" in html
    assert "Nobody of this program" in client.get(URL, {"q": "nobody-here"}).content.decode()
    with django_assert_max_num_queries(80):
        response = client.get(_person_url(subject.user))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{FIRST} Quartermaine" in html and "Export (JSON)" in html and "Erase" in html
    assert 'href="/console/settings/privacy/"' in client.get("/console/settings/").content.decode()


def test_export_downloads_json_and_is_audited(acme, client_for):
    subject = rich_person(acme)
    response = client_for(acme, acme.admin).post(f"{_person_url(subject.user)}export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["person"]["email"] == subject.email
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb=verbs.PRIVACY_PERSON_EXPORTED).count() == 1


def test_erase_needs_the_typed_email_then_erases_once(acme, client_for, state):
    subject = rich_person(acme)
    client = client_for(acme, acme.admin)
    url = f"{_person_url(subject.user)}erase/"
    before = state()
    bad = client.post(url, {"confirm_email": "wrong@example.com"})
    assert bad.status_code == 422 and "Type the person’s email" in bad.content.decode()
    assert client.post(url, {}).status_code == 422
    assert state() == before
    done = client.post(url, {"confirm_email": subject.email.upper()}, follow=True)
    assert done.status_code == 200 and "Erased person" in done.content.decode()
    again = client.post(url, {"confirm_email": subject.email}, follow=True)
    assert again.status_code == 200
    assert "Nothing is held about this person any more" in again.content.decode()
    assert client.get(_person_url(subject.user)).status_code == 404
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb=verbs.PRIVACY_PERSON_ERASED).count() == 1
        assert scan(acme.tenant, [subject.email, FIRST]) == []


def test_the_last_admin_is_refused_with_a_message(acme, client_for, state):
    client = client_for(acme, acme.admin)
    before = state()
    # The admin erasing themself is refused first; through the service the last-admin rule
    # holds too (tests/privacy/test_erase.py).
    response = client.post(f"{_person_url(acme.admin)}erase/", {"confirm_email": acme.admin.email})
    assert response.status_code == 422 and "cannot erase yourself" in response.content.decode()
    assert state() == before


def test_retention_form(acme, client_for, state):
    client = client_for(acme, acme.admin)
    assert client.post(f"{URL}retention/", {"days": "60"}).status_code == 302
    with scopes_disabled():
        assert Tenant.objects.get(pk=acme.tenant.pk).privacy_retention_days == 60
    before = state()
    for bad in ("0", "4000", "x", ""):
        assert client.post(f"{URL}retention/", {"days": bad}).status_code == 422
    assert state() == before
    assert 'value="60"' in client.get(URL).content.decode()


@pytest.mark.parametrize(("role", "status"), [("cam", 403), ("partner_admin", 404)])
def test_lower_roles_are_refused(acme, client_for, role, status, state):
    client = client_for(acme, getattr(acme, role))
    before = state()
    person = _person_url(acme.partner_user)
    assert client.get(URL).status_code == status
    assert client.get(person).status_code == status
    assert client.post(f"{person}export/").status_code == status
    erase = client.post(f"{person}erase/", {"confirm_email": acme.partner_user.email})
    assert erase.status_code == status
    assert client.post(f"{URL}retention/", {"days": "5"}).status_code == status
    assert state() == before


def test_another_programs_people_are_404(acme, globex, client_for, state):
    application = applicant_only(acme)
    client = client_for(globex, globex.admin)
    before = state()
    for key in (f"u{acme.partner_user.pk}", f"a{application.pk}", "zz", "u999999"):
        assert client.get(f"{URL}people/{key}/").status_code == 404
        assert client.post(f"{URL}people/{key}/export/").status_code == 404
    erase = client.post(
        f"{URL}people/u{acme.partner_user.pk}/erase/",
        {"confirm_email": acme.partner_user.email},
        follow=True,
    )
    assert "Nothing is held" in erase.content.decode()
    assert state() == before
    html = client.get(URL, {"q": "one.acme"}).content.decode()
    assert acme.partner_user.email not in html
