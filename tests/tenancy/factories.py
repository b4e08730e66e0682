import factory
from factory.django import DjangoModelFactory

from apps.tenancy.models import Membership, Role, Tenant, TenantHost
from tests.accounts.factories import UserFactory


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"program{n}")
    name = factory.Sequence(lambda n: f"Program {n}")

    @factory.post_generation
    def host(self, create, extracted, **kwargs):
        if create:
            TenantHost.objects.create(
                tenant=self, hostname=extracted or f"{self.slug}.localhost", is_primary=True
            )


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CHANNEL_MANAGER
