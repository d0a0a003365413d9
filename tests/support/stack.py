"""Start the real service (gunicorn, a Celery worker, optionally beat) against a fresh database.

Used by the end-to-end tests and, later, the reliability scenarios. Every process is
a real one, started the way the Procfile starts it.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import requests
from django.conf import settings

from tests.support.redis import RedisTarget

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FreshDatabase:
    """A new, empty database: a SQLite file, or a new database on the PostgreSQL in `base`
    (DATABASE_URL's by default)."""

    def __init__(self, workdir: Path, base: str | None = None):
        self.base = os.environ.get("DATABASE_URL", "") if base is None else base
        self.name = f"coursework_stack_{secrets.token_hex(4)}"
        if self.base.startswith("postgres"):
            self.url = self.base.rsplit("/", 1)[0] + "/" + self.name
            self._admin("CREATE DATABASE " + self.name)
        else:
            self.url = f"sqlite:///{workdir / 'stack.sqlite3'}"

    def _admin(self, sql: str) -> None:
        import psycopg

        parsed = urlparse(self.base)
        with psycopg.connect(
            host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, password=parsed.password,
            dbname="postgres", autocommit=True,
        ) as conn:
            conn.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        """The rows of a read-only query, on a connection of our own: a `manage.py shell` per
        look (a new interpreter and Django) cost a benchmark's rush a quarter of a core."""
        if self.url.startswith("sqlite"):
            with contextlib.closing(sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def drop(self) -> None:
        if self.base.startswith("postgres"):
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def copy_seeded(self, key: str) -> bool:
        """Make this database a copy of the one seeded earlier in this run under `key`, if any."""
        template = _SEEDED.get((self.base, key))
        if template is None:
            return False
        if self.base.startswith("postgres"):
            self._admin(f"DROP DATABASE {self.name}")
            self._admin(f"CREATE DATABASE {self.name} TEMPLATE {template}")
        else:
            path = self.url.removeprefix("sqlite:///")
            # A WAL or shared-memory file left beside the old file would be read against the
            # new one ("database disk image is malformed", seen once in a stack test).
            for leftover in (path + "-wal", path + "-shm"):
                Path(leftover).unlink(missing_ok=True)
            shutil.copyfile(template, path)
        return True

    def _drop_quietly(self, name: str) -> None:
        """At exit: a private server a test started may be gone already, and its databases with it."""
        try:
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception:  # psycopg's OperationalError, or the server refusing: nothing left to drop
            pass

    def keep_as_seeded(self, key: str) -> None:
        """Keep a copy of this (migrated and seeded) database for the next stacks of this run."""
        if self.base.startswith("postgres"):
            template = f"{self.name}_seeded"
            self._admin(f"CREATE DATABASE {template} TEMPLATE {self.name}")
            atexit.register(self._drop_quietly, template)
        else:
            path = self.url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:  # everything in the main file, none left in the WAL
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            kept = Path(tempfile.mkdtemp(prefix="stack-seeded-"))
            atexit.register(shutil.rmtree, kept, True)
            template = str(kept / "seeded.sqlite3")
            shutil.copyfile(path, template)
        _SEEDED[(self.base, key)] = template


# Migrating and seeding a database took most of a stack's start (a minute on a busy machine,
# for each of some twenty stacks a run starts): it is done once per run, database server and
# settings, and every later stack starts from a copy (a file copy, or PostgreSQL's CREATE
# DATABASE ... TEMPLATE), still a database of its own.
_SEEDED: dict[tuple[str, str], str] = {}


class Stack:
    def __init__(self, workdir: Path, redis: RedisTarget | str, database_url: str | None = None, **extra_env: str):
        redis = RedisTarget(redis) if isinstance(redis, str) else redis
        # Queues and cache of this stack's own: a session's shared e2e stack is up while a test
        # runs a stack of its own on the same Redis, and either's worker would take the other's tasks.
        redis = RedisTarget(redis.url, f"{redis.prefix}stack-{secrets.token_hex(4)}:")
        self.workdir = workdir
        self.db = FreshDatabase(workdir, database_url)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db.url,
            **redis.env,
            "VAR_DIR": str(workdir / "var"),
            "MEDIA_ROOT": str(workdir / "media"),
            "MNIST_DATA_DIR": str(settings.MNIST_DATA_DIR),
            "REFERENCE_MODEL_PATH": str(settings.REFERENCE_MODEL_PATH),  # trained once by `make test`
            # The sandbox's unprivileged user must be able to enter the work root.
            "GRADER_WORK_ROOT": str(Path(settings.GRADER_WORK_ROOT) / f"stack-{secrets.token_hex(4)}"),
            "SECRET_KEY": secrets.token_urlsafe(40),
            "DEBUG": "1",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            **extra_env,
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        # What the seeded copy depends on: the settings this stack was given beyond the defaults.
        self.seed_key = json.dumps(sorted(extra_env.items()))
        self.procs: dict[str, subprocess.Popen] = {}
        self.urls: dict[str, str] = {}  # each gunicorn pool's base URL, by name
        self.cpu_groups = []
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if out.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def spawn(self, name: str, argv: list[str], cpu_weight: int | None = None, **env: str) -> subprocess.Popen:
        """Start a process of the stack; `env` adds settings of its own (a separate "host").
        With `cpu_weight` (100 = an ordinary process) it and all it starts run in a control
        group of that weight (tests/support/cpu_weight.py)."""
        if cpu_weight is not None:
            from tests.support.cpu_weight import CpuGroup

            group = CpuGroup(name, cpu_weight)
            self.cpu_groups.append(group)
            argv = group.wrap(argv)
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_web(self, *gunicorn_args: str, workers: int = 2, cpu_weight: int | None = None,
                  name: str = "web") -> str:
        """Start gunicorn and wait until it answers; its base URL. `name="uploads"` starts the
        upload pool (docs/operations.md, "Uploads in a pool of their own") on a port of its own,
        where the front would send upload POSTs: the same site, the same config/gunicorn.py."""
        port = self.port if name == "web" else free_port()
        url = f"http://127.0.0.1:{port}"
        # config/gunicorn.py, as the Procfile and the compose file start it; flags override it.
        self.spawn(name, [str(BIN / "gunicorn"), "config.wsgi", "-c", str(ROOT / "config" / "gunicorn.py"),
                          "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *gunicorn_args],
                   cpu_weight=cpu_weight)
        self.urls[name] = url
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/", timeout=10).status_code == 200:
                    return url
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or a first request slowed by a loaded machine: ask again
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer:\n" + self.log(name))
            time.sleep(0.2)

    def start_worker(self, name: str = "worker", concurrency: int = 1, host=None, clock_offset: str = "",
                     cpu_weight: int | None = None, **env: str) -> subprocess.Popen:
        """A Celery worker; `env` gives it settings of its own. With `host` (a NetnsHost) it runs
        on that namespaced machine, with its clock `clock_offset` off if given."""
        argv = [str(BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                "--prefetch-multiplier=1", "-O", "fair", "-n", f"{name}@%h"]
        if host is not None:
            Path(self.env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
            argv, env = host.wrap(argv, clock_offset), {**host.env(Path(self.env["MEDIA_ROOT"])), **env}
        return self.spawn(name, argv, cpu_weight=cpu_weight, **env)

    def start_beat(self, host=None, clock_offset: str = "") -> subprocess.Popen:
        argv = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                "--schedule", "/tmp/celerybeat-schedule" if host else str(self.workdir / "celerybeat-schedule")]
        if host is None:
            return self.spawn("beat", argv)
        Path(self.env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
        return self.spawn("beat", host.wrap(argv, clock_offset), **host.env(Path(self.env["MEDIA_ROOT"])))

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything in its group, as a crashed host would."""
        proc = self.procs.get(name)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stored_results(self) -> dict[int, int]:
        """How many times each submission's result was stored, from every worker's log."""
        counts: dict[int, int] = {}
        for log in self.logs.glob("*.log"):
            for match in re.finditer(r"stored result of submission (\d+) attempt", log.read_text(errors="replace")):
                counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + 1
        return counts

    def statuses(self) -> dict[int, str]:
        """Every graded upload's status (checks aside, as Submission.objects has them)."""
        return dict(self.db.rows("SELECT id, status FROM coursework_submission WHERE purpose = 'graded'"))

    def finished_at(self, ids) -> dict[int, float]:
        """When each of `ids` got its result (Unix time, from the database): the figure to time
        grading by, as the workers' log lines may reach their file late."""
        wanted = ",".join(str(int(i)) for i in ids) or "NULL"
        found = {}
        for pk, at in self.db.rows(f"SELECT id, finished_at FROM coursework_submission WHERE id IN ({wanted}) "
                                   "AND finished_at IS NOT NULL"):
            if isinstance(at, str):  # SQLite keeps UTC as text
                at = datetime.fromisoformat(at).replace(tzinfo=timezone.utc)
            found[pk] = at.timestamp()
        return found

    def explain(self, ids) -> str:
        """What became of these rows (status, attempts, message, log tail) and every worker-log
        line about them: a failed scenario says why, not only which."""
        ids = sorted(set(ids))
        if not ids:
            return ""
        out = self.manage("shell", "-c", "from coursework.models import Submission as S; import json; "
                                         f"print(json.dumps(list(S.all_runs.filter(pk__in={ids!r}).values("
                                         "'pk', 'status', 'attempts', 'message', 'log_tail'))))")
        lines = [json.dumps(row)[:2000] for row in json.loads(out.strip().splitlines()[-1])]
        about = re.compile(r"submission (%s)\b" % "|".join(map(str, ids)))
        for log in sorted(self.logs.glob("*.log")):
            lines += [f"{log.stem}: {line}" for line in log.read_text(errors="replace").splitlines()
                      if about.search(line)]
        return "\n".join(lines)

    def submit(self, count: int, notebook_bytes: bytes, username: str = "student") -> list[int]:
        path = self.workdir / f"batch-{secrets.token_hex(3)}.ipynb"
        path.write_bytes(notebook_bytes)
        code = (f"import json; from django.contrib.auth.models import User; from coursework.models import Assignment; "
                f"from coursework.services.notebooks import submit_notebook; from django.db import transaction; "
                f"u = User.objects.get(username={username!r}); a = Assignment.objects.get(slug='mnist'); "
                f"a.daily_submission_limit = 100000; a.save(); d = open({str(path)!r}, 'rb').read(); "
                f"print(json.dumps([submit_notebook(u, a, 'nb{{}}.ipynb'.format(i), d).pk for i in range({count})]))")
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def start(self) -> "Stack":
        try:
            self.migrate_and_seed()
            self.start_web()
            self.start_worker()
        except BaseException:
            # A fixture whose set-up fails gets no teardown: stop what was started here, or
            # a gunicorn (and its database) outlives the test.
            self.stop()
            raise
        return self

    def migrate_and_seed(self) -> None:
        """The database migrated and holding the demo course, from this run's seeded copy if there is one."""
        if not self.db.copy_seeded(self.seed_key):
            self.manage("migrate", "--noinput")
            self.manage("seed_demo")
            self.db.keep_as_seeded(self.seed_key)

    def log(self, name: str) -> str:
        return self.log_text(name)[-5000:]

    def log_text(self, name: str) -> str:
        """The whole log of one process this stack started ("" before it writes one)."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for group in self.cpu_groups:
            group.remove()
        self.db.drop()


class Browser:
    """A logged-in HTTP session against the stack, as a student's browser would use it."""

    def __init__(self, stack: Stack, base_url: str | None = None):
        """`base_url`: where to send the requests, if not to the stack's web (a front before it)."""
        self.stack = stack
        self.base_url = base_url or stack.base_url
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def csrf(self, path: str) -> str:
        self.http.get(self.url(path), timeout=10).raise_for_status()
        return self.http.cookies["csrftoken"]

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/accounts/login/")
        response = self.http.post(
            self.url("/accounts/login/"),
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": self.url("/accounts/login/")},
            timeout=10,
        )
        response.raise_for_status()
        assert "Log out" in response.text, "login failed"

    def final_status(self, status_path: str, timeout_s: float = 240) -> str:
        """The submission's status fragment once its run has ended (it stops asking to be polled)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            fragment = self.http.get(self.url(status_path), timeout=10).text
            if 'data-pending="false"' in fragment:
                return fragment
            time.sleep(1)
        raise AssertionError(f"grading did not finish in {timeout_s:.0f} s; worker log:\n{self.stack.log('worker')}")

    def upload(self, slug: str, filename: str, data: bytes) -> requests.Response:
        path = f"/assignments/{slug}/"
        token = self.csrf(path)
        return self.http.post(
            self.url(path),
            data={"csrfmiddlewaretoken": token},
            files={"notebook": (filename, data, "application/x-ipynb+json")},
            headers={"Referer": self.url(path)},
            timeout=30,
        )
