"""Applications and invitations made through the services, as the product makes them."""

from __future__ import annotations

from typing import Any

import factory
from django_scopes import scope

from apps.applications.models import Application, Invitation
from apps.applications.services import Applicant, application_submit, invitations_send
from apps.partners.models import PartnerType


def reseller_of(tenant: Any) -> PartnerType:
    with scope(tenant=tenant):
        return PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")


class ApplicantFactory(factory.Factory):
    """What a prospect types into the public form (pass `partner_type`)."""

    class Meta:
        model = Applicant

    email = factory.Sequence(lambda n: f"applicant{n}@initech.example")
    first_name = "Peter"
    last_name = "Gibbons"
    company = "Initech"
    country = "US"
    website = "https://initech.example"


class ApplicationFactory(factory.Factory):
    """`application_submit` of a new applicant (a Reseller / VAR unless `applicant__partner_type`
    says otherwise); `email_verified=True` confirms it at once, so the decision runs."""

    class Meta:
        model = Application

    tenant = None  # required
    applicant = factory.SubFactory(
        ApplicantFactory,
        partner_type=factory.LazyAttribute(lambda o: reseller_of(o.factory_parent.tenant)),
    )
    email_verified = False

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Application:
        with scope(tenant=kwargs["tenant"]):
            submission = application_submit(**kwargs)
        if submission.application is None:
            raise ValueError(f"nothing stored: {submission.outcome}")
        return submission.application


class InvitationFactory(factory.Factory):
    """`invitations_send` to one address by `actor` (a staff member)."""

    class Meta:
        model = Invitation

    tenant = None  # required
    actor = None  # required
    email = factory.Sequence(lambda n: f"invitee{n}@bluefin.example")
    partner_type = factory.LazyAttribute(lambda o: reseller_of(o.tenant))
    note = ""

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Invitation:
        email = kwargs.pop("email")
        with scope(tenant=kwargs["tenant"]):
            batch = invitations_send(emails=[email], **kwargs)
        if not (batch.sent or batch.resent):
            raise ValueError(f"not invited: {batch.skipped}")
        return (batch.sent or batch.resent)[0]
