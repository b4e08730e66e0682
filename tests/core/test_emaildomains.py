"""apps/core/emaildomains.py: the one free-mail / disposable rule, with program additions."""

import pytest
from django_scopes import scope

from apps.core.emaildomains import (
    domain_and_parents,
    free_mail_checker,
    is_disposable,
    is_free_mail,
    normalise_domain,
)
from tests.applications.conftest import configure


@pytest.mark.parametrize(
    "domain",
    [
        "hotmail.co.uk",
        "yahoo.co.uk",
        "outlook.fr",
        "gmx.net",
        "pm.me",
        "t-online.de",
        "gmail.com",
        "proton.me",
        "hey.com",
        "163.com",
    ],
)
def test_the_maintained_list_knows_the_providers_the_hand_list_missed(domain):
    assert is_free_mail(domain)
    assert is_free_mail(f"someone@{domain.upper()}")


@pytest.mark.parametrize("domain", ["mail.gmx.net", "eu.mail.yahoo.co.uk", "x.hotmail.co.uk."])
def test_subdomains_count(domain):
    assert is_free_mail(domain)


@pytest.mark.parametrize("domain", ["acme.example", "initech.com", "co.uk", "net", ""])
def test_company_domains_and_bare_suffixes_are_not_free_mail(domain):
    assert not is_free_mail(domain)


def test_walking_up_never_reaches_a_single_label():
    assert list(domain_and_parents("a.b.example.com")) == [
        "a.b.example.com",
        "b.example.com",
        "example.com",
    ]
    assert normalise_domain(" Peter@Mail.GMX.net. ") == "mail.gmx.net"


@pytest.mark.parametrize("domain", ["mailinator.com", "x.mailinator.com", "guerrillamail.com"])
def test_disposable_domains(domain):
    assert is_disposable(domain)


@pytest.mark.parametrize("domain", ["gmail.com", "hotmail.co.uk", "acme.example"])
def test_real_mailboxes_are_not_disposable(domain):
    assert not is_disposable(domain)


@pytest.mark.django_db
def test_the_programs_additions_count_for_that_program_only(acme, globex):
    configure(acme, public_mail_domains=["corp-mail.example"])
    with scope(tenant=acme.tenant):
        assert is_free_mail("corp-mail.example", tenant=acme.tenant)
        assert is_free_mail("eu.corp-mail.example", tenant=acme.tenant)
        assert not is_free_mail("corp-mail.example")  # no program: the maintained list only
    with scope(tenant=globex.tenant):
        assert not is_free_mail("corp-mail.example", tenant=globex.tenant)


@pytest.mark.django_db
def test_a_checker_reads_the_program_once(acme, django_assert_max_num_queries):
    configure(acme, public_mail_domains=["corp-mail.example"])
    with scope(tenant=acme.tenant), django_assert_max_num_queries(1):
        is_free = free_mail_checker(tenant=acme.tenant)
        results = [is_free(f"a{i}.example") for i in range(50)] + [is_free("corp-mail.example")]
    assert results[-1] and not any(results[:-1])
