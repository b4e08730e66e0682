"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded by the `st` subprocess
through SCHEMATHESIS_HOOKS).

A few rules of the API cannot be written in JSON Schema; a client following the
documentation keeps them, so the *positive* cases (data the schema says is valid) are
made to keep them too. Negative cases are left alone. Each rule is named in the API's
descriptions:

- `cursor` is opaque: only the `next_cursor` of a previous page is a cursor (a forged one
  is 400 `invalid_cursor`). Generated cursors are dropped; real ones (from the stateful
  phase's links) are kept.
- `Idempotency-Key` is "a unique string per event": a generated key is made unique (the
  same key for a different event is 422 `idempotency_key_reused`).
- POST /events: `occurred_at` is not in the future (clamped to absent), and `user` must
  be an active user of the partner (dropped: the seeded partner's users are not guessable).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

SALT = "apps.api.pagination"


def _real_cursor(value: Any) -> bool:
    from django.conf import settings
    from django.core import signing

    if not settings.configured:
        settings.configure(SECRET_KEY=os.environ["SECRET_KEY"])
    try:
        signing.loads(str(value), salt=SALT)
    except signing.BadSignature:
        return False
    return True


def _in_future(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return True  # a date-time the parser here cannot read: drop it, to be safe
    if moment.tzinfo is None or moment.year < 1970:
        return True  # naive, or near the edge of the calendar: drop it, to be safe
    return moment > datetime.now(UTC) - timedelta(minutes=1)


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    return bool(generation is not None and generation.mode.is_positive)


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if not _positive(case):
        return case
    cursor = case.query.get("cursor") if isinstance(case.query, dict) else None
    if cursor is not None and not _real_cursor(cursor):
        case.query.pop("cursor")
    if isinstance(case.headers, dict):
        for name in list(case.headers):
            if name.lower() == "idempotency-key":
                case.headers[name] = f"st-{uuid.uuid4().hex}"
    is_event = case.operation.path == "/events" and case.method.upper() == "POST"
    if is_event and isinstance(case.body, dict):
        if _in_future(case.body.get("occurred_at")):
            case.body.pop("occurred_at")
        case.body.pop("user", None)
    return case
