"""Partner names for the audit log, from the layer that owns partner accounts.

Audit events keep a partner's id (`AuditEvent.partner_id`), not its name: partner accounts
live in a higher layer. The partners app registers its directory here in its
AppConfig.ready (as `portal_gate_register` in apps/tenancy/access.py), so the audit log
page and its CSV export can name partners and search them by name without importing them.

- `names(tenant=..., ids=...)` returns `{id: name}` for the ids of `tenant`'s partner
  accounts (one query; ids of another tenant are simply absent);
- `search(tenant=..., query=..., limit=...)` returns up to `limit` `(id, name)` pairs
  whose name contains `query` (case-insensitive), by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NamesFn = Callable[..., Mapping[int, str]]  # (*, tenant, ids) -> {id: name}
SearchFn = Callable[..., Sequence[tuple[int, str]]]  # (*, tenant, query, limit) -> [(id, name)]


@dataclass(frozen=True)
class PartnerDirectory:
    names: NamesFn
    search: SearchFn


_DIRECTORY: list[PartnerDirectory] = []


def partner_directory_register(directory: PartnerDirectory) -> PartnerDirectory:
    """Install the partner directory (the last registration wins; idempotent)."""
    _DIRECTORY[:] = [directory]
    return directory


def partner_names(*, tenant: Any, ids: Iterable[int | None]) -> dict[int, str]:
    """`{id: name}` of these partner accounts of `tenant` (no query for no ids)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted or not _DIRECTORY:
        return {}
    return dict(_DIRECTORY[0].names(tenant=tenant, ids=wanted))


def partner_search(*, tenant: Any, query: str, limit: int = 20) -> list[tuple[int, str]]:
    """Partner accounts of `tenant` whose name contains `query`, by name."""
    if not query.strip() or not _DIRECTORY:
        return []
    return list(_DIRECTORY[0].search(tenant=tenant, query=query.strip(), limit=limit))
