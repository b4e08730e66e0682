"""Issue 14 point 3: free-mail domains (the maintained list plus the program's additions) never
become a partner account's domain, so no one can claim hotmail.co.uk and see later
applicants; throwaway addresses are refused on /apply/."""

import pytest
from django_scopes import scope

from apps.applications.models import Application, DecisionRule
from apps.audit.models import AuditEvent
from apps.core.emaildomains import free_mail_checker
from apps.notifications.models import Notification
from apps.partners.models import PartnerDomain, PartnerUser
from apps.partners.services import PartnerError, partner_domain_add
from apps.partners.services.editing import PartnerDomainError, partner_account_add
from apps.partners.services.importing_parse import ImportRow
from apps.partners.services.importing_rows import _domains
from tests.applications.conftest import apply_and_confirm, configure, reload, reseller

pytestmark = pytest.mark.django_db

REQUESTS = "/portal/team-requests/"
QUEUE = "/console/applications/"


def _decide(program, email, **kwargs):
    result = apply_and_confirm(program, email, **kwargs)
    assert result.state == "confirmed", result
    return reload(program, result.decision.application)


def _admin_of(program, account):
    with scope(tenant=program.tenant):
        return (
            PartnerUser.objects.select_related("membership__user")
            .get(account=account)
            .membership.user
        )


def test_a_stranger_cannot_claim_hotmail_co_uk_and_see_later_applicants(acme, client_for):
    # Alice is approved automatically (auto-onboarding, no domain matching).
    configure(acme, auto_onboarding=True, domain_matching=False)
    alice_app = _decide(acme, "alice@hotmail.co.uk", company="Alice Ltd", first="Alice")
    assert alice_app.rule == DecisionRule.AUTO_ONBOARDING
    account = alice_app.partner_account
    with scope(tenant=acme.tenant):
        assert not PartnerDomain.objects.filter(tenant=acme.tenant, domain="hotmail.co.uk").exists()
        assert not PartnerDomain.objects.filter(account=account).exists()
    alice = _admin_of(acme, account)

    # Later the program turns domain matching on; a stranger applies from hotmail.co.uk.
    configure(acme, auto_onboarding=True, domain_matching=True)
    bob_app = _decide(acme, "bob@hotmail.co.uk", company="Bob GmbH", first="Bob", last="Stranger")
    assert bob_app.rule == DecisionRule.PUBLIC_DOMAIN
    assert bob_app.matched_account is None and bob_app.partner_account is None
    with scope(tenant=acme.tenant):
        assert not Notification.objects.filter(
            recipient=alice, kind="application_team_request"
        ).exists()
    page = client_for(acme, alice).get(REQUESTS)
    assert page.status_code == 200
    assert b"bob@hotmail.co.uk" not in page.content and b"Bob GmbH" not in page.content
    assert client_for(acme, alice).post(f"{REQUESTS}{bob_app.pk}/add/").status_code == 404


def test_a_free_mail_domain_held_from_before_never_matches(acme):
    configure(acme, domain_matching=True)
    with scope(tenant=acme.tenant):  # written before the maintained list existed
        PartnerDomain.objects.create(
            tenant=acme.tenant, account=acme.other_partner, domain="yahoo.co.uk"
        )
    app = _decide(acme, "carol@yahoo.co.uk")
    assert app.rule == DecisionRule.PUBLIC_DOMAIN and app.matched_account is None


@pytest.mark.parametrize(
    "email",
    ["a@yahoo.co.uk", "a@outlook.fr", "a@gmx.net", "a@pm.me", "a@t-online.de", "a@mail.gmx.net"],
)
def test_every_free_mail_provider_is_pending_under_domain_matching(acme, email):
    configure(acme, auto_onboarding=True, domain_matching=True)
    app = _decide(acme, email)
    assert app.rule == DecisionRule.PUBLIC_DOMAIN and app.partner_account is None


def test_the_programs_addition_through_the_settings_page(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(
        f"{QUEUE}settings/",
        {
            "domain_matching": "on",
            "public_mail_domains": "Regional-ISP.example\n",
            "cam_assignment": "round_robin",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    page = client.get(f"{QUEUE}settings/").content.decode()
    assert "regional-isp.example" in page
    app = _decide(acme, "dave@regional-isp.example")
    assert app.rule == DecisionRule.PUBLIC_DOMAIN and app.partner_account is None
    # Staff cannot make it a partner's domain either.
    with scope(tenant=acme.tenant), pytest.raises(PartnerDomainError, match="free email"):
        partner_account_add(
            tenant=acme.tenant,
            actor=acme.admin,
            name="ISP customer",
            partner_type=reseller(acme),
            tier="registered",
            domains=["mail.regional-isp.example"],
        )


@pytest.mark.parametrize("domain", ["hotmail.co.uk", "mail.gmx.net", "pm.me"])
def test_staff_cannot_add_free_mail_as_a_partner_domain(acme, domain):
    with scope(tenant=acme.tenant):
        before = AuditEvent.objects.count()
        with pytest.raises(PartnerDomainError, match="free email"):
            partner_account_add(
                tenant=acme.tenant,
                actor=acme.admin,
                name="Free mail Co",
                partner_type=reseller(acme),
                tier="registered",
                domains=["freemail-co.example", domain],
            )
        with pytest.raises(PartnerError, match="free email"):
            partner_domain_add(
                tenant=acme.tenant, actor=acme.admin, account=acme.partner, domain=domain
            )
        assert not PartnerDomain.objects.filter(domain__in=[domain, "freemail-co.example"]).exists()
        assert AuditEvent.objects.count() == before


def test_the_import_refuses_free_mail_and_program_additions(acme):
    configure(acme, public_mail_domains=["regional-isp.example"])
    row = ImportRow(line=2, domains=["t-online.de", "regional-isp.example", "acme-new.example"])
    errors: list[str] = []
    with scope(tenant=acme.tenant):
        clean = _domains(row, errors, is_free=free_mail_checker(tenant=acme.tenant))
    assert clean == ["acme-new.example"]
    assert len(errors) == 2 and all("free email provider" in e for e in errors)


# --- Disposable addresses on /apply/ --------------------------------------------------------


def _form(program, email):
    return {
        "company": "Throwaway Inc",
        "first_name": "Tom",
        "last_name": "Away",
        "email": email,
        "partner_type": reseller(program).pk,
    }


@pytest.mark.parametrize("email", ["tom@mailinator.com", "tom@x.guerrillamail.com"])
def test_apply_refuses_a_disposable_address_and_saves_nothing(acme, client_for, mailoutbox, email):
    response = client_for(acme).post("/apply/", _form(acme, email))
    assert response.status_code == 422
    html = response.content.decode()
    assert "disposable" in html and "please use an address you keep" in html
    with scope(tenant=acme.tenant):
        assert not Application.objects.filter(tenant=acme.tenant).exists()
    assert mailoutbox == []


def test_apply_accepts_free_mail(acme, client_for):
    response = client_for(acme).post("/apply/", _form(acme, "tom@hotmail.co.uk"))
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        assert Application.objects.filter(email="tom@hotmail.co.uk").exists()
