"""Milestone sweep (issues 12 and 15): `milestone_sweep_all_tenants` over the 100,000
partners of the shared dataset, each on its type's milestone track, with about 1% of the
checkpoints newly due at the measured moment; next to a straightforward per-partner Python
loop over the same data. Targets: due sweep <= 100 ms, >= 50x the per-partner loop.

The rows are built in measure() (not seed()), so the suites measured before this one see no
milestone rows; this suite runs last and takes the dataset's PARTNERS accounts (the lowest
ids: not the ones the import suite adds). Set-based, with the product's own statements:
- partner tracks (INSERT ... SELECT), enrolled evenly over the 100 days before NOW (a
  deterministic permutation of the accounts), on the tracks the program installed from the
  template (`milestone_template_install`, run by program_create);
- their partner milestones and checkpoints: `statements.materialise`;
- events: for 60% of the milestones due before PRIMED (= NOW - 1 day), one completing event
  (a check-off, the milestone's event type with its reference, a registered deal), applied
  by `statements.apply_events` as the sweep would have;
- every checkpoint due before PRIMED fired (an alert for those whose milestone is open),
  the sweep's cursors at PRIMED, one real sweep at PRIMED (dark partners, intake);
  VACUUM ANALYZE.
So at NOW, the checkpoints due in (PRIMED, NOW] are the newly due ones: about 1 in 100.

Measured (each run in a transaction rolled back, tables vacuumed between due runs):
- the due sweep at NOW (median, p95), the rows it read (pg_stat_xact_user_tables: tuples
  fetched by index + seq scans, milestones_* and partners_* tables) and checkpoints claimed;
- the sweep at PRIMED + 10 minutes: what ten of the every-minute beats meet together (the
  checkpoints due in ten minutes of the day, about 70; one minute holds 0 to 15);
- the no-work sweep at PRIMED (nothing due, no new events);
- the statements of one due sweep, slowest first, with their share of its SQL time;
- the per-partner loop (read the partner, its milestones, open checkpoints and events;
  decide what is due; fire the checkpoints and insert the alerts) on every LOOP_EVERY-th
  partner, extrapolated to all of them.
The same file runs against the model before ad15e1f (shared milestones linked to tracks):
only `progress` / `condition` / `threshold` are read with getattr.
"""

import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django_scopes import scopes_disabled

from apps.milestones import verbs as milestone_verbs
from apps.milestones.models import Alert, AlertCheckpoint, PartnerMilestone, PartnerTrack, Track
from apps.milestones.services import milestone_sweep_all_tenants, statements
from apps.partners.models import PartnerAccount, PartnerEvent
from apps.partners.selectors import partner_event_rows_all_tenants
from bench import dataset, lib

TITLE = "Milestone sweep"
DAYS = 100  # enrollments spread over this many days before NOW: ~1% of checkpoints per day
RUNS = 7
LOOP_SAMPLE = 2000
TARGET_MS = 100.0
TARGET_RATIO = 50.0
BEAT_WINDOW_MIN = 10  # the beat runs every minute; one minute of this dataset holds 0-15 due
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

TRACKS_SQL = """
WITH a AS (
    SELECT pa.id, pa.tenant_id, pa.partner_type_id,
           row_number() OVER (ORDER BY pa.id) - 1 AS k
    FROM partners_partneraccount pa
    WHERE pa.tenant_id = %(tenant)s
    ORDER BY pa.id LIMIT %(n)s
)
INSERT INTO milestones_partnertrack
       (tenant_id, account_id, track_id, enrolled_at, activation_due_at, created_at)
SELECT a.tenant_id, a.id, t.id, e.at, e.at + make_interval(days => t.activation_window_days),
       e.at
FROM a
JOIN milestones_track t ON t.tenant_id = a.tenant_id AND t.partner_type_id = a.partner_type_id
CROSS JOIN LATERAL (
    SELECT %(start)s::timestamptz
           + interval '1 second' * floor(mod(a.k * 7919, %(n)s) * %(span)s / %(n)s) AS at
) e
RETURNING id
"""

# One completing event for 60% of the milestones due before PRIMED, at a random moment of
# their window; a deal gets its own reference (registered, nothing since: stalled).
EVENTS_SQL = """
INSERT INTO partners_partnerevent
       (tenant_id, account_id, type, occurred_at, source, reference, data, idempotency_key,
        created_at)
SELECT pm.tenant_id, pm.account_id, x.type, x.at, 'bench', x.reference, '{}'::jsonb, '', x.at
FROM milestones_partnermilestone pm
JOIN milestones_milestone m ON m.id = pm.milestone_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN m.completion = 'check_off' THEN %(check_off)s ELSE m.event_types[1] END
               AS type,
           CASE WHEN m.completion = 'check_off' THEN 'milestone:' || m.key
                WHEN m.event_reference <> '' THEN m.event_reference
                WHEN m.key = 'first-deal' THEN 'deal:' || pm.id
                ELSE '' END AS reference,
           pm.starts_at + (pm.due_at - pm.starts_at) * random() AS at
) x
WHERE pm.tenant_id = %(tenant)s AND pm.due_at <= %(primed)s AND random() < 0.6
  AND x.type IS NOT NULL
"""

FIRE_SQL = """
WITH fired AS (
    UPDATE milestones_alertcheckpoint c
       SET fired_at = c.due_at,
           outcome = CASE WHEN pm.completed_at IS NULL THEN 'raised' ELSE 'suppressed' END
      FROM milestones_partnermilestone pm
     WHERE pm.id = c.partner_milestone_id AND c.tenant_id = %(tenant)s
       AND c.due_at <= %(primed)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
    RETURNING c.id, c.tenant_id, c.account_id, c.partner_milestone_id, c.rule_id, c.due_at,
              c.outcome
)
INSERT INTO milestones_alert
       (tenant_id, account_id, partner_milestone_id, rule_id, checkpoint_id, due_at,
        raised_at, status)
SELECT tenant_id, account_id, partner_milestone_id, rule_id, id, due_at, due_at, 'open'
FROM fired WHERE outcome = 'raised'
ON CONFLICT DO NOTHING
"""

TABLES = [
    "milestones_partnertrack",
    "milestones_partnermilestone",
    "milestones_alertcheckpoint",
    "milestones_alert",
    "milestones_sweepcursor",
    "partners_partnerevent",
]


def _count(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _build(tenant) -> tuple[datetime, dict]:
    """The partner tracks, milestones, checkpoints, events and past alerts (see above)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    primed = now - timedelta(days=1)
    n = dataset.PARTNERS
    info = {}
    t0 = time.perf_counter()
    with transaction.atomic(), scopes_disabled():
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.1234)")
            cursor.execute(
                TRACKS_SQL,
                {
                    "tenant": tenant.pk,
                    "n": n,
                    "start": now - timedelta(days=DAYS),
                    "span": DAYS * 86400,
                },
            )
            ids = [row[0] for row in cursor.fetchall()]
        info["tracks"] = len(ids)
        lib.log(f"{TITLE}: {len(ids):,} tracks in {time.perf_counter() - t0:.1f} s")
        statements.materialise(partner_track_ids=ids, now=primed)
        lib.log(f"{TITLE}: materialised at {time.perf_counter() - t0:.1f} s")
        _analyze()
        params = {
            "tenant": tenant.pk,
            "primed": primed,
            "check_off": milestone_verbs.CHECKED_OFF_EVENT,
        }
        with connection.cursor() as cursor:
            cursor.execute(EVENTS_SQL, params)
            info["events"] = cursor.rowcount
        _analyze()
        lib.log(f"{TITLE}: {info['events']:,} events at {time.perf_counter() - t0:.1f} s")
        statements.apply_events(events=partner_event_rows_all_tenants(since=EPOCH), now=primed)
        lib.log(f"{TITLE}: events applied at {time.perf_counter() - t0:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute(FIRE_SQL, params)
            info["past_alerts"] = cursor.rowcount
            for name in ("content_opens", "events"):
                cursor.execute(
                    "INSERT INTO milestones_sweepcursor (name, position_at, position_id) "
                    "VALUES (%s, %s, 0) ON CONFLICT (name) DO UPDATE SET position_at = %s",
                    [name, primed, primed],
                )
    info["insert_s"] = time.perf_counter() - t0
    lib.log(f"{TITLE}: {info['past_alerts']:,} past alerts, committed at {info['insert_s']:.1f} s")
    _analyze()
    milestone_sweep_all_tenants(now=primed)  # dark partners, other suites' enrollments
    lib.log(f"{TITLE}: primed at {time.perf_counter() - t0:.1f} s")
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    info["vacuum_s"] = time.perf_counter() - t1
    return now, info


def _analyze() -> None:
    """Fresh statistics for the planner (a statement on unanalysed tables plans blind)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def _vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM milestones_alertcheckpoint, milestones_alert, milestones_partnermilestone, "
            "milestones_partnertrack, milestones_sweepcursor"
        )


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def _rolled_back():
    with contextlib.suppress(_Rollback), transaction.atomic():
        yield
        raise _Rollback


def _tuples_read() -> int:
    return _count(
        "SELECT COALESCE(sum(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) "
        "FROM pg_stat_xact_user_tables "
        "WHERE relname LIKE 'milestones\\_%%' OR relname LIKE 'partners\\_%%'"
    )


def _sweep_runs(now: datetime, *, vacuum: bool) -> tuple[list[float], int, object]:
    """RUNS timed sweeps at `now` after one warm-up, each rolled back: (ms per run, rows
    read, last result)."""
    times, read, result = [], 0, None
    with _rolled_back():  # warm-up: caches, plans
        milestone_sweep_all_tenants(now=now)
    if vacuum:
        _vacuum()
    for _ in range(RUNS):
        with _rolled_back():
            before = _tuples_read()
            t0 = time.perf_counter()
            result = milestone_sweep_all_tenants(now=now)
            times.append((time.perf_counter() - t0) * 1000)
            read = _tuples_read() - before
        if vacuum:
            _vacuum()
    return times, read, result


class _Recorder:
    def __init__(self):
        self.queries: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - t0) * 1000, sql))


def _statements(now: datetime) -> str:
    recorder = _Recorder()
    with _rolled_back(), connection.execute_wrapper(recorder):
        milestone_sweep_all_tenants(now=now)
    _vacuum()
    rows = []
    total = sum(q[0] for q in recorder.queries)
    for ms, sql in sorted(recorder.queries, key=lambda q: q[0], reverse=True)[:10]:
        words = " ".join(sql.split())
        rows.append([f"{ms:.1f}", f"{ms / max(total, 1e-9):.0%}", words[:90]])
    return (
        f"Statements of one due sweep ({len(recorder.queries)} in all, {total:.1f} ms of SQL), "
        "slowest 10 first\n" + lib.table(["ms", "share", "statement"], rows, align="rrl")
    )


def _stalled(events: list[dict], registered: list[str], later: list[str], now) -> bool:
    for reg in events:
        if (
            reg["type"] in registered
            and reg["occurred_at"] <= now
            and not any(
                e["type"] in later
                and e["reference"] == reg["reference"]
                and e["occurred_at"] >= reg["occurred_at"]
                for e in events
            )
        ):
            return True
    return False


def _loop_one(tenant, account_id: int, now: datetime) -> int:
    """The straightforward way, for one partner; returns the rows it read."""
    account = PartnerAccount.objects.get(tenant=tenant, pk=account_id)
    milestones = {
        pm.pk: pm
        for pm in PartnerMilestone.objects.filter(tenant=tenant, account_id=account_id)
        .select_related("milestone")
        .order_by("pk")
    }
    checkpoints = list(
        AlertCheckpoint.objects.filter(
            tenant=tenant, account_id=account_id, fired_at__isnull=True, satisfied_at__isnull=True
        )
        .select_related("rule")
        .order_by("pk")
    )
    events = list(
        PartnerEvent.objects.filter(tenant=tenant, account_id=account_id)
        .order_by("occurred_at", "pk")
        .values("type", "reference", "occurred_at")
    )
    fired, alerts = [], []
    for cp in checkpoints:
        if cp.due_at > now:
            continue
        pm, rule = milestones[cp.partner_milestone_id], cp.rule
        condition = getattr(rule, "condition", "missing")
        if account.status == "suspended":
            raise_it = False
        elif condition == "stalled":
            raise_it = _stalled(events, pm.milestone.event_types, rule.event_types, now)
        elif condition == "below":
            progress = getattr(pm, "progress", None) or 0
            raise_it = pm.completed_at is None and progress < (rule.threshold or 100)
        else:
            raise_it = pm.completed_at is None
        cp.fired_at = now
        cp.outcome = "raised" if raise_it else "suppressed"
        fired.append(cp)
        if raise_it:
            alerts.append(
                Alert(
                    tenant=tenant,
                    account_id=account_id,
                    partner_milestone_id=pm.pk,
                    rule_id=rule.pk,
                    checkpoint=cp,
                    due_at=cp.due_at,
                    raised_at=now,
                    status="open",
                )
            )
    if fired:
        AlertCheckpoint.objects.bulk_update(fired, ["fired_at", "outcome"])
        Alert.objects.bulk_create(alerts, ignore_conflicts=True)
    return 1 + len(milestones) * 2 + len(checkpoints) * 2 + len(events)


def _loop(tenant, now: datetime, accounts: list[int]) -> tuple[float, int]:
    """(seconds, rows read) of the per-partner loop over `accounts`."""
    with _rolled_back(), scopes_disabled():
        t0 = time.perf_counter()
        read = sum(_loop_one(tenant, a, now) for a in accounts)
        seconds = time.perf_counter() - t0
    _vacuum()
    return seconds, read


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def measure(ctx) -> None:
    import os

    tenant = ctx.tenant
    lib.log(f"{TITLE}: building the partner tracks ({dataset.PARTNERS:,} partners)")
    now, info = _build(tenant)
    primed = now - timedelta(days=1)
    with scopes_disabled():
        partners = PartnerTrack.objects.filter(tenant=tenant).count()
        tracks = Track.objects.filter(tenant=tenant).count()
        pms = PartnerMilestone.objects.filter(tenant=tenant).count()
        cps = AlertCheckpoint.objects.filter(tenant=tenant).count()
        due = AlertCheckpoint.objects.filter(
            tenant=tenant,
            fired_at__isnull=True,
            satisfied_at__isnull=True,
            due_at__gt=primed,
            due_at__lte=now,
        ).count()
        accounts = list(
            PartnerTrack.objects.filter(tenant=tenant)
            .order_by("account_id")
            .values_list("account_id", flat=True)
        )
    every = max(1, len(accounts) // LOOP_SAMPLE)
    sample = accounts[::every][:LOOP_SAMPLE]
    lib.log(f"{TITLE}: {cps:,} checkpoints, {due:,} newly due; {RUNS} due sweeps")
    load_before = os.getloadavg()[0]
    _vacuum()
    due_ms, due_read, result = _sweep_runs(now, vacuum=True)
    lib.log(f"{TITLE}: {RUNS} no-work sweeps")
    idle_ms, idle_read, idle_result = _sweep_runs(primed, vacuum=False)
    lib.log(f"{TITLE}: {RUNS} ten-minute sweeps")
    minute_ms, minute_read, minute_result = _sweep_runs(
        primed + timedelta(minutes=BEAT_WINDOW_MIN), vacuum=True
    )
    plan = _statements(now)
    lib.log(f"{TITLE}: per-partner loop over {len(sample):,} partners")
    loop_s, loop_read = _loop(tenant, now, sample)
    load_after = os.getloadavg()[0]

    loop_ms = loop_s * 1000 * len(accounts) / len(sample)
    median = statistics.median(due_ms)
    ratio = loop_ms / median if median else float("nan")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rows = [
        [
            f"due sweep at NOW ({due:,} checkpoints newly due)",
            f"{median:.1f}",
            f"{_pct(due_ms, 95):.1f}",
            f"{due_read:,}",
            f"{result.checkpoints_claimed:,}",
            f"{len(result.alerts_raised):,}",
            f"<= {TARGET_MS:g} ms: {verdict(median <= TARGET_MS)}",
        ],
        [
            f"sweep at NOW - 1 day + {BEAT_WINDOW_MIN} min ({BEAT_WINDOW_MIN} beats' worth due)",
            f"{statistics.median(minute_ms):.1f}",
            f"{_pct(minute_ms, 95):.1f}",
            f"{minute_read:,}",
            f"{minute_result.checkpoints_claimed:,}",
            f"{len(minute_result.alerts_raised):,}",
            "",
        ],
        [
            "no-work sweep at NOW - 1 day (nothing due)",
            f"{statistics.median(idle_ms):.1f}",
            f"{_pct(idle_ms, 95):.1f}",
            f"{idle_read:,}",
            f"{idle_result.checkpoints_claimed:,}",
            f"{len(idle_result.alerts_raised):,}",
            "",
        ],
        [
            f"per-partner Python loop, {len(sample):,} partners x {len(accounts) / len(sample):g}",
            f"{loop_ms:,.0f}",
            "",
            f"{loop_read * len(accounts) // len(sample):,}",
            "",
            "",
            f"ratio {ratio:,.0f}x, >= {TARGET_RATIO:g}x: {verdict(ratio >= TARGET_RATIO)}",
        ],
    ]
    text = lib.table(
        [
            "milestone_sweep_all_tenants",
            "p50 ms",
            "p95 ms",
            "rows read",
            "claimed",
            "alerts",
            "goal",
        ],
        rows,
        align="lrrrrrl",
    )
    text += (
        f"\n{partners:,} partners on {tracks} tracks: {pms:,} partner milestones, {cps:,} "
        f"checkpoints ({due / max(1, cps):.2%} newly due), {info['events']:,} events, "
        f"{info['past_alerts']:,} past alerts (built in {info['insert_s']:.1f} s + VACUUM "
        f"ANALYZE {info['vacuum_s']:.1f} s). NOW = {now:%Y-%m-%d %H:%M} UTC.\n"
        f"Set-based vs per-partner loop: {ratio:,.0f}x (target >= {TARGET_RATIO:g}x); due sweep "
        f"target <= {TARGET_MS:g} ms. {RUNS} runs each, every run in a transaction rolled back "
        "(no commit), after one warm-up run, due runs vacuumed in between; rows read = tuples "
        "fetched by index and sequential scans on milestones_* and partners_* tables "
        "(pg_stat_xact_user_tables), "
        "loop rows = rows it fetched (account, milestones, rules, checkpoints, events), "
        f"extrapolated. 1-minute load average {load_before:.2f} before, {load_after:.2f} after."
        f"\n\n{plan}"
    )
    ctx.section(f"{TITLE}: 1% newly due, set-based vs per partner", text)
    ctx.goal(
        f"milestone sweep, {partners:,} partners, 1% newly due (median)",
        f"{median:.0f} ms",
        f"<= {TARGET_MS:g} ms",
        median <= TARGET_MS,
        why="marking each claimed checkpoint fired rewrites every index of its row, and the "
        "alerts it raises update 11 indexes (statements listed below)",
    )
    ctx.goal(
        "milestone sweep, set-based ÷ per-partner loop",
        f"{ratio:,.0f}x",
        f">= {TARGET_RATIO:g}x",
        ratio >= TARGET_RATIO,
    )
    if median > TARGET_MS:
        ctx.note(f"{TITLE}: due sweep median {median:.0f} ms (target <= {TARGET_MS:g} ms)")
    if ratio < TARGET_RATIO:
        ctx.note(f"{TITLE}: set-based only {ratio:.0f}x the per-partner loop")
