"""Faults against the real stack (gunicorn, Celery workers and beat, Redis, the sandbox), with
nothing lost, duplicated or stuck. Run with `make reliability`; each prints what it did.
Faults of separate worker hosts (a host lost, its network cut, its clock off, the database
restarting under them) are in test_hosts_apart.py."""
import hashlib
import os
import random
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.notebooks import notebook
from tests.support.redis import EmbeddedRedis
from tests.support.scenarios import FAST_RECOVERY, TRIVIAL, tally, wait_for_all
from tests.support.stack import Browser, Stack
from tests.support.summary import record

pytestmark = pytest.mark.reliability

KILLS = int(os.environ.get("RELIABILITY_KILLS", "50"))
OUTAGE_S = int(os.environ.get("RELIABILITY_OUTAGE_S", "30"))


@pytest.fixture
def redis_server_owned(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis" / "redis.sock")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, redis_server_owned):
    running = Stack(tmp_path, redis_server_owned.url, **FAST_RECOVERY)
    running.migrate_and_seed()
    yield running
    running.stop()




# The kill -9 scenario kills healthy notebooks' workers far more often than a real outage
# would (a kill every 2-4 s), so some rows are interrupted more than the poison limit
# (GRADER_MAX_ATTEMPTS, 3 by default) allows; that limit has a scenario of its own below.
MANY_ATTEMPTS = {"GRADER_MAX_ATTEMPTS": "50"}


def test_kill_minus_9_of_a_worker_in_the_middle_of_grading(stack):
    stack.start_worker(concurrency=2, **MANY_ATTEMPTS)
    stack.start_beat()
    ids = stack.submit(30, TRIVIAL)
    rng = random.Random(1)
    mid_job_kills = 0
    for kill in range(KILLS):
        time.sleep(rng.uniform(2.0, 4.0))  # the worker starts, claims and runs for a while
        log = stack.log("worker")
        running = log.count("received") > log.count("succeeded")
        stack.kill("worker")
        mid_job_kills += running
        stack.start_worker(concurrency=2, **MANY_ATTEMPTS)
        if kill % 10 == 9:
            ids += stack.submit(5, TRIVIAL)  # keep work queued for the next kills
    statuses = wait_for_all(stack, ids)
    lost, duplicated, stuck = tally(stack, ids, statuses)
    print(f"\nkill -9: {KILLS} kills ({mid_job_kills} while a task was running), {len(ids)} submissions: "
          f"lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}")
    record("worker kill -9", KILLS, len(ids), len(lost), duplicated, len(stuck), f"{mid_job_kills} kills mid-task")
    assert (lost, duplicated, stuck) == ([], 0, []), stack.explain(lost + stuck)


def test_a_notebook_that_kills_its_worker_every_time_ends_as_error_and_is_not_requeued(stack):
    """A poison job: whenever the worker starts on it, the worker dies (as a crash in a
    parser would kill it). After GRADER_MAX_ATTEMPTS runs the row is an `error` for staff,
    the sweeper stops sending it, and the other submissions are graded."""
    attempts = 3
    stack.start_worker(concurrency=1, GRADER_MAX_ATTEMPTS=str(attempts))
    stack.start_beat()
    poison = stack.submit(1, TRIVIAL)[0]
    kills = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = stack.statuses()[poison]
        if status == "error":
            break
        running_attempt = stack.manage("shell", "-c", f"from coursework.models import Submission as S; "
                                                      f"s = S.objects.get(pk={poison}); print(s.status, s.attempts)")
        state, tried = running_attempt.split()[-2:]
        if state == "running" and int(tried) > kills:
            stack.kill("worker")  # the job took its worker down
            kills += 1
            stack.start_worker(concurrency=1, GRADER_MAX_ATTEMPTS=str(attempts))
        time.sleep(0.3)
    others = stack.submit(3, TRIVIAL)
    statuses = wait_for_all(stack, others)
    time.sleep(2 * int(FAST_RECOVERY["GRADER_SWEEP_EVERY_S"]) + 1)  # the sweeper has looked again
    final = stack.statuses()
    tried_in_the_end = int(stack.manage("shell", "-c", f"from coursework.models import Submission as S; "
                                                       f"print(S.objects.get(pk={poison}).attempts)").split()[-1])
    print(f"\npoison notebook: {kills} worker kills, then {final[poison]}; other submissions "
          f"{[statuses[i] for i in others]}")
    record("poison notebook", kills, 1 + len(others), 0 if final[poison] == "error" else 1, 0,
           sum(1 for i in others if statuses[i] != "graded"), f"error after {kills} runs, not requeued")
    assert kills == attempts and final[poison] == "error"
    assert all(statuses[i] == "graded" for i in others)
    assert tried_in_the_end == attempts  # no run was started after it became an error


def test_redis_down_for_30_seconds_while_students_upload(stack, redis_server_owned):
    stack.start_web()
    stack.start_worker(concurrency=2)
    stack.start_beat()
    browser = Browser(stack)
    browser.login("student", "student-demo-pass")
    ids, refused, slowest = [], 0, 0.0

    def upload():
        nonlocal refused, slowest
        started = time.monotonic()
        response = browser.upload("mnist", "during.ipynb", TRIVIAL)
        slowest = max(slowest, time.monotonic() - started)
        match = re.search(r"/submissions/(\d+)/$", response.url)
        if match:
            ids.append(int(match.group(1)))
        else:
            refused += 1
            assert "error" in response.text, "a refused upload must say why"

    for _ in range(3):
        upload()
    redis_server_owned.stop()
    outage_started = time.monotonic()
    while time.monotonic() - outage_started < OUTAGE_S:
        upload()
        time.sleep(1)
    during = len(ids) - 3
    redis_server_owned.start()
    statuses = wait_for_all(stack, ids)
    lost, duplicated, stuck = tally(stack, ids, statuses)
    print(f"\nredis outage {OUTAGE_S} s: {during} uploads accepted during it, {refused} refused, slowest upload "
          f"{slowest:.1f} s; afterwards lost {len(lost)}, duplicated {duplicated}, stuck {len(stuck)}")
    record("redis down 30 s", 1, len(ids), len(lost), duplicated, len(stuck),
           f"{during} accepted during the outage, slowest upload {slowest:.1f} s")
    assert during > 0 and (lost, duplicated, stuck) == ([], 0, []), stack.explain(lost + stuck)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_media_disk_refuses_uploads_cleanly_and_damages_nothing(tmp_path, redis_server_owned):
    media = tmp_path / "media"
    media.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(media)], check=True)
    stack = Stack(tmp_path, redis_server_owned.url, MEDIA_ROOT=str(media), **FAST_RECOVERY)
    try:
        stack.migrate_and_seed()
        stack.manage("shell", "-c", "from coursework.models import Assignment; Assignment.objects.filter(slug='mnist').update(daily_submission_limit=1000)")
        stack.start_web()
        stack.start_worker(concurrency=2)
        browser = Browser(stack)
        browser.login("student", "student-demo-pass")
        stored, refused = {}, 0
        for k in range(20):
            data = notebook("# padding " + "x" * 150_000 + f" {k}", "import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
            response = browser.upload("mnist", f"big{k}.ipynb", data)
            match = re.search(r"/submissions/(\d+)/$", response.url)
            if match:
                stored[int(match.group(1))] = hashlib.sha256(data).hexdigest()
            else:
                refused += 1
                assert "could not store your notebook just now" in response.text, response.text[-3000:]
        paths = stack.manage("shell", "-c", "from coursework.models import Submission as S; "
                             "print('\\n'.join(f'{s.pk} {s.notebook.path}' for s in S.objects.all()))").split("\n")
        intact = 0
        for line in filter(None, (l.strip() for l in paths)):
            pk, path = line.split(" ", 1)
            if int(pk) in stored and hashlib.sha256(Path(path).read_bytes()).hexdigest() == stored[int(pk)]:
                intact += 1
        leftovers = sum(1 for p in media.rglob("*.ipynb")) - len(stored)
        print(f"\nfull media disk (2 MB tmpfs): {len(stored)} uploads stored, {refused} refused with a message, "
              f"{intact} stored files intact, {leftovers} partial files left")
        record("media disk full", 1, len(stored) + refused, len(stored) - intact, 0, 0,
               f"{refused} refused cleanly, {leftovers} partial files")
        assert refused > 0 and intact == len(stored) and leftovers == 0
    finally:
        stack.stop()
        subprocess.run(["umount", "-l", str(media)], check=False)
