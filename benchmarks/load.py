"""50 students uploading at once and 200 people browsing while the uploads are graded.

Starts the real stack as production runs it (DEBUG off; gunicorn, a Celery worker with
one slot per core, an embedded Redis, a fresh database: SQLite, or a new one on the
PostgreSQL in DATABASE_URL), signs 50 students in (sessions made directly, so password
hashing does not dominate), then 200 browsing clients arrive over --ramp-s seconds (10:
twenty a second, as a load tool's spawn rate would) and load public pages (the overview,
the reading, the leaderboard) with 0.5-1.5 s pauses, and once all are browsing each of
the 50 uploads a notebook at the same moment; the clients browse until every upload is
graded. `--ramp-s 0` starts all 250 at one moment, as this benchmark did before: then the
"uploads" phase measures the clients' own first 200 requests arriving together more than
the uploads. Prints uploads per second, page
latency and errors.

Before the rush, the same notebooks are graded with nothing else running (--quiet of them,
queued at once): the grading rate of the rush (notebooks graded per minute, from the
uploads to the last result) is printed against that quiet rate, measured in the same run
on the same stack, as rush_grading_ratio. 1 means the rush did not slow grading at all.

The web is config/gunicorn.py's (gthread workers; --web-worker-class and --web-threads
override it: `--web-worker-class sync --web-threads 1` is the web as it was before issue 21).
The pages-first rule of docs/operations.md is the default: gunicorn with --web-workers
per core, the web in a control group of CPU weight --web-weight and the grading worker
(with every sandbox it starts) in one of --grading-weight (as docker-compose's cpu_shares
and systemd's CPUWeight= do; 100 is an ordinary process group), connections to PostgreSQL
kept for DB_CONN_MAX_AGE seconds. `--web-weight 100 --grading-weight 100` and
`--web-workers-per-core 1` show what the rule buys; `--conn-max-age 0` opens a new
connection per request; `--private-postgres` runs PostgreSQL as its own host would be
run, at the web's weight (the machine's cluster is shared with other test runs). The browsing clients stand for other people's machines: this
process joins a group of the web's weight, so that other work on this machine does not
slow the clients and count against the pages. Without root or a cpu control group,
weights are skipped (said).

Uploads go to a gunicorn pool of their own (a worker per core, config/gunicorn.py), at CPU
weight --upload-weight (1000: a tenth of the pages', ten times grading's), as the front
(config/nginx) routes them in production; the page an upload redirects to is asked of the
pages' pool, as through the front. `--no-upload-pool` sends everything to the one web, as
before 2026-12-07.

The browsing clients are light (LightClient: http.client on a kept-alive connection, the
same GETs at the same pace) since 2026-12-07: requests cost about 0.9 ms of this process's
CPU a page, a fifth of a core for 200 clients, taken from the machine the service is
measured on. That is the clients' cost, not the service's: `--requests-clients` brings the
old ones back, and the CPU line prints the clients' seconds beside the web's.

--reserved-cores sets GRADING_RESERVED_CORES for the stack (default: the service's own
default); 0 shows the service without the grading floor. The browsing clients are pinned
with the web, away from the cores reserved for grading, as they would be on other machines.

    python benchmarks/load.py [--students 50] [--browsers 200] [--web-workers-per-core 2]
                              [--grading-weight 1] [--conn-max-age 60] [--quiet 20]
                              [--reserved-cores auto] [--no-upload-pool] [--upload-weight 1000]
                              [--requests-clients]

Last line: uploads_per_s=U page_p95_ms=P errors=E not_graded=N rush_grading_ratio=R
(errors counts failed requests and uploads not graded, as it always has; not_graded the latter alone)
"""
from __future__ import annotations

import argparse
import http.client as http_client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/unit/back-to-basics/", "/leaderboard/"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--ramp-s", type=float, default=10.0,
                        help="the browsing clients arrive over this many seconds, and the 50 upload after it "
                             "(0: all at the same moment, a thundering herd of 250 first requests)")
    parser.add_argument("--browsers", type=int, default=200)
    parser.add_argument("--web-workers-per-core", type=float, default=2)
    parser.add_argument("--web-threads", type=int, default=None,
                        help="threads per gunicorn worker (default: config/gunicorn.py's)")
    parser.add_argument("--web-worker-class", default=None,
                        help="gunicorn's worker class (default: config/gunicorn.py's); "
                             "`--web-worker-class sync --web-threads 1` is the web before issue 21")
    # 100:1, as in docker-compose.yml; grading at an ordinary weight, so that other work on this
    # shared machine slows it no more than it would slow any process.
    parser.add_argument("--web-weight", type=int, default=10000, help="CPU weight of the web (100: ordinary)")
    parser.add_argument("--grading-weight", type=int, default=100, help="CPU weight of grading (100: ordinary)")
    parser.add_argument("--upload-pool", action=argparse.BooleanOptionalAction, default=True,
                        help="upload POSTs to a gunicorn pool of their own (a worker per core, as compose's "
                             "'uploads'), as the front routes them; --no-upload-pool: every request to the one web")
    parser.add_argument("--upload-weight", type=int, default=1000,
                        help="CPU weight of the upload pool: below the pages', above grading's")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--private-postgres", action="store_true",
                        help="a PostgreSQL cluster of this run's own, at the web's CPU weight, as a database host "
                             "of its own would be (the machine's cluster serves other test runs too)")
    parser.add_argument("--quiet", type=int, default=20,
                        help="notebooks graded before the rush with nothing else running")
    parser.add_argument("--reserved-cores", default=None,
                        help="GRADING_RESERVED_CORES for the stack: 'auto', or cores (0: no floor for grading)")
    parser.add_argument("--requests-clients", action="store_true",
                        help="the browsing clients as they were before 2026-12-07: a requests.Session each, "
                             "about three times the client CPU per page of the default http.client ones")
    parser.add_argument("--keep", type=Path, help="a directory to keep each page's time (pages.csv) and the "
                                                   "stack's logs in, to see when the slow pages were")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import requests

    from tests.support.notebooks import notebook
    from tests.support import cpu_weight
    from tests.support.redis import redis_server
    from tests.support.stack import Stack
    from grader import cores

    from config import gunicorn as served

    weights = cpu_weight.available()
    web_workers = max(1, round(args.web_workers_per_core * os.cpu_count()))
    web_class = args.web_worker_class or served.worker_class
    web_threads = args.web_threads or served.threads
    print(f"web: gunicorn {web_workers} {web_class} workers of {web_threads} thread(s) on {os.cpu_count()} cores; "
          "CPU weights: "
          + (f"web {args.web_weight}, grading {args.grading_weight}" if weights else "not set (needs root and a cpu "
             "control group)") + f"; DB_CONN_MAX_AGE={args.conn_max_age}; "
          f"database {'private postgres' if args.private_postgres else os.environ.get('DATABASE_URL', 'sqlite').split(':')[0]}")
    clients = cpu_weight.CpuGroup("load-clients", args.web_weight) if weights else None
    if clients:
        (clients.path / "cgroup.procs").write_text(str(os.getpid()))
    postgres = None
    if args.private_postgres:  # started from this process, so in its group: the web's weight
        from tests.support.netns import PrivatePostgres

        postgres = PrivatePostgres("127.0.0.1", "127.0.0.1/32")
        postgres.start()

    data = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
    with tempfile.TemporaryDirectory() as tmp_name, redis_server(Path(tmp_name), force_embedded=True) as redis_target:
        stack = Stack(Path(tmp_name), redis_target, database_url=postgres.url if postgres else None, DEBUG="0",
                      DB_CONN_MAX_AGE=str(args.conn_max_age),
                      **({"GRADING_RESERVED_CORES": args.reserved_cores} if args.reserved_cores is not None else {}))
        try:
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo")
            sessions = signed_in_students(stack, args.students)
            stack.start_web("--worker-class", web_class, "--threads", str(web_threads),
                            workers=web_workers, cpu_weight=args.web_weight if weights else None)
            upload_base = stack.base_url
            if args.upload_pool:
                upload_base = stack.start_web("--worker-class", web_class, "--threads", str(web_threads), name="uploads",
                                              workers=os.cpu_count(), cpu_weight=args.upload_weight if weights else None)
            stack.start_worker(concurrency=os.cpu_count(), cpu_weight=args.grading_weight if weights else None)
            # The quiet run: the same notebook, queued at once, graded with nothing else running.
            quiet_count = args.quiet
            quiet_began, quiet_began_at = time.perf_counter(), time.time()
            quiet_cpu = cpu_seconds(stack)["grading"]
            quiet_ids = stack.submit(quiet_count, data) if quiet_count else []
            wait_graded(stack, quiet_ids, quiet_began, 600)
            # Timed by the results' own timestamps: the workers' log lines can reach their file
            # late (one run saw none for the last 78 s of its rush), which had made rates up.
            quiet_span = max(stack.finished_at(quiet_ids).values(), default=time.time()) - quiet_began_at
            quiet_cpu = cpu_seconds(stack)["grading"] - quiet_cpu
            quiet_graded = sum(1 for s in stack.statuses().values() if s == "graded")
            # The clients stand for other people's machines: pinned with the web (the stack's own
            # processes, started above, keep the affinity they chose themselves). The manage.py
            # commands this process starts from here on go with them.
            floor = cores.split(sorted(os.sched_getaffinity(0)), stack.env.get("GRADING_RESERVED_CORES", "auto"))
            if floor.web != sorted(os.sched_getaffinity(0)):
                os.sched_setaffinity(0, floor.web)
            print(f"cores: web and browsing clients on {floor.web}, kept for grading {floor.reserved}")
            base = stack.base_url
            done = threading.Event()
            latencies, errors, upload_times, ids, samples = [], [], [], [], []
            lock = threading.Lock()
            start_gate = threading.Barrier(args.students + args.browsers + 1)

            def uploader(session_key):
                upload = Uploader(base, session_key, upload_base)
                start_gate.wait()
                time.sleep(args.ramp_s)  # the site is being browsed when the deadline's burst comes
                submission = upload(data)
                with lock:
                    upload_times.append(time.perf_counter())
                    if submission is not None:
                        ids.append(submission)
                    else:
                        errors.append("upload")

            def browser(seed):
                rng = random.Random(seed)
                http = requests.Session() if args.requests_clients else LightClient(base)
                start_gate.wait()
                time.sleep(args.ramp_s * seed / max(args.browsers, 1))  # arrivals spread over the ramp
                while not done.is_set():
                    t0 = time.perf_counter()
                    page = rng.choice(PAGES)
                    try:
                        ok = http.get(base + page, timeout=30).status_code == 200
                    except (requests.RequestException, OSError, http_client.HTTPException):
                        ok = False
                    with lock:
                        if ok:
                            latencies.append(1000 * (time.perf_counter() - t0))
                            samples.append((t0, page, latencies[-1]))
                        else:
                            errors.append("page")
                    time.sleep(rng.uniform(0.5, 1.5))

            threads = [threading.Thread(target=uploader, args=(key,)) for key in sessions]
            threads += [threading.Thread(target=browser, args=(i,)) for i in range(args.browsers)]
            for t in threads:
                t.start()
            start_gate.wait()
            time.sleep(args.ramp_s)
            began, began_at = time.perf_counter(), time.time()
            busy_before, cpu_before = cpu_busy(), cpu_seconds(stack)
            for t in threads[: args.students]:
                t.join()
            upload_span = max(upload_times) - began
            graded_after, _ = wait_graded(stack, ids, began, 600)
            last_result = max(stack.finished_at(ids).values(), default=time.time()) - began_at
            busy_after, cpu_after = cpu_busy(), cpu_seconds(stack)
            rush_end = time.perf_counter()
            done.set()
            for t in threads[args.students:]:
                t.join()
            statuses = stack.statuses()
            if args.keep:
                keep(args.keep, stack, began, samples)
        finally:
            stack.stop()
            if postgres:
                postgres.stop()
    if clients:
        (clients.path.parent / "cgroup.procs").write_text(str(os.getpid()))  # back where it came from
        clients.remove()
    ordered = sorted(latencies)
    rush_pages = sum(1 for t, _, _ in samples if began <= t < rush_end)
    p95 = percentile(ordered, 0.95)
    # Where the slow pages were: while the uploads were being answered, or while they graded;
    # and which page.
    burst_end = began + upload_span
    during = {"ramp": [ms for t, _, ms in samples if t < began],
              "uploads": [ms for t, _, ms in samples if began <= t < burst_end],
              "grading": [ms for t, _, ms in samples if t >= burst_end]}
    during.update({page: [ms for _, p, ms in samples if p == page] for page in PAGES})
    print("page p95 by phase and page: " + ", ".join(
        f"{name} {percentile(sorted(values), 0.95):.0f} ms ({len(values)})" for name, values in during.items()))
    not_graded = [i for i in ids if statuses.get(i) != "graded"]
    print(f"{args.students} uploads at once: all answered in {upload_span:.1f} s ({len(ids)} accepted); "
          f"all graded after {graded_after:.0f} s ({len(not_graded)} not graded)")
    print(f"{args.browsers} browsing clients: {len(ordered)} pages, p50 {statistics.median(ordered):.0f} ms, "
          f"p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms; errors {len(errors)}")
    # Rates from the first upload (queued, for the quiet run) to the last result seen; a run
    # that did not finish counts what it graded over the time it had.
    rush_graded = len(ids) - len(not_graded)
    rush_rate = 60 * rush_graded / last_result if rush_graded else 0.0
    quiet_rate = 60 * quiet_graded / quiet_span if quiet_graded else float("nan")
    print(f"grading: quiet {quiet_graded} of {quiet_count} in {quiet_span:.0f} s ({quiet_rate:.1f} per min); "
          f"rush {rush_graded} of {len(ids)} in {last_result:.0f} s ({rush_rate:.1f} per min)")
    span = (sum(busy_after[1]) - sum(busy_before[1])) / os.sysconf("SC_CLK_TCK")
    print("CPU during the rush: " + ", ".join(
        f"cpu{n} {100 * (b - a) / max(t1 - t0, 1e-9):.0f}% busy" for n, (a, b, t0, t1) in
        enumerate(zip(busy_before[0], busy_after[0], busy_before[1], busy_after[1])))
        + f"; web {cpu_after['web'] - cpu_before['web']:.0f} s, upload pool {cpu_after['uploads'] - cpu_before['uploads']:.0f} s, "
          f"clients {cpu_after['clients'] - cpu_before['clients']:.0f} s of {span / max(len(busy_after[1]), 1):.0f} s per core")
    print(f"web CPU per page (all its requests over the pages served in the rush): "
          f"{1000 * (cpu_after['web'] - cpu_before['web']) / max(rush_pages, 1):.2f} ms; the clients' (uploads included) "
          f"{1000 * (cpu_after['clients'] - cpu_before['clients']) / max(rush_pages, 1):.2f} ms")
    # The ceiling on rush_grading_ratio that the CPU alone sets: grading can have at most what the
    # pages and the clients leave of the cores, against what it used when it had them all.
    rush_wall = span / max(len(busy_after[1]), 1)
    pages_cores = (cpu_after["web"] - cpu_before["web"] + cpu_after["uploads"] - cpu_before["uploads"]
                   + cpu_after["clients"] - cpu_before["clients"]) / rush_wall
    quiet_cores = quiet_cpu / quiet_span if quiet_count else float("nan")
    rush_cores = (cpu_after["grading"] - cpu_before["grading"]) / rush_wall
    print(f"cores used: grading {quiet_cores:.2f} when quiet, {rush_cores:.2f} in the rush; pages, uploads and clients "
          f"{pages_cores:.2f} of {os.cpu_count()}; so the CPU allows a ratio of at most "
          f"{min(1.0, (os.cpu_count() - pages_cores) / quiet_cores):.2f}")
    print(f"uploads_per_s={len(ids) / upload_span:.1f} page_p95_ms={p95:.0f} errors={len(errors) + len(not_graded)} "
          f"not_graded={len(not_graded)} rush_grading_ratio={rush_rate / quiet_rate:.2f}")


class LightClient:
    """A browsing client that asks what a requests.Session asks (a GET on one kept-alive
    connection, the whole body read) for a quarter of its CPU: requests built and parsed each
    call in Python at about 1.5 ms a page, which for 200 clients in this one process was a
    fifth of a core of the machine the service is measured on. The clients stand for other
    people's machines, so their own cost is not the service's; the CPU figures print both.
    A connection the server closed (gunicorn's keep-alive ends after 5 s) is opened again
    once, as a browser would."""

    class Response:
        def __init__(self, status_code: int, content: bytes):
            self.status_code, self.content = status_code, content

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.connection = host, int(port), None

    def get(self, url: str, timeout: float) -> "LightClient.Response":
        path = url[url.index("/", len("http://")):]
        for attempt in (0, 1):
            fresh = self.connection is None
            if fresh:
                self.connection = http_client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                content = response.read()
                if response.will_close:
                    self.connection.close()
                    self.connection = None
                return self.Response(response.status, content)
            except (http_client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if fresh or attempt:
                    raise
            except Exception:
                self.connection.close()
                self.connection = None
                raise
        raise AssertionError("unreachable")


def wait_graded(stack, ids: list[int], began: float, limit_s: float) -> tuple[float, float]:
    """Wait until every row of `ids` has a stored result (or none can come): (seconds from
    `began` to the end of the wait, seconds to the last result seen).

    Watched in the worker's log, not with `manage.py shell` every 2 s (a new interpreter
    and Django, in this process's group at the web's weight: it had slowed every other
    second of pages). A row that ends without a stored result (the system's error) logs
    none, so the statuses are also read every 30 s."""
    deadline = time.monotonic() + limit_s
    asked = time.monotonic()
    wanted, last = set(ids), 0.0
    seen = wanted & set(stack.stored_results())
    while time.monotonic() < deadline and not wanted <= seen:
        if time.monotonic() - asked > 30:
            asked = time.monotonic()
            if all(stack.statuses().get(i) not in ("queued", "running") for i in ids):
                break
        time.sleep(1)
        now = wanted & set(stack.stored_results())
        if now - seen:
            last = time.perf_counter() - began
        seen = now
    return time.perf_counter() - began, last or time.perf_counter() - began


def cpu_busy() -> tuple[list[float], list[float]]:
    """Per core: (busy jiffies, all jiffies) from /proc/stat, to say how busy each core was."""
    busy, total = [], []
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("cpu") and line[3].isdigit():
                fields = [int(x) for x in line.split()[1:]]
                total.append(sum(fields[:8]))
                busy.append(total[-1] - fields[3] - fields[4])  # not idle, not waiting for I/O
    return busy, total


def cpu_seconds(stack) -> dict[str, float]:
    """CPU seconds used so far by the web's processes (gunicorn's master and workers), by
    grading (the Celery worker's tree, with the runs it has finished and reaped: a process's
    waited-for children are added to its own times) and by this process (the browsing
    clients), to see what the rush costs on each side."""
    from grader.watchdog import descendants_of

    tick = os.sysconf("SC_CLK_TCK")

    def tree(root: int, reaped: bool) -> float:
        total = 0.0
        for pid in descendants_of(root):
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                total += sum(int(f) for f in fields[11:15 if reaped else 13]) / tick
            except (OSError, IndexError, ValueError):
                pass
        return total

    usage = os.times()
    return {"web": tree(stack.procs["web"].pid, False), "clients": usage.user + usage.system,
            "uploads": tree(stack.procs["uploads"].pid, True) if "uploads" in stack.procs else 0.0,
            "grading": tree(stack.procs["worker"].pid, True)}


def keep(where: Path, stack, began: float, samples: list) -> None:
    import shutil

    where.mkdir(parents=True, exist_ok=True)
    offset = time.time() - time.perf_counter()  # wall-clock times, to line up with the logs
    with open(where / "pages.csv", "w") as out:
        out.write("unix_time,seconds_in,page,ms\n")
        out.writelines(f"{t + offset:.3f},{t - began:.3f},{page},{ms:.1f}\n" for t, page, ms in samples)
    shutil.copytree(stack.logs, where / "logs", dirs_exist_ok=True)


def signed_in_students(stack, count: int) -> list[str]:
    """`count` new students' session keys, made directly in the stack's database: signing in
    through the login form would time password hashing, not the site."""
    return json.loads(stack.manage("shell", "-c", (
        "import json; from django.contrib.auth.models import User; from django.contrib.sessions.backends.db import SessionStore; "
        "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY; out = []\n"
        f"for i in range({count}):\n"
        "    u = User.objects.create_user(f'load{i}')\n"
        "    s = SessionStore(); s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'; "
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); out.append(s.session_key)\n"
        "print(json.dumps(out))")).strip().splitlines()[-1])


class Uploader:
    """One signed-in student about to upload: the assignment page already fetched (its CSRF
    token in hand), so that calling it times the upload alone. The POST goes to `upload_base`
    (the upload pool, where the front sends it: config/nginx) and the page it redirects to is
    fetched from `base` (the pages' pool), as a browser behind the front."""

    def __init__(self, base: str, session_key: str, upload_base: str | None = None):
        import requests

        self.base, self.upload_base, self.http = base, upload_base or base, requests.Session()
        self.http.cookies.set("sessionid", session_key)
        self.http.get(base + "/assignments/mnist/", timeout=30)
        self.token = self.http.cookies.get("csrftoken")

    def __call__(self, data: bytes) -> int | None:
        """Post the notebook as the page's form does: the submission's id, or None if it was not accepted."""
        import requests

        try:
            response = self.http.post(self.upload_base + "/assignments/mnist/",
                                      data={"csrfmiddlewaretoken": self.token}, files={"notebook": ("load.ipynb", data)},
                                      headers={"Referer": self.base}, timeout=60, allow_redirects=False)
            where = response.headers.get("Location", "")
            if response.status_code != 302 or "/submissions/" not in where:
                return None
            if self.http.get(self.base + where, timeout=60).status_code != 200:
                return None
        except requests.RequestException:
            return None
        return int(where.rstrip("/").rsplit("/", 1)[1])


def percentile(ordered: list[float], q: float) -> float:
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


if __name__ == "__main__":
    main()
