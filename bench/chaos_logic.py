"""The pure part of the `make chaos` checker (no database, no processes; tested in
tests/core/test_chaos_checker.py): matching the emails the SMTP sink received to the outbox's
email rows, counting duplicates, judging the client's 5xx answers, blaming each finding on the
fault that preceded it, and the final table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

FAULTS = ("worker-child", "worker", "redis", "postgres", "smtp")
NO_FAULT = "(no fault)"
# A repeat with the outbox row's own Message-ID: reported, not a failure (see match_emails).
RESENT = "resent"
FAILURES = ("lost", "duplicated", "500 after save")
# A finding is blamed on a fault that started at most this long before it (or during it).
BLAME_WINDOW = 120.0


@dataclass(frozen=True)
class Fault:
    name: str
    start: float  # epoch seconds
    end: float  # when the service was back (start for an instant kill)


@dataclass(frozen=True)
class Finding:
    kind: str  # "lost" | "duplicated" | "500 after save" | "resent"
    what: str  # "transition", "alert", "email", "outbox", "response"
    detail: str
    at: float  # epoch seconds of the event the finding is about


def addresses(values: Iterable[str]) -> tuple[str, ...]:
    """Sorted lowercased bare addresses of header-style values ("Ann <a@x>", "b@y")."""
    return tuple(sorted(addr.lower() for _name, addr in getaddresses(list(values)) if addr))


def normalise_subject(subject: str) -> str:
    return re.sub(r"\s+", " ", subject).strip()


def email_key(to: Iterable[str], subject: str) -> tuple[tuple[str, ...], str]:
    return addresses(to), normalise_subject(subject)


def failures(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail the run (every kind but a same-Message-ID resend)."""
    return [f for f in findings if f.kind in FAILURES]


def match_emails(
    rows: Sequence[Mapping[str, Any]], received: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """One email per outbox row. `rows`: the outbox's email rows, each {"id", "to",
    "subject", "status", "created_at"} and optionally "may_send_nothing" (a digest with
    nothing in it); `received`: the sink's records ({"to", "subject", "outbox_id"}).

    A row not delivered is lost. Messages carrying an outbox Message-ID are matched to their
    row: never is lost (unless the row may send nothing); twice is "resent", not duplicated:
    the second copy carries the same Message-ID, the key by which mail systems keep one copy
    (a worker killed between the server's 250 and the commit that records it). Rows no
    message names are matched by (recipients, subject) against the messages without the
    header, counted per key (rows of a kind whose payload names no recipient cannot be)."""
    findings: list[Finding] = []
    by_id = Counter(str(r["outbox_id"]) for r in received if r.get("outbox_id"))
    by_key = Counter(
        email_key([r.get("to", "")], r.get("subject", ""))
        for r in received
        if not r.get("outbox_id")
    )
    keyed_rows: dict[tuple[tuple[str, ...], str], list[Mapping[str, Any]]] = {}
    for row in rows:
        at = row["created_at"]
        if row["status"] != "delivered":
            findings.append(Finding("lost", "email", f"outbox #{row['id']} {row['status']}", at))
            continue
        seen = by_id.get(str(row["id"]), 0)
        if seen > 1:
            detail = f"outbox #{row['id']} received {seen} times, one Message-ID"
            findings.append(Finding(RESENT, "email", detail, at))
        elif seen == 1:
            continue
        elif row.get("to"):
            keyed_rows.setdefault(email_key(row["to"], row["subject"]), []).append(row)
        elif not row.get("may_send_nothing"):
            findings.append(
                Finding("lost", "email", f"outbox #{row['id']} delivered, never received", at)
            )
    for key, group in keyed_rows.items():
        seen = by_key.get(key, 0)
        group = sorted(group, key=lambda r: r["created_at"])
        ids = ", ".join(f"#{r['id']}" for r in group)
        if seen < len(group):
            for row in group[seen:]:
                if row.get("may_send_nothing"):
                    continue
                detail = f"outbox #{row['id']} to {', '.join(key[0])} never received"
                findings.append(Finding("lost", "email", detail, row["created_at"]))
        elif seen > len(group):
            detail = f"{seen} received for {len(group)} row(s) ({ids}): {key[1]!r}"
            findings.append(Finding("duplicated", "email", detail, group[-1]["created_at"]))
    return findings


def duplicates(keys: Iterable[tuple[Any, float]], *, what: str, label: str) -> list[Finding]:
    """A finding per key seen more than once; `keys` are (key, when) pairs."""
    counts: Counter[Any] = Counter()
    first: dict[Any, float] = {}
    for key, when in keys:
        counts[key] += 1
        first.setdefault(key, when)
    return [
        Finding("duplicated", what, f"{label} {key} x{n}", first[key])
        for key, n in sorted(counts.items(), key=lambda kv: str(kv[0]))
        if n > 1
    ]


# Clock slack between the client's stamps and the web process's (the same host).
SAVE_SLACK = 0.05


def server_errors_after_save(
    responses: Iterable[Mapping[str, Any]], saved_at: Mapping[str, float | None]
) -> list[Finding]:
    """A 5xx shown to a user for a change that request saved. `responses` are the client's
    log lines ({"effect", "status", "at": sent, "done": answered, "method", "path"});
    `saved_at` gives, per effect key, when the change was written (epoch seconds), or None.
    Only a save between the request's sending and its answer counts: a retry after a 500
    that rolled back saves later, and is no finding."""
    findings = []
    for response in responses:
        status = response.get("status")
        effect = response.get("effect")
        if not effect or not isinstance(status, int) or status < 500:
            continue
        when = saved_at.get(effect)
        sent = float(response["at"])
        done = float(response.get("done", sent))
        if when is not None and sent - SAVE_SLACK <= when <= done + SAVE_SLACK:
            detail = f"{response.get('method')} {response.get('path')} -> {status} ({effect})"
            if response.get("request_id"):
                detail += f" request {response['request_id']}"
            findings.append(Finding("500 after save", "response", detail, sent))
    return findings


def blame(at: float, faults: Sequence[Fault], window: float = BLAME_WINDOW) -> str:
    """The fault a finding at `at` is charged to: the latest one that started before it and
    was still on, or ended less than `window` seconds before it."""
    best: Fault | None = None
    for fault in faults:
        if fault.start <= at <= fault.end + window and (best is None or fault.start > best.start):
            best = fault
    return best.name if best is not None else NO_FAULT


def summary_table(faults: Sequence[Fault], findings: Sequence[Finding]) -> str:
    """fault | injected | lost | duplicated | 500 after save | resent (same Message-ID), one
    line per fault, and a total."""
    injected = Counter(f.name for f in faults)
    kinds = (*FAILURES, RESENT)
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for finding in findings:
        counts[finding.kind][blame(finding.at, faults)] += 1
    names = list(FAULTS) + sorted(set(injected) - set(FAULTS))
    if any(c[NO_FAULT] for c in counts.values()):
        names.append(NO_FAULT)
    headers = ["fault", "injected", "lost", "duplicated", "500 after save", "resent, same id"]
    rows = [
        [name, str(injected.get(name, 0)), *(str(counts[kind][name]) for kind in kinds)]
        for name in names
    ]
    rows.append(
        [
            "total",
            str(sum(injected.values())),
            *(str(sum(counts[kind].values())) for kind in kinds),
        ]
    )
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])])
