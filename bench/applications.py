"""Applications: the public form's sustained submissions per second, and the confirmations
per second that run DOMAIN §3's decision, against the tenant of 100,000 partner accounts and
150,000 domains (domain matching on, so every decision looks its domain up among them).

seed() turns domain matching on for the bench tenant (auto-onboarding off).

measure() runs, from ctx.concurrency threads with one keep-alive connection each:
1. submissions: each thread GETs /apply/ once (CSRF cookie and token), then POSTs complete
   applications for warm-up + duration seconds. The mix: 80 % from new company domains
   (approved at confirmation: a new partner account with its domain, partner admin, CAM and,
   when the type has a pipeline, enrollment), 10 % from domains of existing partners
   (pending, partner proposed, its partner admins notified), 10 % from gmail.com (pending).
   The form's rate limits stay on (10 an hour per IP, 3 per address): the client spreads its
   connections over source addresses 127.x.y.z, at most 9 submissions each.
2. the Celery worker sends the confirmation e-mails (it issues each link); the bench waits
   until every one is sent and reports the worker's rate;
3. confirmations: the bench issues a fresh link per application (the worker's e-mailed link
   then stops working, as after a resend) and the threads GET every link once: each request
   confirms (a conditional UPDATE) and decides in one transaction.
Then the Pending Partners queue page is loaded next to /healthz, the SQL of one submission
and one confirmation is counted in-process, and the hot queries are EXPLAINed.
"""

import http.client
import itertools
import queue
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus, DecisionRule
from apps.applications.selectors import QueueFilters, application_queue, application_queue_rows
from apps.applications.services.emails import application_confirmation_issue
from apps.applications.services.program import program_settings_update
from apps.partners.models import PartnerDomain, PartnerType
from bench import dataset, lib

TITLE = "Applications"
EMAIL_PREFIX = "bench-"  # every applicant of this suite: bench-<run>-<thread>-<n>@...
PER_SOURCE_IP = 9  # submissions per source address (the form allows 10 an hour per IP)
DRAIN_TIMEOUT = 180.0  # seconds to wait for the worker's confirmation e-mails
SLOW_P50_MS = 250


def seed() -> None:
    tenant = dataset.tenant()
    with scope(tenant=tenant):
        program_settings_update(tenant=tenant, actor=None, domain_matching=True)


# ---------------------------------------------------------------------------
# A small threaded HTTP client: keep-alive, a source address per connection
# ---------------------------------------------------------------------------

_ips = itertools.count(1 << 16)
_ips_lock = threading.Lock()


def _next_ip() -> str:
    while True:
        with _ips_lock:
            k = next(_ips)
        if k & 255 not in (0, 255):
            return f"127.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"


class _Conn:
    def __init__(self, port: int, hostname: str, per_ip: int):
        self.port, self.host, self.per_ip = port, f"{hostname}:{port}", per_ip
        self.conn, self.used = None, 0

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        if self.conn is None or self.used >= self.per_ip:
            self.close()
            self.conn = http.client.HTTPConnection(
                lib.LOOPBACK, self.port, timeout=60, source_address=(_next_ip(), 0)
            )
            self.used = 0
        self.used += 1
        all_headers = {"Host": self.host, "User-Agent": "onramp-bench", **(headers or {})}
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


@dataclass
class _Run:
    label: str
    latencies: list = field(default_factory=list)  # seconds, requests ending in the window
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    total: int = 0  # every request, warm-up included

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return (
            ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000
        )


def _csrf(conn: _Conn) -> tuple[str, str]:
    response, data = conn.request("GET", "/apply/")
    page = data.decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not cookie or not token:
        raise RuntimeError(f"GET /apply/ answered {response.status} without a CSRF token")
    return cookie.group(1), token.group(1)


def _applicant(run_id: str, thread: int, n: int, types: list[int], domains: list[str]) -> dict:
    kind = n % 10
    if kind == 0:
        domain = "gmail.com"
    elif kind == 5:
        domain = domains[(thread * 7919 + n) % len(domains)]
    else:
        domain = f"{run_id}-{thread}-{n}.example"
    return {
        "company": f"Bench Applicant {run_id}-{thread}-{n}",
        "website": f"https://www.{domain}",
        "first_name": "Alex",
        "last_name": f"Bench{n}",
        "email": f"{EMAIL_PREFIX}{run_id}-{thread}-{n}@{domain}",
        "phone": "+1 555 0100",
        "country": ["US", "DE", "GB", "BR", "JP", "AU", "FR", "CA"][n % 8],
        "partner_type": types[n % len(types)],
        "message": "We would like to resell your products in our region.",
    }


def _submit_load(ctx, run_id: str, types, domains) -> _Run:
    run = _Run("submissions: POST /apply/")
    start = time.perf_counter()
    window, deadline = start + ctx.warmup, start + ctx.warmup + ctx.duration
    lock = threading.Lock()

    def worker(thread: int):
        conn = _Conn(ctx.target.port, ctx.target.hostname, PER_SOURCE_IP)
        try:
            cookie, token = _csrf(conn)
            conn.used = PER_SOURCE_IP  # the form GET counts for nothing; start a new address
            for n in itertools.count():
                if time.perf_counter() >= deadline:
                    break
                body = urlencode(
                    {"csrfmiddlewaretoken": token, **_applicant(run_id, thread, n, types, domains)}
                )
                t0 = time.perf_counter()
                try:
                    response, _ = conn.request(
                        "POST",
                        "/apply/",
                        body=body,
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": f"csrftoken={cookie}",
                        },
                    )
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        run.errors[type(exc).__name__] += 1
                    continue
                t1 = time.perf_counter()
                ok = response.status == 302 and response.getheader("Location") == "/apply/sent/"
                with lock:
                    run.total += 1
                    if window <= t1 <= deadline:
                        run.latencies.append(t1 - t0)
                        run.statuses[response.status if ok else f"{response.status}!"] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(ctx.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ctx.warmup + ctx.duration + 120)
    run.elapsed = ctx.duration
    return run


def _confirm_load(ctx, tokens: list[str]) -> _Run:
    run = _Run("confirmations + decision: GET /apply/confirm/<link>/")
    work: queue.SimpleQueue = queue.SimpleQueue()
    for token in tokens:
        work.put(token)
    start = time.perf_counter()
    window, deadline = start + ctx.warmup, start + ctx.warmup + ctx.duration
    ends: list[float] = []
    lock = threading.Lock()

    def worker():
        conn = _Conn(ctx.target.port, ctx.target.hostname, 50)  # 60 an hour per IP
        try:
            while time.perf_counter() < deadline:
                try:
                    token = work.get_nowait()
                except queue.Empty:
                    break
                t0 = time.perf_counter()
                try:
                    response, _ = conn.request("GET", f"/apply/confirm/{token}/")
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        run.errors[type(exc).__name__] += 1
                    continue
                t1 = time.perf_counter()
                with lock:
                    run.total += 1
                    ends.append(t1)
                    if t1 >= window:
                        run.latencies.append(t1 - t0)
                        run.statuses[
                            response.status if response.status == 200 else f"{response.status}!"
                        ] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(ctx.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ctx.warmup + ctx.duration + 120)
    last = max(ends) if ends else deadline
    run.elapsed = max(0.001, min(deadline, last) - window)
    return run


def _drain(tenant, run_id: str) -> tuple[int, float]:
    """Wait until the worker has sent every confirmation e-mail of this run."""
    started = time.monotonic()
    with scope(tenant=tenant):
        mine = Application.objects.filter(
            tenant=tenant,
            email__startswith=f"{EMAIL_PREFIX}{run_id}-",
            status=ApplicationStatus.UNCONFIRMED,
        )
        total = mine.count()
        while time.monotonic() - started < DRAIN_TIMEOUT:
            if not mine.filter(confirmation_sent_at__isnull=True).exists():
                break
            time.sleep(0.2)
        waiting = mine.filter(confirmation_sent_at__isnull=True).count()
    return total - waiting, time.monotonic() - started


def _tokens(tenant, run_id: str) -> list[str]:
    with scope(tenant=tenant):
        ids = list(
            Application.objects.filter(
                tenant=tenant,
                email__startswith=f"{EMAIL_PREFIX}{run_id}-",
                status=ApplicationStatus.UNCONFIRMED,
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
        tokens = [application_confirmation_issue(tenant=tenant, application_id=pk) for pk in ids]
    return [t for t in tokens if t]


def measure(ctx) -> None:
    tenant = ctx.tenant
    run_id = uuid.uuid4().hex[:6]
    with scope(tenant=tenant):
        types = list(PartnerType.objects.filter(tenant=tenant).values_list("id", flat=True))
        domains = list(
            PartnerDomain.objects.filter(tenant=tenant)
            .order_by("id")
            .values_list("domain", flat=True)[::150]
        )
    lib.log(
        f"{TITLE}: POST /apply/ from {ctx.concurrency} threads ({ctx.warmup:g}+{ctx.duration:g} s)"
    )
    submissions = _submit_load(ctx, run_id, types, domains)
    lib.log(f"{TITLE}: waiting for the worker's confirmation e-mails")
    sent, drain_s = _drain(tenant, run_id)
    lib.log(f"{TITLE}: {sent} e-mails sent in {drain_s:.1f} s; issuing links")
    tokens = _tokens(tenant, run_id)
    lib.log(f"{TITLE}: GET /apply/confirm/<link>/ x {len(tokens)} from {ctx.concurrency} threads")
    confirmations = _confirm_load(ctx, tokens)

    with scope(tenant=tenant):
        outcomes = Counter(
            Application.objects.filter(
                tenant=tenant, email__startswith=f"{EMAIL_PREFIX}{run_id}-"
            ).values_list("status", "rule")
        )
        pending = Application.objects.filter(
            tenant=tenant, status=ApplicationStatus.PENDING
        ).count()

    rows = []
    for run in (submissions, confirmations):
        failed = sum(n for s, n in run.statuses.items() if isinstance(s, str)) + sum(
            run.errors.values()
        )
        rows.append(
            [
                run.label,
                f"{run.rate:,.1f}",
                lib.ms(run.pct(50)),
                lib.ms(run.pct(95)),
                lib.ms(run.pct(99)),
                len(run.latencies),
                failed,
            ]
        )
        if failed:
            ctx.note(
                f"{TITLE} / {run.label}: {failed} failed (statuses {dict(run.statuses)}, "
                f"errors {dict(run.errors)})"
            )
        if run.latencies and run.pct(50) > SLOW_P50_MS:
            ctx.note(f"{TITLE} / {run.label}: median {run.pct(50):.0f} ms, {run.rate:.1f}/s")
    both = (
        1 / (1 / submissions.rate + 1 / confirmations.rate)
        if submissions.rate and confirmations.rate
        else 0.0
    )
    approved = sum(n for (status, _), n in outcomes.items() if status == ApplicationStatus.APPROVED)
    ctx.goal(
        "complete applications/s (submit + confirm + decision)",
        f"{both:.1f}/s (confirm p95 {confirmations.pct(95):.0f} ms)",
        ">= 50/s",
        both >= 50,
        why="a confirmation with approval writes account, domain, user, membership, partner "
        "link, enrollment, audit and outbox rows (the SQL per request below); on 2 CPUs "
        "shared by the server, the workers, PostgreSQL and the client",
    )
    labels = {
        (ApplicationStatus.APPROVED, DecisionRule.DOMAIN_UNMATCHED): "approved (new domain)",
        (ApplicationStatus.PENDING, DecisionRule.DOMAIN_MATCHED): "pending (partner proposed)",
        (ApplicationStatus.PENDING, DecisionRule.PUBLIC_DOMAIN): "pending (gmail.com)",
        (ApplicationStatus.UNCONFIRMED, ""): "still unconfirmed",
    }
    mix = ", ".join(
        f"{n:,} {labels.get(key, '/'.join(k for k in key if k))}"
        for key, n in sorted(outcomes.items())
    )
    text = lib.table(
        [
            "step (Host: bench.localhost)",
            "per s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "measured",
            "failed",
        ],
        rows,
        align="lrrrrrr",
    )
    text += (
        f"\nSustained through both steps (each applicant submits once and confirms once): "
        f"{both:,.1f} applications/s, {approved:,} of them approved as new partner accounts."
        f"\nSubmissions: {submissions.total:,} in all (warm-up included), from {ctx.concurrency} "
        f"keep-alive connections, {PER_SOURCE_IP} per source address, rate limits on."
        f"\nConfirmation e-mails: the Celery worker (concurrency 2) sent {sent:,} in "
        f"{drain_s:.1f} s after the load stopped ({sent / drain_s if drain_s else 0:,.0f}/s while "
        "draining; the rest went out during the load)."
        f"\nConfirmations: {confirmations.total:,} links of this run, {ctx.warmup:g} s warm-up; "
        f"outcomes: {mix}."
        f"\nEach approval writes the account, its domain, the user, membership and partner link, "
        f"the CAM's rotation row, the enrollment when the type has a pipeline, audit events, the "
        f"CAM's notification, and queues its e-mails (every outbox message of the decision in one "
        f"INSERT). Pending now: {pending:,}."
    )
    ctx.section(
        f"{TITLE}: the public form under load, against {ctx.dataset_size} (domain matching on)",
        text,
    )

    response, _, _ = lib.fetch(ctx.target, "/console/applications/")
    if response.status != 200 or b"queue-table" not in response.body:
        raise RuntimeError(f"/console/applications/ answered {response.status} without the queue")
    ctx.http(TITLE, "Pending Partners queue", "/console/applications/", matches=pending)
    ctx.http(TITLE, "application form", "/apply/")

    ctx.section(
        f"{TITLE}: SQL per request, one warm request through django.test.Client in the bench "
        "process (no HTTP, no concurrency)",
        _costs(tenant, run_id, types, domains),
    )
    _explain(ctx, domains)


def _costs(tenant, run_id: str, types, domains) -> str:
    client = Client(HTTP_HOST=dataset.HOSTNAME, REMOTE_ADDR="10.255.0.1")
    rows = []

    def timed(label, fn):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = fn()
            wall = (time.perf_counter() - t0) * 1000
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        sql = [q["sql"] for q in captured.captured_queries]
        rows.append(
            [
                label,
                response.status_code,
                f"{wall:.1f}",
                len(captured),
                sum(s.startswith("SAVEPOINT") for s in sql),
                sum(s.startswith('INSERT INTO "outbox_outboxmessage"') for s in sql),
                sum(s.startswith('INSERT INTO "audit_auditevent"') for s in sql),
                f"{sql_ms:.1f}",
            ]
        )

    def submit(n):
        return client.post("/apply/", _applicant(f"{run_id}c", 0, n, types, domains))

    submit(1)  # warm-up
    timed("POST /apply/ (new domain)", lambda: submit(2))
    for n, label in (
        (3, "approved, new domain"),
        (5, "pending, partner proposed"),
        (10, "pending, gmail.com"),
    ):
        submit(n)
        with scope(tenant=tenant):
            app = Application.objects.get(
                tenant=tenant, email=_applicant(f"{run_id}c", 0, n, types, domains)["email"]
            )
            # The worker's confirmation e-mail issues a link of its own, which would replace
            # ours: let it go out first.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                Application.objects.filter(pk=app.pk, confirmation_sent_at__isnull=False).exists()
            ):
                time.sleep(0.1)
            token = application_confirmation_issue(tenant=tenant, application_id=app.pk)
        timed(f"GET /apply/confirm/ ({label})", lambda t=token: client.get(f"/apply/confirm/{t}/"))
    return lib.table(
        [
            "request",
            "status",
            "wall ms",
            "queries",
            "savepoints",
            "outbox INSERTs",
            "audit INSERTs",
            "SQL ms",
        ],
        rows,
        align="lrrrrrrr",
    )


def _explain(ctx, domains) -> None:
    tenant = ctx.tenant
    results = []
    with scope(tenant=tenant):
        sql, params = (
            PartnerDomain.objects.filter(tenant=tenant, domain=domains[len(domains) // 2])
            .select_related("account")
            .query.sql_with_params()
        )
        results.append(lib.explain("decision: domain lookup", sql, params))
        qs = application_queue(tenant=tenant, filters=QueueFilters())
        (count_sql,) = lib.captured_sql(qs.count)
        results.append(lib.explain("queue: count (pending)", count_sql))
        sql, params = application_queue_rows(queryset=qs[:25]).query.sql_with_params()
        results.append(lib.explain("queue: page 1 (pending)", sql, params))
    ctx.explains(TITLE, f"{TITLE}: EXPLAIN (ANALYZE, BUFFERS), warm cache", results)
