"""Links in emails: a random secret, signed with a timestamp, stored only as a hash.

The link carries `<secret>.<timestamp>.<signature>`. The signature rejects forged or
expired links before the database is asked; the row keeps sha256(secret), so a database
leak gives no working link, and the row's own expiry and status make the link single-use.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

CONFIRM_SALT = "applications.confirm"
INVITE_SALT = "applications.invite"
CONFIRM_TTL = timedelta(days=3)
INVITE_TTL = timedelta(days=14)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # goes into the link, never stored
    digest: str  # stored on the row


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def _signer(salt: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=salt, sep=".")


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(*, salt: str) -> IssuedToken:
    secret = secrets.token_urlsafe(32)
    return IssuedToken(token=_signer(salt).sign(secret), digest=token_digest(secret))


def token_read(token: str, *, salt: str, ttl: timedelta) -> str:
    """The digest to look up, or TokenExpired / TokenInvalid."""
    if not token or len(token) > 200:
        raise TokenInvalid
    try:
        secret = _signer(salt).unsign(token, max_age=ttl)
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    return token_digest(secret)
