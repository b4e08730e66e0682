from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def user_get_or_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    verified: bool = True,
):
    """The one identity for `email`, created if new (unusable password unless one is given).

    People reach Onramp through a confirmed application, an invitation or a program admin,
    so the address is recorded as verified for allauth.
    """
    User = get_user_model()
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": verified, "primary": True}
    )
    return user, created
