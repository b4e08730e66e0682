"""Shared benchmark helpers: a bounded HTTP/1.1 load generator, sign-in, EXPLAIN, tables.

Each load test runs twice on the same 2 CPUs as the server:
- the Python client, a small asyncio client (keep-alive connections, Content-Length and
  chunked bodies), for the latency percentiles and the correctness checks (every status);
- wrk (a native load generator, `apt-get install wrk`; scripts/bench.sh installs it), for the
  throughput: it spends a few per cent of a CPU where the Python client takes about as much
  as the server, so its req/s are the server's. Without wrk (or BENCH_WRK=0) the Python
  client's req/s stand in.
Both report the host's CPU split (user / system / idle, from /proc/stat) over their run and
what the load generator itself used. They only ever connect to 127.0.0.1, run for a fixed
time and give every request a timeout, so a benchmark always ends by itself.
"""

import asyncio
import http.client
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

LOOPBACK = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


@dataclass
class Target:
    """The server under test: always 127.0.0.1, with the tenant's Host header."""

    port: int
    hostname: str
    cookie: str = ""
    headers: tuple[str, ...] = ()  # more request headers ("Authorization: Bearer …")

    def request(self, path: str) -> bytes:
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {self.hostname}:{self.port}",
            "User-Agent: onramp-bench",
            "Accept: text/html,text/csv,application/json,*/*",
            "Accept-Encoding: identity",
        ]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        lines.extend(self.headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    keep_alive: bool
    t_head: float  # perf_counter() when the status line and headers had arrived


async def _read_response(reader: asyncio.StreamReader) -> Response:
    head = await reader.readuntil(b"\r\n\r\n")
    t_head = time.perf_counter()
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        keep_alive = False
    return Response(int(status), headers, body, keep_alive, t_head)


class _Connection:
    def __init__(self, target: Target, timeout: float):
        self.target = target
        self.timeout = timeout
        self.reader = self.writer = None

    async def get(self, request: bytes) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(LOOPBACK, self.target.port, limit=1 << 20),
                self.timeout,
            )
        self.writer.write(request)
        response = await asyncio.wait_for(_read_response(self.reader), self.timeout)
        if not response.keep_alive:
            self.close()
        return response

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# ---------------------------------------------------------------------------
# Host CPU split (/proc/stat)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSplit:
    """Where the host's CPU time went over a run, in per cent of all CPUs; `client` is the
    share the load generator itself used."""

    user: float
    system: float
    idle: float
    other: float  # iowait, irq, softirq, steal
    client: float = float("nan")

    def text(self) -> str:
        client = "" if math.isnan(self.client) else f" (client {self.client:.0f})"
        return f"{self.user:.0f}/{self.system:.0f}/{self.idle:.0f}{client}"


def cpu_times() -> list[int] | None:
    """The aggregate `cpu` line of /proc/stat (jiffies), or None where there is none."""
    try:
        with open("/proc/stat") as f:
            first = f.readline().split()
    except OSError:
        return None
    return [int(v) for v in first[1:]] if first and first[0] == "cpu" else None


def cpu_split(before, after, *, client_seconds: float = float("nan"), wall: float = 0.0):
    """The CPU split between two `cpu_times()` samples (None without /proc/stat)."""
    if not before or not after:
        return None
    delta = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(delta[:8]) or 1  # user nice system idle iowait irq softirq steal
    user, nice, system, idle = delta[0], delta[1], delta[2], delta[3]
    client = float("nan")
    if wall > 0 and not math.isnan(client_seconds):
        client = 100 * client_seconds / (wall * (os.cpu_count() or 1))
    return CpuSplit(
        user=100 * (user + nice) / total,
        system=100 * system / total,
        idle=100 * idle / total,
        other=100 * (total - user - nice - system - idle) / total,
        client=client,
    )


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------


@dataclass
class WrkResult:
    rps: float
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int
    cpu: CpuSplit | None = None


def wrk_available() -> str | None:
    """The wrk binary, unless BENCH_WRK=0 or it is not installed."""
    if os.environ.get("BENCH_WRK", "1") in ("0", "false", "no"):
        return None
    return shutil.which("wrk")


def _wrk_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\b", text, re.M)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(target: Target, path: str, *, concurrency: int, duration: float, timeout: float = 30.0):
    """Throughput of GET `path` from wrk (one thread, `concurrency` keep-alive connections,
    the target's Host and Cookie headers), with the host CPU split over the run. None when
    wrk is not available or failed."""
    binary = wrk_available()
    if binary is None:
        return None
    command = [
        binary,
        "--threads",
        "1",
        "--connections",
        str(max(1, concurrency)),
        "--duration",
        f"{max(1, round(duration))}s",
        "--timeout",
        f"{max(1, round(timeout))}s",
        "--latency",
        "-H",
        f"Host: {target.hostname}:{target.port}",
        "-H",
        "User-Agent: onramp-bench-wrk",
        "-H",
        "Accept-Encoding: identity",
    ]
    if target.cookie:
        command += ["-H", f"Cookie: {target.cookie}"]
    for header in target.headers:
        command += ["-H", header]
    command.append(f"http://{LOOPBACK}:{target.port}{path}")
    before, t0 = cpu_times(), time.perf_counter()
    # The command is built here from fixed arguments and the bench's own target.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        out, _ = proc.communicate(timeout=duration + timeout + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        log(f"wrk {path}: did not finish; throughput from the Python client")
        return None
    wall = time.perf_counter() - t0
    after = cpu_times()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # cumulative: take the delta below
    text = out.decode("utf-8", "replace")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    if proc.returncode != 0 or not rps or not total:
        log(f"wrk {path}: exit {proc.returncode}: {text.strip()[-300:]}")
        return None
    child = usage.ru_utime + usage.ru_stime
    client = child - _WRK_CPU[0]
    _WRK_CPU[0] = child
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    seconds = float(total.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[total.group(3)]
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        seconds=seconds,
        p50_ms=_wrk_ms(text, "50%"),
        p99_ms=_wrk_ms(text, "99%"),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sock.groups()) if sock else 0,
        cpu=cpu_split(before, after, client_seconds=client, wall=wall),
    )


_WRK_CPU = [0.0]  # the children's CPU seconds so far (RUSAGE_CHILDREN only grows)


@dataclass
class LoadResult:
    path: str
    concurrency: int
    duration: float
    latencies: list = field(default_factory=list)  # seconds, of requests completed in window
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    body_bytes: int = 0
    client_cpu: CpuSplit | None = None  # the host CPU split over the Python client's window
    wrk: WrkResult | None = None  # the throughput run, when wrk is available

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def client_rps(self) -> float:
        """Requests per second of the Python client (which shares the server's CPUs)."""
        return self.completed / self.duration

    @property
    def rps(self) -> float:
        """The throughput: wrk's when it ran, else the Python client's."""
        return self.wrk.rps if self.wrk is not None else self.client_rps

    @property
    def cpu(self) -> CpuSplit | None:
        """The host CPU split over the throughput run."""
        return self.wrk.cpu if self.wrk is not None else self.client_cpu

    @property
    def failures(self) -> int:
        bad = sum(n for status, n in self.statuses.items() if status != 200)
        return bad + sum(self.errors.values())

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds (nan when nothing completed)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


async def _load(target, path, concurrency, warmup, duration, timeout) -> LoadResult:
    request = target.request(path)
    start = time.perf_counter()
    window_start = start + warmup
    deadline = window_start + duration
    result = LoadResult(path=path, concurrency=concurrency, duration=duration)
    sample: dict = {}

    async def window() -> None:  # the CPU split over the measured window only
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        sample["before"], sample["self"] = cpu_times(), _self_cpu()
        await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        result.client_cpu = cpu_split(
            sample["before"],
            cpu_times(),
            client_seconds=_self_cpu() - sample["self"],
            wall=duration,
        )

    async def worker():
        conn = _Connection(target, timeout)
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    response = await conn.get(request)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    if time.perf_counter() >= window_start:
                        result.errors[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)
                    continue
                t1 = time.perf_counter()
                # Steady state: every request that completes inside the window counts.
                if window_start <= t1 <= deadline:
                    result.latencies.append(t1 - t0)
                    result.statuses[response.status] += 1
                    result.body_bytes += len(response.body)
        finally:
            conn.close()

    await asyncio.gather(window(), *(worker() for _ in range(concurrency)))
    return result


def load(target, path, *, concurrency, warmup, duration, timeout=30.0) -> LoadResult:
    """GET `path` from `concurrency` keep-alive connections: the Python client for warmup +
    duration seconds (latencies, statuses), then wrk for `duration` seconds on the warm
    server (throughput, `result.rps`), when it is installed."""
    result = asyncio.run(_load(target, path, concurrency, warmup, duration, timeout))
    result.wrk = wrk(target, path, concurrency=concurrency, duration=duration, timeout=timeout)
    if result.wrk is not None and (result.wrk.non_2xx_3xx or result.wrk.socket_errors):
        result.errors["wrk: non-2xx/3xx"] += result.wrk.non_2xx_3xx
        result.errors["wrk: socket errors"] += result.wrk.socket_errors
    return result


def fetch(target: Target, path: str, timeout: float = 60.0) -> tuple[Response, float, float]:
    """One GET on a fresh connection: (response, seconds to headers, seconds in total)."""

    async def once():
        conn = _Connection(target, timeout)
        try:
            t0 = time.perf_counter()
            response = await conn.get(target.request(path))
            return response, response.t_head - t0, time.perf_counter() - t0
        finally:
            conn.close()

    return asyncio.run(once())


def wait_ready(target: Target, path: str = "/healthz", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response, _, _ = fetch(target, path, timeout=5)
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise RuntimeError(f"server on 127.0.0.1:{target.port} not ready after {timeout:.0f}s: {last}")


def _cookies(response: http.client.HTTPResponse) -> dict:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in(target: Target, email: str, password: str) -> str:
    """Sign in through the real login form; returns the Cookie header for later requests."""
    host = f"{target.hostname}:{target.port}"
    conn = http.client.HTTPConnection(LOOPBACK, target.port, timeout=60)
    try:
        conn.request("GET", "/accounts/login/", headers={"Host": host})
        response = conn.getresponse()
        page = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"GET /accounts/login/ answered {response.status}")
        cookies = _cookies(response)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match or "csrftoken" not in cookies:
            raise RuntimeError("the login page has no CSRF token")
        form = urlencode(
            {"csrfmiddlewaretoken": match.group(1), "login": email, "password": password}
        )
        conn.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Host": host,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
            },
        )
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"sign-in as {email} failed (HTTP {response.status})")
    finally:
        conn.close()
    return f"sessionid={cookies['sessionid']}"


# ---------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------

_SCAN = re.compile(
    r"(Seq Scan|Parallel Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan)"
    r"(?: Backward)?(?: using (\S+))? on (\S+)"
)


@dataclass
class Explain:
    label: str
    sql: str
    plan: str
    cost: float  # the planner's total cost estimate of the top node
    planning_ms: float
    execution_ms: float
    jit_ms: float  # time spent compiling with JIT (0 when JIT did not fire)
    buffers: str
    scans: list  # ["Seq Scan on partners_partneraccount", "Index Scan using x", ...], no pkeys
    no_jit_ms: float = float("nan")  # execution time of a re-run with jit = off

    @property
    def seq_scans(self) -> list:
        return [s for s in self.scans if "Seq Scan" in s]


def _number(pattern: str, text: str, default: float = float("nan")) -> float:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else default


def _explain(sql: str, params, *, warm: bool) -> str:
    with connection.cursor() as cursor:
        if warm:
            cursor.execute(sql, params)
            cursor.fetchall()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def explain(label: str, sql: str, params=None, *, warm: bool = True) -> Explain:
    """EXPLAIN (ANALYZE, BUFFERS) one statement, after one run so the cache is warm.

    When PostgreSQL JIT-compiled the statement, it is run again with jit = off (for this
    transaction only) to show what the compilation cost.
    """
    plan = _explain(sql, params, warm=warm)
    buffers = re.search(r"Buffers: (shared [^\n]*)", plan)
    scans = []
    for kind, index, table in _SCAN.findall(plan):
        if not index.endswith("_pkey"):  # joins by primary key are not interesting here
            scans.append(f"{kind} using {index}" if index else f"{kind} on {table}")
    result = Explain(
        label=label,
        sql=sql,
        plan=plan,
        cost=_number(r"\(cost=[\d.]+\.\.([\d.]+)", plan),
        planning_ms=_number(r"Planning Time: ([\d.]+) ms", plan),
        execution_ms=_number(r"Execution Time: ([\d.]+) ms", plan),
        jit_ms=_number(r"JIT:(?:\n .*)*?\n\s+Timing:.* Total ([\d.]+) ms", plan, 0.0),
        buffers=buffers.group(1) if buffers else "",
        scans=list(dict.fromkeys(scans)),
    )
    if result.jit_ms:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
            no_jit = _explain(sql, params, warm=False)
        result.no_jit_ms = _number(r"Execution Time: ([\d.]+) ms", no_jit)
    return result


def captured_sql(run) -> list[str]:
    """The SQL statements (parameters inlined) that calling `run()` executes."""
    with CaptureQueriesContext(connection) as captured:
        run()
    return [q["sql"] for q in captured.captured_queries]


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def table(headers: list[str], rows: list[list], align: str = "") -> str:
    """A plain-text table; `align` has one 'l' or 'r' per column (default: first left)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        out = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        ]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"
