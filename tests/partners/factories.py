import factory
from factory.django import DjangoModelFactory

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, PartnerUser
from apps.tenancy.models import Role
from tests.tenancy.factories import MembershipFactory, TenantFactory


class PartnerTypeFactory(DjangoModelFactory):
    class Meta:
        model = PartnerType

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Type {n}")


class PartnerAccountFactory(DjangoModelFactory):
    class Meta:
        model = PartnerAccount

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Partner Company {n}")
    partner_type = factory.SubFactory(PartnerTypeFactory, tenant=factory.SelfAttribute("..tenant"))


class PartnerDomainFactory(DjangoModelFactory):
    class Meta:
        model = PartnerDomain

    account = factory.SubFactory(PartnerAccountFactory)
    tenant = factory.SelfAttribute("account.tenant")
    domain = factory.Sequence(lambda n: f"partner{n}.test")


class PartnerUserFactory(DjangoModelFactory):
    class Meta:
        model = PartnerUser

    account = factory.SubFactory(PartnerAccountFactory)
    tenant = factory.SelfAttribute("account.tenant")
    membership = factory.SubFactory(
        MembershipFactory, tenant=factory.SelfAttribute("..tenant"), role=Role.PARTNER_USER
    )
