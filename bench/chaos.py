"""The kill matrix (`make chaos`, issue 14 point 12). scripts/chaos.sh provisions PostgreSQL,
Redis, gunicorn and a supervised Celery beat, then calls:

    python bench/chaos.py seed --state FILE
    python bench/chaos.py run  --state FILE --root DIR --port N --pg-port N --redis-port N

`seed`: the demo programs (apps.home.demo), plus in acme a two-stage pipeline "Chaos
auto-advance" (Company details, then Sales contact; one Provide information action each) with
CHAOS_PARTNERS partner accounts enrolled, each with a partner admin who signs in.

`run` starts the SMTP sink (bench/chaos_smtp.py) and a Celery worker (prefork, 2 children)
itself, so it can kill and restart them, and for CHAOS_DURATION seconds drives the workload
through the real HTTP endpoints, from 127.x.y.z source addresses, logging every response:
- each partner admin signs in, completes Company details (its stage is then done: the outbox
  moves the partner), waits until Sales contact is open and completes it (onboarding done);
- applicants POST /apply/, and confirm from the link the sink received;
- the program admin invites staff members on /console/settings/team/;
- the milestone checkpoints of the chaos partners are re-dated to fall due during the run
  (beat's minute sweep raises the alerts); stage moves notify people by email.
Meanwhile each fault is injected CHAOS_ROUNDS times at random moments: SIGKILL a worker pool
child, SIGKILL the whole worker (restarted a second later, as a supervisor would), restart
Redis, restart PostgreSQL (fast stop/start), and SMTP is stopped once for CHAOS_SMTP_OUTAGE
seconds. Then it waits (at most CHAOS_SETTLE seconds) until the outbox is empty, every due
checkpoint fired and no partner waits at a finished stage, and checks (bench/chaos_logic.py):
no lost or duplicated transition, alert or email, no 5xx answered for a saved change. It
prints the table and exits 1 on any finding.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
HOST = "acme.localhost"
PASSWORD = "chaos-partner-password-4711"
PIPELINE = "Chaos auto-advance"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@acme.test", "onramp-demo"  # apps/home/demo.py
CONFIRM_LINK = re.compile(r"/apply/confirm/[^/\s\"'<>]+/")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def log(message: str) -> None:
    print(f"[chaos] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def quick() -> bool:
    return os.environ.get("CHAOS_QUICK", "") not in ("", "0", "false")


def knobs() -> dict[str, int]:
    q = quick()
    return {
        "rounds": env_int("CHAOS_ROUNDS", 10 if q else 100),
        "duration": env_int("CHAOS_DURATION", 150 if q else 1200),
        "outage": env_int("CHAOS_SMTP_OUTAGE", 30 if q else 600),
        "settle": env_int("CHAOS_SETTLE", 900),
        "partners": env_int("CHAOS_PARTNERS", 30 if q else 150),
        "applications": env_int("CHAOS_APPLICATIONS", 20 if q else 120),
        "invitations": env_int("CHAOS_INVITATIONS", 8 if q else 40),
        "seed": env_int("CHAOS_SEED", int(time.time())),
    }


# ---------------------------------------------------------------------------
# Seed
# ---------------------------------------------------------------------------


def seed(state_path: Path) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django_scopes import scope, scopes_disabled

    from apps.home.demo import demo_seed
    from apps.milestones.models import PartnerTrack
    from apps.milestones.services import milestone_sweep_all_tenants
    from apps.onboarding.demo import ActionSpec, StageSpec, pipeline_build
    from apps.onboarding.models import ActionProgress, ActionType
    from apps.onboarding.services.enrollment import partner_enroll
    from apps.partners.models import PartnerType
    from apps.partners.services import partner_user_add
    from apps.partners.services.accounts import partner_account_create
    from apps.tenancy.models import Role, Tenant

    count = knobs()["partners"]
    demo_seed()
    with scopes_disabled():
        tenant = Tenant.objects.get(slug="acme")
    user_model = get_user_model()
    info = ActionType.PROVIDE_INFORMATION
    partners = []
    with scope(tenant=tenant):
        cam = user_model.objects.get(email="cam@acme.test")
        ptype = PartnerType.objects.filter(tenant=tenant).order_by("position", "pk").first()
        assert ptype is not None, "the demo program has partner types"
        built = pipeline_build(
            tenant=tenant,
            actor=None,
            name=PIPELINE,
            stages=[
                StageSpec(
                    "Paperwork",
                    [
                        ActionSpec(
                            "Company details",
                            info,
                            fields={"form_fields": [{"label": "Legal name", "kind": "text"}]},
                        )
                    ],
                ),
                StageSpec(
                    "Enablement",
                    [
                        ActionSpec(
                            "Sales contact",
                            info,
                            fields={
                                "form_fields": [{"label": "Sales contact email", "kind": "email"}]
                            },
                        )
                    ],
                ),
            ],
        )
        actions = [built.actions["Company details"], built.actions["Sales contact"]]
        values = ["Chaos Partner {i} Ltd", "sales{i}@chaos-partner-{i}.test"]
        user_ids = []
        for i in range(count):
            with transaction.atomic():
                account = partner_account_create(
                    tenant=tenant,
                    actor=None,
                    name=f"Chaos Partner {i}",
                    partner_type=ptype,
                    domains=[f"chaos-partner-{i}.test"],
                    cam=cam,
                )
                enrollment = partner_enroll(
                    tenant=tenant, actor=None, account=account, pipeline=built.pipeline
                )
                assert enrollment is not None
                email = f"admin@chaos-partner-{i}.test"
                link = partner_user_add(
                    tenant=tenant,
                    actor=None,
                    account=account,
                    email=email,
                    role=Role.PARTNER_ADMIN,
                    first_name="Pat",
                    last_name=f"Chaos {i}",
                    password=None,
                )
                user_ids.append(link.membership.user.pk)
            steps = []
            for action, value in zip(actions, values, strict=True):
                progress = ActionProgress.objects.get(
                    tenant=tenant, enrollment=enrollment, action=action
                )
                key = action.form_fields[0]["key"]
                steps.append({"progress_id": progress.pk, "key": key, "value": value.format(i=i)})
            partners.append(
                {
                    "email": email,
                    "account_id": account.pk,
                    "enrollment_id": enrollment.pk,
                    "actions": steps,
                }
            )
        # One hash for all: PBKDF2 per user would spend minutes of the seed.
        user_model.objects.filter(pk__in=user_ids).update(password=make_password(PASSWORD))
    # Start their milestone tracks now (beat would within a minute): run() re-dates the
    # checkpoints to fall due during the run.
    milestone_sweep_all_tenants()
    with scopes_disabled():
        tracks = PartnerTrack.objects.filter(account_id__in=[p["account_id"] for p in partners])
        log(f"{tracks.count()} of the chaos partners are on a milestone track")
    state = {"tenant_id": tenant.pk, "pipeline_id": built.pipeline.pk, "partners": partners}
    state_path.write_text(json.dumps(state))
    log(f"seeded {count} partners in {PIPELINE!r}")


# ---------------------------------------------------------------------------
# HTTP client: a cookie jar, one connection per request, every response logged
# ---------------------------------------------------------------------------

_ips = itertools.count(1 << 16)
_ips_lock = threading.Lock()


def next_ip() -> str:
    while True:
        with _ips_lock:
            k = next(_ips)
        if k & 255 not in (0, 255):
            return f"127.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"


class ResponseLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.rows.append(row)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")


class Client:
    def __init__(self, port: int, responses: ResponseLog, who: str) -> None:
        self.port, self.responses, self.who = port, responses, who
        self.ip = next_ip()
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, effect: str = ""
    ) -> tuple[int, str, str]:
        """(status, body, Location); status 0 when the connection failed."""
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "onramp-chaos"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        row: dict[str, Any] = {
            "at": time.time(),
            "who": self.who,
            "method": method,
            "path": path,
            "effect": effect,
        }
        conn = http.client.HTTPConnection(
            LOOPBACK, self.port, timeout=60, source_address=(self.ip, 0)
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            row["status"], row["done"] = response.status, time.time()
            if response.status >= 500:
                row["request_id"] = response.getheader("X-Request-ID") or ""
            self.responses.add(row)
            return response.status, data, response.getheader("Location") or ""
        except (OSError, http.client.HTTPException) as exc:
            row["status"], row["error"], row["done"] = 0, type(exc).__name__, time.time()
            self.responses.add(row)
            return 0, "", ""
        finally:
            conn.close()

    def form_token(self, path: str) -> tuple[int, str, str]:
        status, body, _ = self.request("GET", path)
        match = CSRF_INPUT.search(body)
        return status, body, match.group(1) if match else ""

    def sign_in(self, email: str, password: str, deadline: float) -> bool:
        while time.time() < deadline:
            status, _body, token = self.form_token("/accounts/login/")
            if token:
                status, _body, _loc = self.request(
                    "POST",
                    "/accounts/login/",
                    {"csrfmiddlewaretoken": token, "login": email, "password": password},
                    effect="",
                )
                if status == 302 and "sessionid" in self.cookies:
                    return True
            time.sleep(2)
        return False


# ---------------------------------------------------------------------------
# The workload
# ---------------------------------------------------------------------------


def program_questions(page: str) -> dict[str, str]:
    """Answers to the program's own questions on /apply/ (fields named q_*): the first
    choice of a select, a word for a text input or area."""
    answers = {}
    for name, options in re.findall(r'<select name="(q_\w+)"(.*?)</select>', page, re.DOTALL):
        choice = re.search(r'<option value="([^"]+)"', options)
        if choice:
            answers[name] = choice.group(1)
    for name in re.findall(r'<(?:input|textarea)[^>]*name="(q_\w+)"', page):
        answers.setdefault(name, "Chaos")
    return answers


class Workload:
    def __init__(
        self,
        *,
        port: int,
        state: dict,
        responses: ResponseLog,
        sink: Path,
        t0: float,
        duration: float,
        deadline: float,
        k: dict[str, int],
    ) -> None:
        self.port, self.state, self.responses, self.sink = port, state, responses, sink
        self.t0, self.duration, self.deadline, self.k = t0, duration, deadline, k
        self.rng = random.Random(k["seed"])
        self.applicants: dict[str, str] = {}  # email -> "submitted" | "confirmed"
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.stop = threading.Event()
        self.completed_partners = 0

    def start(self) -> None:
        partners = self.state["partners"]
        for p in partners:
            offset = self.rng.uniform(0, 0.8 * self.duration)
            self._spawn(self._partner, p, offset)
        self._spawn(self._applicants)
        self._spawn(self._inviter)
        self.confirmer = threading.Thread(target=self._confirmer, daemon=True)
        self.confirmer.start()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def alive(self) -> int:
        """Clients still at work: partners, applicants and the inviter, and every submitted
        application not confirmed yet (its email may still be on its way)."""
        with self.lock:
            unconfirmed = sum(1 for v in self.applicants.values() if v == "submitted")
        return sum(t.is_alive() for t in self.threads) + unconfirmed

    def _sleep_until(self, when: float) -> None:
        while time.time() < when and not self.stop.is_set():
            time.sleep(min(1.0, max(0.0, when - time.time())))

    def _partner(self, p: dict, offset: float) -> None:
        self._sleep_until(self.t0 + offset)
        client = Client(self.port, self.responses, p["email"])
        if not client.sign_in(p["email"], PASSWORD, self.deadline):
            log(f"{p['email']} could not sign in before the deadline")
            return
        for step in p["actions"]:
            path = f"/portal/onboarding/actions/{step['progress_id']}/"
            done = False
            while not done and time.time() < self.deadline and not self.stop.is_set():
                status, body, token = client.form_token(path)
                if status in (301, 302) and "/accounts/login/" in body + str(client.cookies):
                    client.sign_in(p["email"], PASSWORD, self.deadline)
                    continue
                if status != 200 or not token or f'name="{step["key"]}"' not in body:
                    time.sleep(5)  # not open yet (the move to its stage is on its way)
                    continue
                status, _body, location = client.request(
                    "POST",
                    path,
                    {"csrfmiddlewaretoken": token, step["key"]: step["value"]},
                    effect=f"action:{step['progress_id']}",
                )
                if status == 302 and location != path:
                    done = True
                elif status == 302:
                    # "can't be completed now": already done by a request answered 5xx.
                    page_status, page, _ = client.request("GET", path)
                    done = page_status == 200 and f'name="{step["key"]}"' not in page
                else:
                    time.sleep(2)
            if not done:
                return
        with self.lock:
            self.completed_partners += 1

    def _applicants(self) -> None:
        count = self.k["applications"]
        for n in range(count):
            self._sleep_until(self.t0 + (n + 0.5) * 0.85 * self.duration / count)
            if self.stop.is_set():
                return
            client = Client(self.port, self.responses, f"applicant-{n}")
            email = f"applicant{n}@chaos-applicant-{self.k['seed']}-{n}.example"
            for _attempt in range(5):
                status, body, token = client.form_token("/apply/")
                types = re.findall(
                    r'<option value="(\d+)"', body.split('name="partner_type"', 1)[-1]
                )
                if not token or not types:
                    time.sleep(2)
                    continue
                extra = program_questions(body)
                status, _body, location = client.request(
                    "POST",
                    "/apply/",
                    {
                        "csrfmiddlewaretoken": token,
                        "company": f"Chaos Applicant {n}",
                        "website": f"https://www.chaos-applicant-{self.k['seed']}-{n}.example",
                        "first_name": "Alex",
                        "last_name": f"Applicant{n}",
                        "email": email,
                        "phone": "+1 555 0100",
                        "country": "DE",
                        "partner_type": types[0],
                        "message": "We would like to resell your products.",
                        **extra,
                    },
                    effect=f"apply:{email}",
                )
                if status == 302:
                    with self.lock:
                        self.applicants[email] = "submitted"
                    break
                time.sleep(2)

    def _confirmer(self) -> None:
        offset = 0
        while not self.stop.is_set() and time.time() < self.deadline:
            time.sleep(3)
            if not self.sink.exists():
                continue
            with self.sink.open(encoding="utf-8") as handle:
                handle.seek(offset)
                lines = handle.readlines()
                offset = handle.tell()
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                match = CONFIRM_LINK.search(record.get("body", ""))
                rcpt = [r.lower() for r in record.get("rcpt", [])]
                with self.lock:
                    mine = [r for r in rcpt if self.applicants.get(r) == "submitted"]
                if not match or not mine:
                    continue
                client = Client(self.port, self.responses, mine[0])
                for _attempt in range(5):
                    status, _body, _loc = client.request(
                        "GET", match.group(0), effect=f"confirm:{mine[0]}"
                    )
                    if 200 <= status < 400:
                        with self.lock:
                            self.applicants[mine[0]] = "confirmed"
                        break
                    time.sleep(2)

    def _inviter(self) -> None:
        client = Client(self.port, self.responses, ADMIN_EMAIL)
        if not client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, self.t0 + self.duration):
            log("the program admin could not sign in: no staff invitations")
            return
        count = self.k["invitations"]
        for n in range(count):
            self._sleep_until(self.t0 + (n + 0.5) * 0.85 * self.duration / count)
            email = f"staff{n}@chaos-staff-{self.k['seed']}.test"
            for _attempt in range(5):
                status, _body, token = client.form_token("/console/settings/team/")
                if not token:
                    time.sleep(2)
                    continue
                status, _body, _loc = client.request(
                    "POST",
                    "/console/settings/team/",
                    {
                        "csrfmiddlewaretoken": token,
                        "email": email,
                        "first_name": "Sam",
                        "last_name": f"Staff{n}",
                        "role": "channel_manager",
                    },
                    effect=f"invite:{email}",
                )
                if status in (200, 302, 422):
                    break
                time.sleep(2)


# ---------------------------------------------------------------------------
# The stack: worker and SMTP sink owned here; PostgreSQL and Redis through services.sh
# ---------------------------------------------------------------------------


class Stack:
    def __init__(self, *, root: Path, pg_port: int, redis_port: int, smtp_port: int) -> None:
        self.root, self.pg_port, self.redis_port, self.smtp_port = (
            root,
            pg_port,
            redis_port,
            smtp_port,
        )
        self.sink = root / "smtp.jsonl"
        self.worker: subprocess.Popen[bytes] | None = None
        self.smtp: subprocess.Popen[bytes] | None = None
        # The worker's supervisor (as systemd or a compose restart policy): a worker that
        # exits by itself is started again after a second.
        self.worker_lock = threading.Lock()
        self.worker_exits: list[tuple[float, int]] = []  # (when, exit status)
        self.supervising = threading.Event()

    def supervise_worker(self) -> None:
        self.supervising.set()

        def watch() -> None:
            while self.supervising.is_set():
                time.sleep(1.0)
                with self.worker_lock:
                    if not self.supervising.is_set() or self.worker is None:
                        continue
                    status = self.worker.poll()
                    if status is None:
                        continue
                    self.worker_exits.append((time.time(), status))
                    log(f"the worker exited by itself (status {status}); starting it again")
                    time.sleep(1.0)
                    self.start_worker()

        threading.Thread(target=watch, daemon=True).start()

    def _services(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own script, fixed arguments
            ["bash", str(ROOT / "scripts/services.sh"), *args],  # noqa: S607
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start_worker(self) -> None:
        with (self.root / "celery.log").open("ab") as out:
            self.worker = subprocess.Popen(  # noqa: S603
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "config",
                    "worker",
                    "-l",
                    "WARNING",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "2",
                    "-n",
                    "chaos@%h",
                    # Both queues: the default one and the automatic stage moves' (the
                    # faults aim at one worker; make run and compose run two).
                    "-Q",
                    "celery,advance",
                ],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # scripts/chaos.sh kills this process group if this driver dies without cleaning up.
        (self.root / "worker.pgid").write_text(str(self.worker.pid))

    def worker_children(self) -> list[int]:
        if self.worker is None:
            return []
        # Every thread's children: the pool replaces a lost child from a timer thread.
        children = []
        for task in Path(f"/proc/{self.worker.pid}/task").glob("*"):
            try:
                children += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return children

    def kill_worker_child(self) -> bool:
        for _ in range(600):  # a restarted worker forks its pool once Django is loaded
            children = self.worker_children()
            if children:
                try:
                    os.kill(random.choice(children), signal.SIGKILL)
                except ProcessLookupError:
                    continue  # it has just exited: pick another
                return True
            time.sleep(0.1)
        return False

    def kill_worker(self) -> None:
        with self.worker_lock:
            self.stop_worker(signal.SIGKILL)
            time.sleep(1.0)  # the supervisor's pause
            self.start_worker()

    def stop_worker(self, signum: int = signal.SIGTERM) -> None:
        if self.worker is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signum)
        try:
            self.worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
        self.worker = None

    def restart_redis(self) -> None:
        self._services("redis-stop", str(self.root / "redis"))
        self._services("redis-start", str(self.root / "redis"), str(self.redis_port))

    def restart_postgres(self) -> None:
        self._services("pg-stop", str(self.root / "pg"))
        self._services("pg-start", str(self.root / "pg"), str(self.pg_port), "fast")

    def start_smtp(self) -> None:
        with (self.root / "smtp.log").open("ab") as out:
            self.smtp = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    str(ROOT / "bench/chaos_smtp.py"),
                    "--port",
                    str(self.smtp_port),
                    "--out",
                    str(self.sink),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        for _ in range(100):
            try:
                with http.client.socket.create_connection((LOOPBACK, self.smtp_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)

    def stop_smtp(self) -> None:
        if self.smtp is None:
            return
        self.smtp.terminate()
        try:
            self.smtp.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.smtp.kill()
            self.smtp.wait()
        self.smtp = None

    def shutdown(self) -> None:
        self.supervising.clear()
        with self.worker_lock:
            self.stop_worker()
        self.stop_smtp()


def schedule(k: dict[str, int], rng: random.Random) -> list[tuple[float, str]]:
    """(seconds after the start, fault) of the repeated faults, in order."""
    duration, rounds = k["duration"], k["rounds"]
    return sorted(
        (rng.uniform(0.03 * duration, 0.9 * duration), name)
        for name in ("worker-child", "worker", "redis", "postgres")
        for _ in range(rounds)
    )


def smtp_outage_window(k: dict[str, int], rng: random.Random) -> tuple[float, float]:
    """(start after the run's start, length) of the SMTP outage: early, so that the backoff
    of the messages it failed ends inside the run."""
    duration = k["duration"]
    return rng.uniform(0.05 * duration, 0.15 * duration), min(k["outage"], 0.6 * duration)


def inject(
    stack: Stack, k: dict[str, int], t0: float, rng: random.Random, faults: list[Any]
) -> None:
    """Inject every fault; the SMTP outage runs in a thread of its own, next to the rest."""
    from bench.chaos_logic import Fault

    outage_start, outage = smtp_outage_window(k, rng)

    def smtp_outage() -> None:
        while time.time() < t0 + outage_start:
            time.sleep(0.2)
        stack.stop_smtp()
        down = time.time()
        log(f"SMTP stopped for {outage:.0f} s")
        time.sleep(outage)
        stack.start_smtp()
        faults.append(Fault("smtp", down, time.time()))
        log("SMTP back")

    outage_thread = threading.Thread(target=smtp_outage, daemon=True)
    outage_thread.start()
    for offset, name in schedule(k, rng):
        while time.time() < t0 + offset:
            time.sleep(0.05)
        start = time.time()
        if name == "worker-child":
            if not stack.kill_worker_child():
                log("no pool child to kill (worker still starting); skipped")
                continue
        elif name == "worker":
            stack.kill_worker()
        elif name == "redis":
            stack.restart_redis()
        elif name == "postgres":
            stack.restart_postgres()
        faults.append(Fault(name, start, time.time()))
        if len(faults) % 20 == 0:
            log(f"{len(faults)} faults injected")
    outage_thread.join()


# ---------------------------------------------------------------------------
# Settle and check (Django ORM, every tenant)
# ---------------------------------------------------------------------------


def _stuck_enrollments(state: dict) -> list[tuple[int, str, float]]:
    """(enrollment id, stage, when its last action was done) of partners whose current stage
    is finished but who did not move on."""
    from django.db.models import Count, Max, Q

    from apps.onboarding.models import ActionProgress, Enrollment
    from apps.onboarding.services.stages import DONE_STATUSES

    stuck = []
    enrollments = Enrollment.objects.filter(
        pipeline_id=state["pipeline_id"], status="in_progress", current_stage__isnull=False
    ).select_related("current_stage")
    for enrollment in enrollments:
        counts = ActionProgress.objects.filter(
            enrollment=enrollment, action__stage_id=enrollment.current_stage_id
        ).aggregate(
            total=Count("id"),
            open=Count("id", filter=~Q(status__in=DONE_STATUSES)),
            last=Max("completed_at"),
        )
        if counts["total"] and not counts["open"]:
            last = counts["last"].timestamp() if counts["last"] else time.time()
            stuck.append((enrollment.pk, enrollment.current_stage.name, last))
    return stuck


def backlog(state: dict, cutoff: Any) -> dict[str, int]:
    from django.db import close_old_connections
    from django_scopes import scopes_disabled

    from apps.milestones.models import AlertCheckpoint
    from apps.outbox.models import OutboxMessage

    close_old_connections()
    with scopes_disabled():
        return {
            "outbox pending": OutboxMessage.objects.filter(status="pending").count(),
            "due checkpoints": AlertCheckpoint.objects.filter(
                due_at__lte=cutoff, fired_at__isnull=True, satisfied_at__isnull=True
            ).count(),
            "stuck partners": len(_stuck_enrollments(state)),
        }


def redate_checkpoints(state: dict, t0: float, duration: float, rng: random.Random) -> int:
    """Make the chaos partners' open checkpoints fall due during the run."""
    from datetime import UTC, datetime

    from django_scopes import scopes_disabled

    from apps.milestones.models import AlertCheckpoint

    accounts = [p["account_id"] for p in state["partners"]]
    with scopes_disabled():
        rows = list(
            AlertCheckpoint.objects.filter(
                account_id__in=accounts, fired_at__isnull=True, satisfied_at__isnull=True
            )
        )
        for row in rows:
            row.due_at = datetime.fromtimestamp(
                t0 + rng.uniform(0.05 * duration, 0.9 * duration), tz=UTC
            )
        AlertCheckpoint.objects.bulk_update(rows, ["due_at"], batch_size=500)
    return len(rows)


def check(state: dict, responses: list[dict], sink: Path) -> tuple[list[Any], list[str]]:
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections
    from django_scopes import scopes_disabled

    from apps.applications.models import Application
    from apps.audit.models import AuditEvent
    from apps.milestones.models import Alert, AlertCheckpoint
    from apps.onboarding.models import Enrollment
    from apps.outbox.mail import MAIL_KIND
    from apps.outbox.models import OutboxMessage
    from apps.partners.models import PartnerEvent
    from bench.chaos_logic import (
        Finding,
        duplicates,
        match_emails,
        server_errors_after_save,
    )

    close_old_connections()
    findings: list[Finding] = []
    notes: list[str] = []
    accounts = [p["account_id"] for p in state["partners"]]
    with scopes_disabled():
        # Transitions: nobody waits at a finished stage; each move recorded once.
        for enrollment_id, stage, at in _stuck_enrollments(state):
            findings.append(
                Finding(
                    "lost",
                    "transition",
                    f"enrollment #{enrollment_id} done with {stage!r} but not moved on",
                    at,
                )
            )
        events = PartnerEvent.objects.filter(
            account_id__in=accounts,
            type__in=["onboarding.stage_completed", "onboarding.completed"],
        ).values_list("account_id", "type", "reference", "created_at")
        findings += duplicates(
            (((a, t, r), c.timestamp()) for a, t, r, c in events),
            what="transition",
            label="partner event",
        )
        enrollment_ids = [str(p["enrollment_id"]) for p in state["partners"]]
        audits = AuditEvent.objects.filter(
            verb__in=["stage.moved", "onboarding.completed"],
            target_id__in=enrollment_ids,
            target_type__icontains="enrollment",
        ).values_list("target_id", "verb", "data", "created_at")
        findings += duplicates(
            (((t, v, (d or {}).get("to")), c.timestamp()) for t, v, d, c in audits),
            what="transition",
            label="audit",
        )
        completed = Enrollment.objects.filter(
            pipeline_id=state["pipeline_id"], status="completed"
        ).count()
        notes.append(f"partners: {len(accounts)} enrolled, {completed} finished onboarding")
        # Alerts: one per (partner milestone, rule); every due checkpoint fired.
        alerts = Alert.objects.values_list("partner_milestone_id", "rule_id", "raised_at")
        findings += duplicates(
            (((pm, r), at.timestamp()) for pm, r, at in alerts), what="alert", label="alert"
        )
        settle_cut = time.time() - 90
        for cp in AlertCheckpoint.objects.filter(
            fired_at__isnull=True, satisfied_at__isnull=True, due_at__lte=_dt(settle_cut)
        ):
            findings.append(
                Finding(
                    "lost", "alert", f"checkpoint #{cp.pk} due, never fired", cp.due_at.timestamp()
                )
            )
        raised_without = AlertCheckpoint.objects.filter(outcome="raised", alert__isnull=True)
        for cp in raised_without:
            findings.append(
                Finding(
                    "lost", "alert", f"checkpoint #{cp.pk} raised, no alert", cp.due_at.timestamp()
                )
            )
        notes.append(
            f"alerts: {Alert.objects.filter(account_id__in=accounts).count()} raised "
            "for the chaos partners"
        )
        # The outbox: every row delivered; every email received once.
        rows = list(
            OutboxMessage.objects.values(
                "id", "kind", "payload", "status", "created_at", "attempts"
            )
        )
        mail_rows = []
        for row in rows:
            created = row["created_at"].timestamp()
            if email_kind(row["kind"]):
                payload = row["payload"] if row["kind"] == MAIL_KIND else {}
                mail_rows.append(
                    {
                        "id": row["id"],
                        "to": payload.get("to") or [],
                        "subject": payload.get("subject", ""),
                        "status": row["status"],
                        "created_at": created,
                        "may_send_nothing": "digest" in row["kind"],
                    }
                )
            elif row["status"] != "delivered":
                detail = f"outbox #{row['id']} {row['kind']} {row['status']}"
                findings.append(Finding("lost", "outbox", detail, created))
        received = (
            [json.loads(line) for line in sink.read_text().splitlines() if line.strip()]
            if sink.exists()
            else []
        )
        findings += match_emails(mail_rows, received)
        retried = sum(1 for r in rows if r["attempts"] > 1)
        outside = sum(1 for r in received if not r.get("outbox_id"))
        notes.append(
            f"outbox: {len(rows)} rows ({len(mail_rows)} emails, {retried} needed more than "
            f"one attempt); the sink received {len(received)} messages, {outside} of them "
            "not sent by an outbox row"
        )
        # 5xx after a saved change: when was each change behind a 5xx written?
        saved: dict[str, float | None] = {}
        user_model = get_user_model()
        for response in responses:
            effect = response.get("effect") or ""
            status = response.get("status")
            if not effect or not isinstance(status, int) or status < 500 or effect in saved:
                continue
            saved[effect] = _saved_at(effect, user_model)
        findings += server_errors_after_save(responses, saved)
        statuses: dict[str, int] = {}
        for response in responses:
            label = str(response.get("status") or response.get("error"))
            statuses[label] = statuses.get(label, 0) + 1
        notes.append(
            "client responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
        )
        writes = [r for r in responses if r.get("effect")]
        notes.append(
            f"writes attempted: {len(writes)}; 5xx on writes: "
            f"{sum(1 for r in writes if (r.get('status') or 0) >= 500)} "
            f"({len([e for e, s in saved.items() if s])} of those changes are in the database, "
            "each saved by a later retry unless listed below)"
        )
        applied = Application.objects.filter(email__contains="@chaos-applicant-")
        notes.append(
            f"applications: {applied.count()} submitted, "
            f"{applied.filter(confirmed_at__isnull=False).count()} confirmed"
        )
    return findings, notes


def _saved_at(effect: str, user_model: Any) -> float | None:
    """When the change an effect key names was written (epoch seconds), or None."""
    from apps.applications.models import Application
    from apps.onboarding.models import ActionProgress
    from apps.tenancy.models import Membership

    kind, _, key = effect.partition(":")
    when = None
    if kind == "action":
        when = (
            ActionProgress.objects.filter(pk=int(key))
            .values_list("completed_at", flat=True)
            .first()
        )
    elif kind == "apply":
        when = (
            Application.objects.filter(email__iexact=key)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    elif kind == "confirm":
        when = (
            Application.objects.filter(email__iexact=key)
            .values_list("confirmed_at", flat=True)
            .first()
        )
    elif kind == "invite":
        when = (
            Membership.objects.filter(user__in=user_model.objects.filter(email__iexact=key))
            .values_list("created_at", flat=True)
            .first()
        )
    return when.timestamp() if when is not None else None


def email_kind(kind: str) -> bool:
    """Outbox kinds whose delivery sends one email (a digest: at most one)."""
    return kind == "mail.send" or kind.endswith("email") or "digest" in kind


def _dt(epoch: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC)


def run(args: argparse.Namespace) -> int:
    from bench.chaos_logic import Fault, failures, summary_table

    k = knobs()
    state = json.loads(args.state.read_text())
    rng = random.Random(k["seed"])
    log(f"knobs: {k} (CHAOS_QUICK={'1' if quick() else '0'})")
    stack = Stack(
        root=args.root, pg_port=args.pg_port, redis_port=args.redis_port, smtp_port=args.smtp_port
    )
    responses = ResponseLog(args.root / "responses.jsonl")
    faults: list[Fault] = []

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        stack.start_smtp()
        stack.start_worker()
        stack.supervise_worker()
        t0 = time.time() + 5
        log(
            f"{redate_checkpoints(state, t0, k['duration'], rng)} checkpoints re-dated to "
            f"fall due during the next {k['duration']} s"
        )
        deadline = t0 + k["duration"] + k["settle"]
        workload = Workload(
            port=args.port,
            state=state,
            responses=responses,
            sink=stack.sink,
            t0=t0,
            duration=k["duration"],
            deadline=deadline,
            k=k,
        )
        workload.start()
        inject(stack, k, t0, rng, faults)
        while time.time() < t0 + k["duration"]:
            time.sleep(1)
        if stack.smtp is None:
            stack.start_smtp()
        log(f"faults over ({len(faults)} injected); settling for at most {k['settle']} s")
        cutoff = _dt(t0 + k["duration"])
        last_report = 0.0
        while time.time() < deadline:
            left = backlog(state, cutoff)
            left["clients still working"] = workload.alive()
            if not any(left.values()):
                break
            if time.time() - last_report > 30:
                log("waiting: " + ", ".join(f"{n} {v}" for n, v in left.items() if v))
                last_report = time.time()
            time.sleep(5)
        else:
            log("settle deadline reached")
        workload.stop.set()
        time.sleep(5)  # a last sink write
        findings, notes = check(state, responses.rows, stack.sink)
    finally:
        stack.shutdown()
    table = summary_table(faults, findings)
    if stack.worker_exits:
        notes.append(
            f"the worker exited by itself {len(stack.worker_exits)} time(s) (status "
            + ", ".join(str(status) for _at, status in stack.worker_exits)
            + ") and was started again by the supervisor"
        )
    lines = ["", "Kill matrix (make chaos)", "", table, "", *notes]
    if len(failures(findings)) < len(findings):
        lines.append(
            "resent, same id: an email delivered again with its outbox row's own Message-ID "
            "(the worker was killed after the mail server's 250 and before the commit that "
            "records it); mail systems keep one copy per Message-ID, so it is not a failure"
        )
    if findings:
        lines += ["", f"Findings ({len(findings)}):"]
        lines += [f"  {f.kind:<15} {f.what:<10} {f.detail}" for f in findings[:200]]
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "chaos-latest.txt").write_text(report + "\n")
    return 1 if failures(findings) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["seed", "run"])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--root", type=Path)
    parser.add_argument("--port", type=int)
    parser.add_argument("--pg-port", type=int)
    parser.add_argument("--redis-port", type=int)
    parser.add_argument("--smtp-port", type=int)
    args = parser.parse_args()
    sys.path[0] = str(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if args.step == "seed":
        seed(args.state)
        return
    sys.exit(run(args))


if __name__ == "__main__":
    main()
