"""Signing webhook deliveries, and checking a signature (what a receiver does; docs/webhooks.md
has the same check in Python and Node).

Header: `Onramp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`. The
timestamp is signed with the body, so a captured request cannot be replayed later than the
receiver's tolerance (five minutes by default). Several `v1=` values may appear (reserved for
a future overlap of two secrets); one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Onramp-Signature"
EVENT_ID_HEADER = "Onramp-Event-Id"
EVENT_TYPE_HEADER = "Onramp-Event-Type"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def secret_generate() -> str:
    """A new endpoint secret: `whsec_` and 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _digest(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The `Onramp-Signature` header value for `body` sent now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(secret=secret, timestamp=t, body=body)}"


def verify(
    *,
    secret: str,
    body: bytes,
    header: str | None,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check `header` (the `Onramp-Signature` value) for `body`; returns its timestamp.
    Raises SignatureError when it is missing, malformed, older (or newer) than `tolerance`
    seconds, or made with another secret."""
    if not header:
        raise SignatureError("No signature header.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError("Malformed timestamp.") from exc
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("Malformed signature header.")
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise SignatureError("The timestamp is outside the tolerance.")
    expected = _digest(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("The signature does not match.")
    return timestamp
