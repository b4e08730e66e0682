import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
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


@transaction.atomic
def users_get_or_create_many(*, people: dict[str, tuple[str, str]]) -> tuple[dict, set[str]]:
    """Set-based `user_get_or_create` (a CSV import): `people` maps email -> (first, last).

    Returns every email's one identity, and the emails whose identity was created here (an
    unusable password, the address recorded as verified). Two queries and two INSERTs.
    """
    User = get_user_model()
    wanted = {email.strip().lower(): names for email, names in people.items()}
    found = {u.email.lower(): u for u in User.objects.filter(email__in=list(wanted))}
    new = []
    for email, (first_name, last_name) in wanted.items():
        if email not in found:
            # As set_unusable_password(), with a cheaper random suffix (thousands at once).
            new.append(
                User(
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
                )
            )
    created = User.objects.bulk_create(new, batch_size=2000)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in created],
        batch_size=2000,
        ignore_conflicts=True,
    )
    found.update({u.email: u for u in created})
    return found, {u.email for u in created}


def set_password_path(user: Any) -> str:
    """allauth's one-time, expiring password-reset-from-key link: it sets the first password
    and (ACCOUNT_LOGIN_ON_PASSWORD_RESET) signs the user in."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    return reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
