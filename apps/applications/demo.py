"""Demo applications for `seed_demo`: application settings and a Pending Partners queue
with one of each kind. Idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.applications.models import Application, Invitation
from apps.applications.services import (
    Applicant,
    application_reject,
    application_submit,
    invitations_send,
    program_settings_update,
)
from apps.core.emaildomains import is_free_mail
from apps.partners.models import PartnerType

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def applications_seed_demo(*, tenant: Tenant, admin: User, cam: User) -> None:
    """Settings with two questions, five applications (a member's colleague, a gmail
    consultant, a new reseller, an unconfirmed MSP, a rejected lead seller) and one
    invitation; applications and invitations that exist (by email) are skipped."""
    program_settings_update(
        tenant=tenant,
        actor=admin,
        domain_matching=True,
        questions=[
            {
                "key": "sales-reps",
                "label": "How many sales reps do you have?",
                "kind": "number",
                "required": False,
                "choices": [],
                "help": "",
            },
            {
                "key": "markets",
                "label": "Main market",
                "kind": "choice",
                "required": True,
                "choices": ["Small business", "Mid-market", "Enterprise", "Public sector"],
                "help": "",
            },
        ],
    )
    types = {t.name: t for t in PartnerType.objects.filter(tenant=tenant)}
    # (email, first, last, company, type, country, confirmed, message)
    people = [
        (
            "liam.chen@northwind.test",
            "Liam",
            "Chen",
            "Northwind Solutions",
            "Reseller / VAR",
            "US",
            True,
            "I run our new Seattle office and need portal access.",
        ),
        (
            "sofia.rossi@gmail.com",
            "Sofia",
            "Rossi",
            "Rossi IT Consulting",
            "Referral / Agent",
            "IT",
            True,
            "Independent consultant for mid-size manufacturers.",
        ),
        (
            "ana.lima@lumen-networks.test",
            "Ana",
            "Lima",
            "Lumen Networks",
            "Reseller / VAR",
            "BR",
            True,
            "We resell networking and cloud in São Paulo.",
        ),
        (
            "tom@quickbyte.test",
            "Tom",
            "Berg",
            "QuickByte",
            "Managed Service Provider",
            "SE",
            False,
            "",
        ),
        (
            "max.profit.leads@yahoo.com",
            "Max",
            "Profit",
            "Cheap Leads Ltd",
            "Referral / Agent",
            "US",
            True,
            "Buy 10,000 leads today!!!",
        ),
    ]
    for email, first, last, company, type_name, country, confirmed, message in people:
        if Application.objects.filter(tenant=tenant, email=email).exists():
            continue
        submission = application_submit(
            tenant=tenant,
            applicant=Applicant(
                email=email,
                first_name=first,
                last_name=last,
                company=company,
                partner_type=types[type_name],
                country=country,
                website=("" if is_free_mail(email) else f"https://www.{email.split('@')[1]}"),
                message=message,
                answers=[
                    {
                        "key": "sales-reps",
                        "label": "How many sales reps do you have?",
                        "value": "4",
                    },
                    {"key": "markets", "label": "Main market", "value": "Mid-market"},
                ],
            ),
            email_verified=confirmed,
        )
        if company == "Cheap Leads Ltd":
            application_reject(
                tenant=tenant,
                actor=cam,
                application_id=submission.application.pk,
                reason="Lead reseller, not a fit for the program.",
            )
    if not Invitation.objects.filter(tenant=tenant, email="ops@bluefin.test").exists():
        invitations_send(
            tenant=tenant,
            actor=cam,
            emails=["ops@bluefin.test"],
            partner_type=types["Managed Service Provider"],
            note="Great to meet you at Partner Summit. Here is the link we talked about.",
        )
