"""Onboarding: how fast a partner moves on once the last open action of a stage is done
(the auto-advance task on a live Celery worker), and the load of the pages that show
onboarding: the console's Onboarding tab and the partner portal's home and journey.

seed() builds everything with the product's own services:
- pipeline "Bench auto-advance" (stage Paperwork: Signed partner agreement + Company details;
  stage Enablement: Sales contact) with SEEDED enrolled accounts, each with a partner admin
  and the agreement already uploaded, so Company details is the last open action of their
  current stage;
- pipeline "Bench onboarding" (4 stages x 3 actions) with one enrolled account of the bench
  CAM: stage 1 done (one action validated by the CAM), stage 2 current with one action
  completed and two waiting for approval (one after a round of requested changes), stages 3
  and 4 to do. Its partner admin signs in for the portal pages.

measure() completes Company details for the latency partners, SEQUENTIAL_PARTNERS one at a
time (the task path without queueing), then LATENCY_PARTNERS from ctx.concurrency threads
(one DB connection each). It stamps each commit and waits until the worker has moved the
partner: one poller thread reads the waiting enrollments' current_stage_id every
POLL_INTERVAL (one query for all of them, so polling adds little load next to the worker).
The reconciliation pass (beat, every 60 s) is not running, so a move is always the task's.
Then it loads the three pages next to the /healthz baseline and, to explain the numbers,
counts the SQL of one request per page and of one completion with its tasks run in-process.
"""

import contextlib
import math
import os
import queue
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.core.uploads import storage_key
from apps.notifications.models import Notification
from apps.onboarding.demo import ActionSpec, StageSpec, pipeline_build
from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    ActionType,
    Enrollment,
    Pipeline,
    Stage,
    StageProgress,
)
from apps.onboarding.services.actions import (
    StoredFile,
    action_complete,
    action_request_changes,
    action_validate,
)
from apps.onboarding.services.enrollment import partner_enroll
from apps.partners.models import PartnerAccount, PartnerType
from apps.partners.services import partner_user_add
from apps.tenancy.models import Role
from bench import dataset, lib, onboarding_queue

TITLE = "Onboarding"

LATENCY_PIPELINE = "Bench auto-advance"
TAB_PIPELINE = "Bench onboarding"
LATENCY_PARTNERS = 200  # measured completions
WARMUP_PARTNERS = 8  # completed first, not counted (the worker's first tasks open connections)
SEQUENTIAL_PARTNERS = 20  # completed one at a time first: the latency without queueing
SEEDED = LATENCY_PARTNERS + WARMUP_PARTNERS + SEQUENTIAL_PARTNERS + 2  # + 2 run in-process
WAIT_TIMEOUT = 30.0  # seconds one partner may take to move before it counts as a timeout
LATENCY_BUDGET = 90.0  # seconds per latency pass; later partners are not started
MAX_TIMEOUTS = 3  # a pass stops starting partners after this many timeouts (worker stuck)
POLL_INTERVAL = 0.005  # seconds between two reads of the waiting enrollments' current stage
WORKER_READY_TIMEOUT = 60.0
SLOW_ADVANCE_P95_MS = 1000  # auto-advance p95 above this is listed under "Looks slow"

# The latency partners' admins never sign in: no password, so seeding does not spend
# ~0.4 s of PBKDF2 on each of them. The portal partner's admin signs in with this one.
PORTAL_EMAIL = "admin@portal-partner.bench.test"
PORTAL_PASSWORD = "bench-partner-password-4711"
# A minimal PDF for the uploaded agreements.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LEGAL_NAME = [{"label": "Legal name", "kind": "text"}]


def _latency_email(account_id: int) -> str:
    return f"admin-{account_id}@latency-partners.bench.test"


@contextlib.contextmanager
def _celery_eager():
    """Run the tasks the services queue inline, in this process: while seeding (the worker is
    not running yet, and messages left in Redis would be worked off during the first
    measurements) and to count the SQL of one move."""
    from config.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


def _upload(tenant, name: str) -> StoredFile:
    return StoredFile(
        uploaded=ContentFile(PDF, name=name),
        original_name=name,
        content_type="application/pdf",
        size=len(PDF),
        storage_key=storage_key(tenant_id=tenant.pk, area="onboarding", ext="pdf"),
    )


def _progress(tenant, enrollment, action) -> ActionProgress:
    return ActionProgress.objects.get(tenant=tenant, enrollment=enrollment, action=action)


# ---------------------------------------------------------------------------
# Seed
# ---------------------------------------------------------------------------


def seed() -> None:
    tenant = dataset.tenant()
    cam = get_user_model().objects.get(email=dataset.CAM_EMAIL)
    with scope(tenant=tenant), _celery_eager():
        types = list(PartnerType.objects.filter(tenant=tenant).order_by("position"))
        if len(types) < 2:
            raise RuntimeError("the bench tenant needs two partner types")
        started = time.perf_counter()
        _seed_latency(tenant, types[0])
        lib.log(
            f"{TITLE}: {SEEDED} partners enrolled in "
            f"{LATENCY_PIPELINE!r} in {time.perf_counter() - started:.1f} s"
        )
        _seed_tab(tenant, cam, types[1])
        onboarding_queue.seed()  # the work queue: 2,000 actions waiting for approval
    models = (Enrollment, StageProgress, ActionProgress, Stage, Pipeline, AuditEvent, Notification)
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _seed_latency(tenant, partner_type) -> None:
    info, upload = ActionType.PROVIDE_INFORMATION, ActionType.UPLOAD_DOCUMENT
    built = pipeline_build(
        tenant=tenant,
        actor=None,
        name=LATENCY_PIPELINE,
        partner_types=[partner_type],
        stages=[
            StageSpec(
                "Paperwork",
                [
                    ActionSpec(
                        "Signed partner agreement", upload, fields={"upload_types": ["pdf"]}
                    ),
                    ActionSpec("Company details", info, fields={"form_fields": LEGAL_NAME}),
                ],
            ),
            StageSpec(
                "Enablement",
                [
                    ActionSpec(
                        "Sales contact",
                        info,
                        fields={"form_fields": [{"label": "Sales contact email", "kind": "email"}]},
                    )
                ],
            ),
        ],
    )
    pipeline, agreement = built.pipeline, built.actions["Signed partner agreement"]
    accounts = list(
        PartnerAccount.objects.filter(
            tenant=tenant, partner_type=partner_type, status="active"
        ).order_by("id")[:SEEDED]
    )
    if len(accounts) < SEEDED:
        raise RuntimeError(f"only {len(accounts)} active {partner_type.name} accounts")
    for account in accounts:
        with transaction.atomic():
            enrollment = partner_enroll(
                tenant=tenant, actor=None, account=account, pipeline=pipeline
            )
            link = partner_user_add(
                tenant=tenant,
                actor=None,
                account=account,
                email=_latency_email(account.pk),
                role=Role.PARTNER_ADMIN,
                first_name="Pat",
                last_name=f"Admin {account.pk}",
                password=None,
            )
        action_complete(
            tenant=tenant,
            actor=link.membership.user,
            progress_id=_progress(tenant, enrollment, agreement).pk,
            submission={"files": ["agreement.pdf"]},
            files=[_upload(tenant, "agreement.pdf")],
        )


def _seed_tab(tenant, cam, partner_type) -> None:
    """One partner 12 actions deep: stage 1 done, stage 2 current and half waiting."""
    info, upload = ActionType.PROVIDE_INFORMATION, ActionType.UPLOAD_DOCUMENT
    plan = {
        "Welcome": [
            (info, "Company details", False),
            (upload, "Signed partner agreement", True),
            (info, "Primary contacts", False),
        ],
        "Compliance": [
            (upload, "Tax certificate", True),
            (info, "Bank details", True),
            (upload, "Insurance certificate", False),
        ],
        "Enablement": [
            (info, "Sales team", False),
            (upload, "Certification exam", True),
            (info, "Demo environment", False),
        ],
        "Go live": [
            (info, "Launch plan", True),
            (upload, "Co-branded collateral", False),
            (info, "First deal registration", False),
        ],
    }
    built = pipeline_build(
        tenant=tenant,
        actor=None,
        name=TAB_PIPELINE,
        partner_types=[partner_type],
        stages=[
            StageSpec(
                stage_name,
                [
                    ActionSpec(
                        title,
                        kind,
                        requires_approval=approval,
                        fields={"form_fields": LEGAL_NAME}
                        if kind == info
                        else {"upload_types": ["pdf"]},
                    )
                    for kind, title, approval in specs
                ],
            )
            for stage_name, specs in plan.items()
        ],
    )
    pipeline, actions = built.pipeline, built.actions
    account = (
        PartnerAccount.objects.filter(
            tenant=tenant, partner_type=partner_type, status="active", cam=cam
        )
        .order_by("id")
        .first()
    )
    if account is None:
        raise RuntimeError(f"no active {partner_type.name} account of {dataset.CAM_EMAIL}")
    enrollment = partner_enroll(tenant=tenant, actor=cam, account=account, pipeline=pipeline)
    partner = partner_user_add(
        tenant=tenant,
        actor=cam,
        account=account,
        email=PORTAL_EMAIL,
        role=Role.PARTNER_ADMIN,
        first_name="Pia",
        last_name="Partner",
        password=PORTAL_PASSWORD,
    ).membership.user

    def complete(title: str) -> int:
        action = actions[title]
        if action.type == upload:
            kwargs = {
                "submission": {"files": ["document.pdf"]},
                "files": [_upload(tenant, "document.pdf")],
            }
        else:
            kwargs = {"submission": {"legal_name": account.name}}
        return action_complete(
            tenant=tenant,
            actor=partner,
            progress_id=_progress(tenant, enrollment, action).pk,
            **kwargs,
        ).pk

    # Stage 1: all done, the agreement after the CAM's validation; the partner moves on.
    complete("Company details")
    action_validate(tenant=tenant, actor=cam, progress_id=complete("Signed partner agreement"))
    complete("Primary contacts")
    # Stage 2: one completed, two waiting for approval (bank details after a second round).
    complete("Insurance certificate")
    complete("Tax certificate")
    bank = complete("Bank details")
    action_request_changes(
        tenant=tenant, actor=cam, progress_id=bank, comment="Please add the IBAN as well."
    )
    complete("Bank details")
    enrollment.refresh_from_db()
    if enrollment.current_stage.name != "Compliance":
        raise RuntimeError(f"the tab partner is in {enrollment.current_stage}, not Compliance")


# ---------------------------------------------------------------------------
# Measure
# ---------------------------------------------------------------------------


def measure(ctx) -> None:
    _measure_latency(ctx)
    _measure_pages(ctx)
    onboarding_queue.measure(ctx)


def _wait_for_worker() -> list[int]:
    """Wait until a worker answers; returns the pids of its processes (parent and pool), when
    it tells them, to account for the CPU time it spends."""
    from config.celery import app

    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            pids = []
            for stats in (app.control.inspect(timeout=2.0).stats() or {}).values():
                pids += [stats.get("pid"), *stats.get("pool", {}).get("processes", [])]
            return [p for p in pids if isinstance(p, int)]
    raise RuntimeError(
        f"no Celery worker answered a ping within {WORKER_READY_TIMEOUT:.0f} s "
        "(scripts/bench.sh starts one)"
    )


@dataclass
class Case:
    account_id: int
    account_name: str
    enrollment_id: int
    progress_id: int
    stage_id: int
    user: object


@dataclass
class Sample:
    case: Case
    committed: float = math.nan  # perf_counter() right after the COMMIT
    committed_wall: float = math.nan  # time.time() then, to compare with the DB's timestamps
    moved: float = math.nan  # perf_counter() when the poller saw the new stage
    error: str = ""
    timed_out: bool = False
    seen: threading.Event = field(default_factory=threading.Event)

    @property
    def latency(self) -> float:
        return self.moved - self.committed


class Poller:
    """One thread with its own connection: reads the current stage of every enrollment still
    waiting, every POLL_INTERVAL, and stamps the first read that shows a different one."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.waiting: dict[int, Sample] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.polls = 0
        self.error = ""
        self.thread = threading.Thread(target=self._run, name="onboarding-poller")

    def watch(self, sample: Sample) -> None:
        with self.lock:
            self.waiting[sample.case.enrollment_id] = sample

    def forget(self, sample: Sample) -> None:
        with self.lock:
            self.waiting.pop(sample.case.enrollment_id, None)

    def _run(self) -> None:
        try:
            with scope(tenant=self.tenant):
                while not self.stop.is_set():
                    with self.lock:
                        waiting = dict(self.waiting)
                    if waiting:
                        rows = Enrollment.objects.filter(
                            tenant=self.tenant, pk__in=list(waiting)
                        ).values_list("pk", "current_stage_id")
                        rows = list(rows)
                        now = time.perf_counter()
                        self.polls += 1
                        for pk, stage_id in rows:
                            sample = waiting[pk]
                            if stage_id != sample.case.stage_id:
                                sample.moved = now
                                self.forget(sample)
                                sample.seen.set()
                    self.stop.wait(POLL_INTERVAL)
        except Exception as exc:  # noqa: BLE001 - reported by the waiters' timeouts
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            connections.close_all()  # this thread's connection


def _cases(tenant) -> list[Case]:
    pipeline = Pipeline.objects.get(tenant=tenant, name=LATENCY_PIPELINE, archived_at=None)
    first = Stage.objects.filter(tenant=tenant, pipeline=pipeline).order_by("position").first()
    rows = (
        ActionProgress.objects.filter(
            tenant=tenant,
            enrollment__pipeline=pipeline,
            enrollment__current_stage=first,
            action__title="Company details",
            status=ActionStatus.PENDING,
        )
        .select_related("partner_account")
        .order_by("partner_account_id")
    )
    users = {
        u.email: u
        for u in get_user_model().objects.filter(email__endswith="@latency-partners.bench.test")
    }
    return [
        Case(
            account_id=p.partner_account_id,
            account_name=p.partner_account.name,
            enrollment_id=p.enrollment_id,
            progress_id=p.pk,
            stage_id=first.pk,
            user=users[_latency_email(p.partner_account_id)],
        )
        for p in rows
    ]


def _complete(tenant, sample: Sample) -> None:
    """The partner completes Company details in its own transaction; stamps the commit."""
    case = sample.case

    def committed():
        sample.committed, sample.committed_wall = time.perf_counter(), time.time()

    with transaction.atomic():
        # Registered before the service's own on_commit (which queues the advance task), so
        # it runs first, right after COMMIT returned.
        transaction.on_commit(committed)
        action_complete(
            tenant=tenant,
            actor=case.user,
            progress_id=case.progress_id,
            submission={"legal_name": case.account_name},
        )


def _run(tenant, cases: list[Case], threads: int, budget_end: float) -> tuple[list, int]:
    """Complete every case from `threads` threads, each waiting for its partner's move before
    taking the next. Returns (samples, polls)."""
    work: queue.Queue = queue.Queue()
    for case in cases:
        work.put(case)
    samples: list[Sample] = []
    lock = threading.Lock()
    poller = Poller(tenant)

    def stuck() -> bool:
        with lock:
            return sum(s.timed_out for s in samples) >= MAX_TIMEOUTS

    def worker():
        try:
            with scope(tenant=tenant):
                while time.monotonic() < budget_end and not stuck():
                    try:
                        case = work.get_nowait()
                    except queue.Empty:
                        return
                    sample = Sample(case)
                    poller.watch(sample)
                    try:
                        _complete(tenant, sample)
                        if not sample.seen.wait(WAIT_TIMEOUT):
                            sample.timed_out = True
                    except Exception as exc:  # noqa: BLE001 - reported, not fatal
                        sample.error = f"{type(exc).__name__}: {exc}"
                    poller.forget(sample)
                    with lock:
                        samples.append(sample)
        finally:
            connections.close_all()  # this thread's connection

    pool = [threading.Thread(target=worker, name=f"onboarding-{i}") for i in range(threads)]
    poller.thread.start()
    try:
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=max(1.0, budget_end - time.monotonic() + WAIT_TIMEOUT + 30))
    finally:
        poller.stop.set()
        poller.thread.join(timeout=30)
    if any(t.is_alive() for t in [*pool, poller.thread]):
        raise RuntimeError("auto-advance threads did not finish in time")
    if poller.error:
        raise RuntimeError(f"the stage poller failed: {poller.error}")
    return samples, poller.polls


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, as lib.LoadResult.percentile (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _stats_row(label: str, values: list[float]) -> list:
    return [
        label,
        len(values),
        lib.ms(_pct(values, 50)),
        lib.ms(_pct(values, 95)),
        lib.ms(max(values, default=math.nan)),
    ]


@dataclass
class Pass:
    """One latency run: its samples, their split at the task's lock, and the bookkeeping."""

    label: str
    threads: int
    cases: list
    samples: list
    polls: int
    elapsed: float
    latencies: list = field(default_factory=list)  # ms, commit -> new stage visible
    to_lock: list = field(default_factory=list)  # ms, commit -> task holds the lock
    after_lock: list = field(default_factory=list)  # ms, lock -> visible to the poller

    worker_cpu: float = math.nan  # seconds of CPU the worker's processes used during the pass
    client_cpu: float = 0.0  # seconds of CPU this process (the partners and the poller) used
    host_busy: float = math.nan  # share of the host's CPU time not idle during the pass

    @property
    def timeouts(self) -> int:
        return sum(s.timed_out for s in self.samples)

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.samples if s.error]

    @property
    def not_started(self) -> int:
        return len(self.cases) - len(self.samples)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used (nan when unknown or one is gone)."""
    if not pids:
        return math.nan
    ticks = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return math.nan
    return ticks / os.sysconf("SC_CLK_TCK")


def _host_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot (0, 0 when /proc/stat is unreadable)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return total - idle, total


def _latency_pass(tenant, label: str, cases: list[Case], threads: int, pids: list) -> Pass:
    worker0, host0, client0 = _cpu_seconds(pids), _host_cpu(), time.process_time()
    started = time.monotonic()
    samples, polls = _run(tenant, cases, threads, started + LATENCY_BUDGET)
    run = Pass(label, threads, cases, samples, polls, time.monotonic() - started)
    run.worker_cpu = _cpu_seconds(pids) - worker0
    run.client_cpu = time.process_time() - client0
    host1 = _host_cpu()
    if host1[1] > host0[1]:
        run.host_busy = (host1[0] - host0[0]) / (host1[1] - host0[1])
    ok = [s for s in samples if not math.isnan(s.moved)]
    # Split each move where the task took the enrollment's lock: the worker stamps the
    # finished stage with that time (enrollment_advance's `now`), on the same host clock.
    with scope(tenant=tenant):
        lock_at = dict(
            StageProgress.objects.filter(
                tenant=tenant,
                enrollment_id__in=[s.case.enrollment_id for s in ok],
                stage_id=cases[0].stage_id,
            ).values_list("enrollment_id", "completed_at")
        )
    for s in ok:
        run.latencies.append(s.latency * 1000)
        at = lock_at.get(s.case.enrollment_id)
        if at is not None:
            run.to_lock.append((at.timestamp() - s.committed_wall) * 1000)
            run.after_lock.append(run.latencies[-1] - run.to_lock[-1])
    return run


def _measure_latency(ctx) -> None:
    tenant = ctx.tenant
    pids = _wait_for_worker()
    with scope(tenant=tenant):
        cases = _cases(tenant)
    if len(cases) < SEEDED:
        raise RuntimeError(
            f"{len(cases)} partners ready to complete Company details, expected {SEEDED}: "
            "was the suite seeded (BENCH_SUITES)?"
        )
    threads = ctx.concurrency
    warmup, cases = cases[:WARMUP_PARTNERS], cases[WARMUP_PARTNERS:]
    alone, cases = cases[:SEQUENTIAL_PARTNERS], cases[SEQUENTIAL_PARTNERS:]
    measured, in_process = cases[:LATENCY_PARTNERS], cases[LATENCY_PARTNERS:]
    lib.log(
        f"{TITLE}: auto-advance, {len(warmup)} warm-up, {len(alone)} one at a time, "
        f"{len(measured)} from {threads} threads (worker pids {pids})"
    )
    _run(tenant, warmup, threads, time.monotonic() + LATENCY_BUDGET)
    load_before = os.getloadavg()[0]
    runs = [
        _latency_pass(tenant, "one at a time", alone, 1, pids),
        _latency_pass(tenant, f"{threads} at once", measured, threads, pids),
    ]
    load_after = os.getloadavg()[0]
    crowded = runs[-1]
    if crowded.latencies:
        p95 = _pct(crowded.latencies, 95)
        ctx.goal(
            f"auto-advance, {crowded.threads} in flight, p95 commit -> new stage",
            f"{p95:.0f} ms",
            "<= 100 ms",
            p95 <= 100,
            why=f"waiting for a worker: commit -> task holds the lock p95 "
            f"{_pct(crowded.to_lock, 95):.0f} ms (the advance worker runs 2 moves at a time), "
            f"the move itself p95 {_pct(crowded.after_lock, 95):.0f} ms",
        )

    rows = []
    for run in runs:
        rows += [
            _stats_row(f"{run.label}: commit -> new stage visible", run.latencies),
            _stats_row("  commit -> task holds the lock", run.to_lock),
            _stats_row("  task holds the lock -> visible", run.after_lock),
        ]
    text = lib.table(["auto-advance (live worker)", "moves", "p50 ms", "p95 ms", "max ms"], rows)
    for run in runs:
        text += (
            f"\n{run.label}: {len(run.samples)} completions by {run.threads} thread(s) "
            f"({len(run.samples) / run.elapsed:.1f}/s over {run.elapsed:.1f} s, poller "
            f"{run.polls / run.elapsed:.0f} queries/s), {run.timeouts} timeouts "
            f"(> {WAIT_TIMEOUT:g} s), {len(run.errors)} errors"
            + (
                f", {run.not_started} not started (budget {LATENCY_BUDGET:g} s, "
                f"or {MAX_TIMEOUTS} timeouts)"
                if run.not_started
                else ""
            )
            + "."
        )
        moves = max(1, len(run.samples))
        text += (
            f"\n  CPU per move: worker {run.worker_cpu / moves * 1000:.0f} ms (all its "
            f"processes), bench client {run.client_cpu / moves * 1000:.0f} ms; host CPUs "
            f"{run.host_busy:.0%} busy during the pass (everything on the machine)."
        )
    text += (
        f"\nEach completion is a partner's Company details in its own transaction, its own DB "
        f"connection per thread, after {len(warmup)} warm-up ones; one poller thread reads the "
        f"waiting enrollments every {POLL_INTERVAL * 1000:g} ms. Celery worker --concurrency "
        "2 (one queue, shared with the e-mails), no beat. 1-minute load average "
        f"{load_before:.2f} before, {load_after:.2f} after."
    )
    text += "\n\n" + _task_costs(tenant, in_process)
    ctx.section(
        f"{TITLE}: auto-advance latency, commit of a stage's last open action -> stage change "
        "in the database",
        text,
    )
    for run in runs:
        if run.timeouts or run.errors or run.not_started:
            detail = f"; first error: {run.errors[0]}" if run.errors else ""
            ctx.note(
                f"{TITLE} / auto-advance, {run.label}: {run.timeouts} timeouts, "
                f"{len(run.errors)} errors, {run.not_started} not started of "
                f"{len(run.cases)}{detail}"
            )
        p95 = _pct(run.latencies, 95)
        if run.latencies and p95 > SLOW_ADVANCE_P95_MS:
            ctx.note(
                f"{TITLE} / auto-advance, {run.label}: p95 {p95:.0f} ms from commit to stage "
                f"change (p50 {_pct(run.latencies, 50):.0f} ms, max {max(run.latencies):.0f} "
                f"ms; p50 {_pct(run.to_lock, 50):.0f} ms before the task held the lock)"
            )


# ---------------------------------------------------------------------------
# Where the time goes: SQL of one completion (tasks in-process) and of one page load
# ---------------------------------------------------------------------------


class _Recorder:
    """Every statement this thread's connection runs, timed to the microsecond (Django's own
    query log rounds to milliseconds)."""

    def __init__(self):
        self.captured_queries: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured_queries.append({"sql": sql, "time": time.perf_counter() - t0})


@contextlib.contextmanager
def _recording():
    recorder = _Recorder()
    with connection.execute_wrapper(recorder):
        yield recorder


_NUMBERS = re.compile(r"\b\d+(\.\d+)?\b|'[^']*'")


def _statement(sql: str) -> str:
    """'SELECT onboarding_actionprogress': the verb and the first table."""
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    return f"{sql.split()[0]} {table.group(1)}" if table else sql[:40]


def _sql_summary(queries: list[dict]) -> list:
    """[count, SQL ms, slowest statement, most repeated statement] of captured queries."""
    shapes = Counter(_NUMBERS.sub("?", q["sql"]) for q in queries)
    repeated = ""
    if shapes:
        shape, n = shapes.most_common(1)[0]
        if n > 1:
            repeated = f"{n} x {_statement(shape)}"
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    return [
        len(queries),
        f"{sum(float(q['time']) for q in queries) * 1000:.1f}",
        f"{float(slowest['time']) * 1000:.1f} ms {_statement(slowest['sql'])}" if slowest else "",
        repeated,
    ]


def _task_costs(tenant, cases: list[Case]) -> str:
    """Complete two more partners with the tasks run in-process (eager) and count the SQL of
    the second one's completion, advance task and the e-mail task it queues (the first one
    warms the templates and connections up)."""
    from celery.signals import task_postrun, task_prerun

    warm, case = cases
    with scope(tenant=tenant), _celery_eager():
        _complete(tenant, Sample(warm))

    stack, spans = [], {}
    with _recording() as captured:

        def pre(task=None, **kwargs):
            stack.append((task.name, len(captured.captured_queries), time.perf_counter()))

        def post(task=None, **kwargs):
            name, first, t0 = stack.pop()
            spans.setdefault(name, []).append(
                (first, len(captured.captured_queries), time.perf_counter() - t0)
            )

        task_prerun.connect(pre, weak=False)
        task_postrun.connect(post, weak=False)
        try:
            with scope(tenant=tenant), _celery_eager():
                t0 = time.perf_counter()
                sample = Sample(case)
                _complete(tenant, sample)
                total = time.perf_counter() - t0
        finally:
            task_prerun.disconnect(pre)
            task_postrun.disconnect(post)
    queries = captured.captured_queries
    rows, nested = [], 0
    advance = "apps.onboarding.tasks.enrollment_advance_task"
    email = "apps.notifications.tasks.notification_email_send"
    first_task = min((s[0][0] for s in spans.values()), default=len(queries))
    wall = (sample.committed - t0) * 1000
    rows.append(
        [
            "action_complete (transaction + commit)",
            f"{wall:.1f}",
            *_sql_summary(queries[:first_task]),
        ]
    )
    for name in (advance, email):
        for first, last, seconds in spans.get(name, []):
            own = queries[first:last]
            label = name.rsplit(".", 1)[1]
            if name == advance and email in spans:
                # The e-mail task ran inside the advance task (on its commit): take it out.
                e_first, e_last, e_seconds = spans[email][0]
                own = queries[first:e_first] + queries[e_last:last]
                seconds -= e_seconds
                label += " (without the e-mail)"
            rows.append([label, f"{seconds * 1000:.1f}", *_sql_summary(own)])
            nested += 1
    if not nested:
        rows.append(["(no task ran: was the partner moved?)", "", "", "", "", ""])
    with scope(tenant=tenant):
        stage_id = Enrollment.objects.get(tenant=tenant, pk=case.enrollment_id).current_stage_id
    still = stage_id == case.stage_id
    return (
        "Where a move's time goes: one more partner completing Company details in the bench "
        f"process after one warm-up, tasks run in-process ({total * 1000:.0f} ms in all"
        + (", NOT moved" if still else "")
        + ")\n"
        + lib.table(
            ["step", "wall ms", "queries", "SQL ms", "slowest statement", "most repeated"],
            rows,
            align="lrrrll",
        )
    )


def _page_costs(pages: list[tuple[str, object, str]]) -> str:
    """SQL of one (second) request per page through django.test.Client in this process."""
    from django.test import Client

    rows = []
    for label, user, path in pages:
        client = Client(HTTP_HOST=dataset.HOSTNAME)
        client.force_login(user)
        client.get(path)  # warm-up: templates, caches
        with _recording() as captured:
            t0 = time.perf_counter()
            response = client.get(path)
            wall = (time.perf_counter() - t0) * 1000
        rows.append(
            [
                label,
                path,
                response.status_code,
                f"{wall:.1f}",
                *_sql_summary(captured.captured_queries),
            ]
        )
    return lib.table(
        [
            "page",
            "path",
            "status",
            "wall ms",
            "queries",
            "SQL ms",
            "slowest statement",
            "most repeated",
        ],
        rows,
        align="llrrrrll",
    )


@contextlib.contextmanager
def _as(ctx, target):
    """Load pages signed in as someone else than the bench CAM."""
    before = ctx.target
    ctx.target = target
    try:
        yield
    finally:
        ctx.target = before


def _check(target, path: str, *expected: bytes) -> None:
    response, _, _ = lib.fetch(target, path)
    missing = [e.decode() for e in expected if e not in response.body]
    if response.status != 200 or missing:
        raise RuntimeError(f"GET {path} answered {response.status}; missing {missing}")


def _measure_pages(ctx) -> None:
    tenant = ctx.tenant
    with scope(tenant=tenant):
        enrollment = Enrollment.objects.select_related("partner_account").get(
            tenant=tenant,
            pipeline__name=TAB_PIPELINE,
            partner_account__users__membership__user__email=PORTAL_EMAIL,
        )
        statuses = Counter(
            ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment).values_list(
                "status", flat=True
            )
        )
    label = (
        f"{sum(statuses.values())} actions / 4 stages: {statuses['completed']} completed, "
        f"{statuses['waiting_for_approval']} waiting"
    )
    tab = f"/console/partners/{enrollment.partner_account_id}/onboarding/"
    _check(ctx.target, tab, b"Tax certificate", b"Waiting for approval")
    ctx.http(TITLE, f"console tab ({label})", tab)

    partner = lib.Target(port=ctx.target.port, hostname=ctx.target.hostname)
    partner.cookie = lib.sign_in(partner, PORTAL_EMAIL, PORTAL_PASSWORD)
    lib.log(f"signed in as {PORTAL_EMAIL} ({enrollment.partner_account.name})")
    _check(partner, "/portal/", b"Tax certificate")
    _check(partner, "/portal/onboarding/", b"Compliance", b"Go live")
    with _as(ctx, partner):
        ctx.http(TITLE, "portal home (partner admin)", "/portal/")
        ctx.http(TITLE, "portal journey (partner admin)", "/portal/onboarding/")

    users = {
        u.email: u
        for u in get_user_model().objects.filter(email__in=[dataset.CAM_EMAIL, PORTAL_EMAIL])
    }
    ctx.section(
        f"{TITLE}: SQL per page, one warm request through django.test.Client in the bench "
        "process (no HTTP, no concurrency)",
        _page_costs(
            [
                ("console tab", users[dataset.CAM_EMAIL], tab),
                ("portal home", users[PORTAL_EMAIL], "/portal/"),
                ("portal journey", users[PORTAL_EMAIL], "/portal/onboarding/"),
            ]
        ),
    )
